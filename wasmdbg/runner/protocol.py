"""The typed run protocol between the debugger and its agent (filled in below)."""
