"""The seam every front end uses: one loaded module (`Session`), a live run you can steer (`LiveRun`), its report."""
