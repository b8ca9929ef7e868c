"""Model folders: a save never deletes what it did not write, survives a crash at every step, and
every file is covered by the manifest's checksums."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from deepcausal import _modelfolder
from deepcausal._modelfolder import JOURNAL, MANIFEST, check_destination, read_model, write_model
from deepcausal.errors import ModelFileError

OLD = {"config.json": b'{"version": "old"}', "weights.safetensors": b"old weights" * 50}
NEW = {
    "config.json": b'{"version": "new"}',
    "weights.safetensors": b"new weights" * 50,
    "schema.json": b"{}",
}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_new_folder_round_trip(tmp_path: Path) -> None:
    write_model(tmp_path / "m", "Thing", OLD, metadata={"device": "cpu"})
    contents, metadata = read_model(tmp_path / "m", "Thing")
    assert contents == OLD and metadata == {"device": "cpu"}
    manifest = json.loads((tmp_path / "m" / MANIFEST).read_text())
    assert set(manifest["files"]) == set(OLD)
    assert not (tmp_path / "m" / JOURNAL).exists()


def test_a_folder_of_other_files_is_refused_and_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    before = _files(folder)
    for overwrite in (False, True):
        with pytest.raises(ModelFileError, match=r"not a deepcausal model \(data.csv, notes.txt\)"):
            write_model(folder, "Thing", OLD, overwrite=overwrite)
    assert _files(folder) == before


def test_replacing_a_model_needs_overwrite_and_keeps_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    write_model(folder, "Thing", OLD)
    (folder / "notes.txt").write_text("kept")
    with pytest.raises(ModelFileError, match="already holds a saved Thing; pass overwrite=True"):
        write_model(folder, "Thing", NEW)
    assert read_model(folder, "Thing")[0] == OLD
    write_model(folder, "Thing", NEW, overwrite=True)
    assert read_model(folder, "Thing")[0] == NEW
    assert (folder / "notes.txt").read_text() == "kept"
    # the old model's files are gone, nothing else is left over
    assert len(list(folder.iterdir())) == 1 + len(NEW) + 1


def test_other_kinds_files_and_unwritable_destinations(tmp_path: Path) -> None:
    write_model(tmp_path / "m", "Thing", OLD)
    with pytest.raises(ModelFileError, match="holds a deepcausal Thing model, not a Other"):
        write_model(tmp_path / "m", "Other", OLD, overwrite=True)
    with pytest.raises(ModelFileError, match="holds a deepcausal Thing model, not a Other"):
        read_model(tmp_path / "m", "Other")
    (tmp_path / "f").write_text("x")
    with pytest.raises(ModelFileError, match="it is a file"):
        check_destination(tmp_path / "f", "Thing")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        with pytest.raises(ModelFileError, match="not writable"):
            check_destination(locked / "m", "Thing")
        locked.chmod(0o700)
    with pytest.raises(ModelFileError, match=r"no saved Thing .* not a directory"):
        read_model(tmp_path / "missing", "Thing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelFileError, match=r"has no manifest.json"):
        read_model(tmp_path / "empty", "Thing")


@pytest.mark.parametrize("role", sorted(NEW))
def test_every_file_is_checksummed(tmp_path: Path, role: str) -> None:
    folder = tmp_path / "m"
    write_model(folder, "Thing", NEW)
    entry = json.loads((folder / MANIFEST).read_text())["files"][role]
    path = folder / entry["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1  # one bit
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=rf"{entry['file']} \({role}\) does not match"):
        read_model(folder, "Thing")
    path.unlink()
    with pytest.raises(ModelFileError, match=rf"cannot read .*{entry['file']}"):
        read_model(folder, "Thing")


def test_a_malformed_manifest_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    write_model(folder, "Thing", OLD)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"]["config.json"]["file"] = "../../etc/passwd"
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match=r"entry for 'config.json' is malformed"):
        read_model(folder, "Thing")
    (folder / MANIFEST).write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        read_model(folder, "Thing")
    manifest["format_version"] = 99
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="format version 99"):
        read_model(folder, "Thing")


def test_files_honour_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_model(tmp_path / "m", "Thing", OLD)
    finally:
        os.umask(old)
    folder = tmp_path / "m"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path.name


def _steps() -> list[str]:
    """Every step of a save that replaces a model, in order (recorded in this process)."""
    seen: list[str] = []
    original = _modelfolder._step
    _modelfolder._step = seen.append  # type: ignore[assignment]
    try:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            write_model(Path(tmp) / "m", "Thing", OLD)
            seen.clear()
            write_model(Path(tmp) / "m", "Thing", NEW, overwrite=True)
    finally:
        _modelfolder._step = original  # type: ignore[assignment]
    return seen


STEPS = _steps()

CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from deepcausal import _modelfolder

    folder, step, first = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "first"
    old = {"config.json": b'{"version": "old"}', "weights.safetensors": b"old weights" * 50}
    new = {"config.json": b'{"version": "new"}', "weights.safetensors": b"new weights" * 50,
           "schema.json": b"{}"}

    def crash(name):
        if name == step:
            os._exit(9)  # a kill: no clean-up, no exception handlers

    _modelfolder._step = crash
    if first:
        _modelfolder.write_model(folder, "Thing", old)
    else:
        _modelfolder.write_model(folder, "Thing", new, overwrite=True)
    """
)


def _crash_at(folder: Path, step: str, first: bool = False) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), step, "first" if first else "replace"],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 9, result.stderr.decode()


def test_the_save_protocol_has_the_documented_steps() -> None:
    assert STEPS[0] == "journal" and "manifest" in STEPS
    assert sum(s.startswith("file:") for s in STEPS) == len(NEW)
    assert sum(s.startswith("cleanup:") for s in STEPS) == len(OLD)  # both old files differ
    # every new file is written before the manifest, every old file removed after it
    m = STEPS.index("manifest")
    assert all(s.startswith("file:") for s in STEPS[1:m])
    assert all(s.startswith("cleanup:") for s in STEPS[m + 1 :])


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_leaves_the_old_or_the_new_model(tmp_path: Path, step: str) -> None:
    folder = tmp_path / "m"
    write_model(folder, "Thing", OLD)
    (folder / "notes.txt").write_text("user file")
    _crash_at(folder, step)
    contents, _ = read_model(folder, "Thing")
    assert contents == (NEW if STEPS.index(step) >= STEPS.index("manifest") else OLD)
    assert (folder / "notes.txt").read_text() == "user file"
    # the next save clears what the crash left and leaves exactly one model
    write_model(folder, "Thing", NEW, overwrite=True)
    assert read_model(folder, "Thing")[0] == NEW
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [MANIFEST, "notes.txt", *(e["file"] for e in _manifest(folder)["files"].values())]
    )


def test_a_kill_during_a_first_save_leaves_a_folder_the_next_save_accepts(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    _crash_at(folder, "file:" + _modelfolder._file_name("weights.safetensors", _sha(OLD)), True)
    with pytest.raises(ModelFileError, match="first save to this folder was interrupted"):
        read_model(folder, "Thing")
    write_model(folder, "Thing", OLD)
    assert read_model(folder, "Thing")[0] == OLD
    assert len(list(folder.iterdir())) == 1 + len(OLD)


def _sha(files: dict[str, bytes]) -> str:
    import hashlib

    return hashlib.sha256(files["weights.safetensors"]).hexdigest()


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text())
