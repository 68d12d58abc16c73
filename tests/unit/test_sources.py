"""Source files named by (untrusted) debug info are read only under the user's source roots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wasmdbg.symbols.sources import MAX_SOURCE_BYTES, SourceRoots


def layout(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "project" / "build").mkdir(parents=True)
    (tmp_path / "project" / "src").mkdir()
    (tmp_path / "project" / "src" / "main.c").write_text("".join(f"line {n}\n" for n in range(1, 21)))
    (tmp_path / "secret.txt").write_text("secret\n")
    return tmp_path / "project" / "build" / "m.wasm", tmp_path / "project"


def test_relative_paths_start_at_the_module_and_must_stay_under_a_root(tmp_path: Path) -> None:
    module, project = layout(tmp_path)
    default = SourceRoots.for_module(str(module), [], [])
    assert default.excerpt("../src/main.c", 10) is None  # outside the module's own directory
    rooted = SourceRoots.for_module(str(module), [str(project)], [])
    assert rooted.excerpt("../src/main.c", 10) == [(n, f"line {n}") for n in range(7, 14)]
    assert rooted.excerpt("../../secret.txt", 1) is None


def test_absolute_paths_are_read_only_inside_a_root(tmp_path: Path) -> None:
    module, project = layout(tmp_path)
    roots = SourceRoots.for_module(str(module), [str(project)], [])
    assert roots.excerpt(str(tmp_path / "secret.txt"), 1) is None
    assert roots.excerpt("/etc/passwd", 1) is None
    assert roots.excerpt(str(project / "src" / "main.c"), 1) is not None


def test_substitute_path_maps_build_machine_paths(tmp_path: Path) -> None:
    module, project = layout(tmp_path)
    roots = SourceRoots.for_module(str(module), [str(project)], [f"/home/ci/work={project}"])
    assert roots.excerpt("/home/ci/work/src/main.c", 2) is not None


def test_symlinks_out_of_the_roots_and_odd_files_are_refused(tmp_path: Path) -> None:
    module, project = layout(tmp_path)
    os.symlink(tmp_path / "secret.txt", project / "src" / "link.c")
    os.mkfifo(project / "src" / "fifo.c")
    (project / "src" / "huge.c").write_bytes(b"x\n" * (MAX_SOURCE_BYTES // 2 + 1))
    roots = SourceRoots.for_module(str(module), [str(project)], [])
    for name in ("link.c", "fifo.c", "huge.c"):
        assert roots.excerpt(f"../src/{name}", 1) is None


def test_a_substitute_path_target_is_a_root_and_a_relative_one_starts_at_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, project = layout(tmp_path)
    monkeypatch.chdir(project.parent)
    roots = SourceRoots.for_module(str(module), [], [f"/build/here={project.name}"])  # no --source-root
    assert roots.excerpt("/build/here/src/main.c", 2) is not None
    assert roots.excerpt(str(tmp_path / "secret.txt"), 1) is None  # the rest stays outside
