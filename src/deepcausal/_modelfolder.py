"""Model folders: one manifest checksums every file; a save never loses a model or a user's file.

A saved model is a folder::

    model/
      manifest.json                        the index, and the commit point of a save
      config-<sha256[:16]>.json            the model's own files, named by their content
      weights-<sha256[:16]>.safetensors
      notes.txt                            anything else is the user's and is never touched

``manifest.json`` lists each file with its SHA-256 and size; :func:`read_model` refuses any file
that does not match and names it. A save follows a manifest-last protocol with a journal, in the
manner of git (objects first, then the ref) and SQLite (a journal of what is in flight):

1. ``.deepcausal-pending.json`` records the file names about to be written and deleted;
2. each file is written atomically (temporary file, fsync, rename) under its content-addressed name;
3. ``manifest.json`` is replaced atomically: the commit point;
4. the previous model's files that the new manifest does not list are deleted;
5. the journal is removed.

A crash before step 3 leaves the previous manifest in place, and every file it lists is intact
(nothing of the previous model is deleted before step 4); after step 3 the new model is complete.
So :func:`read_model` finds the previous model or the new one, never nothing. Files orphaned by a
crash (new files never committed, or old ones not yet deleted) are listed in the journal, and the
next save removes them. Only files this module wrote are
ever deleted: those a previous manifest or journal lists, under this module's naming pattern.

Loading parses JSON and reads bytes: nothing in a model folder is ever executed. The manifest makes
corruption and accidental edits evident; it is not a signature against deliberate forgery.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deepcausal._atomic import atomic_write_bytes, atomic_write_text, fsync_directory
from deepcausal._version import __version__
from deepcausal.errors import ModelFileError

__all__ = [
    "JOURNAL",
    "MANIFEST",
    "check_destination",
    "is_model_folder",
    "read_model",
    "write_model",
]

MANIFEST = "manifest.json"
JOURNAL = ".deepcausal-pending.json"
FORMAT = "deepcausal.model"
FORMAT_VERSION = 2

#: The names this module gives to files: ``<stem>-<16 hex digits>.<suffix>``.
_OWN_NAME = re.compile(r"^[A-Za-z0-9_]+-[0-9a-f]{16}\.[A-Za-z0-9]+$")
#: Files of the first format (one config.json holding everything, no manifest).
_LEGACY_FILES = ("config.json", "weights.safetensors")
_LEGACY_FORMAT = "deepcausal.DeepSCM"


def _step(name: str) -> None:
    """A point between two steps of a save. Does nothing; tests replace it to crash a child
    process there and check that the folder still holds a loadable model."""


@dataclass(frozen=True)
class _Existing:
    """What a destination folder holds before a save."""

    own_files: frozenset[str]  # files of the model there now (deleted if the new one drops them)
    stale: frozenset[str]  # files a crashed save left behind (deleted before writing)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_name(role: str, digest: str) -> str:
    stem, dot, suffix = role.partition(".")
    return f"{stem}-{digest[:16]}{dot}{suffix}"


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{path} is not UTF-8 text; the file is corrupt") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path} is not valid JSON ({exc}); the file is corrupt") from None


def _manifest_files(folder: Path, manifest: Any) -> dict[str, dict[str, Any]]:
    """The ``files`` table of a manifest, checked: plain names inside the folder, hex digests."""
    where = folder / MANIFEST
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not files:
        raise ModelFileError(f"{where} lists no files; the manifest is corrupt")
    for role, entry in files.items():
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("file"), str)
            and _OWN_NAME.match(entry["file"]) is not None
            and isinstance(entry.get("sha256"), str)
            and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]) is not None
            and isinstance(entry.get("bytes"), int)
        )
        if not ok:
            raise ModelFileError(f"{where}: the entry for {role!r} is malformed: {entry!r}")
    return files


def _legacy(folder: Path) -> bool:
    config = folder / "config.json"
    if not config.is_file():
        return False
    try:
        return bool(json.loads(config.read_text(encoding="utf-8")).get("format") == _LEGACY_FORMAT)
    except (OSError, ValueError, AttributeError):
        return False


def is_model_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder that holds a deepcausal model (of any kind or format)."""
    folder = Path(path)
    return folder.is_dir() and ((folder / MANIFEST).is_file() or _legacy(folder))


def _journal_files(folder: Path) -> frozenset[str]:
    journal = folder / JOURNAL
    if not journal.is_file():
        return frozenset()
    try:
        content = json.loads(journal.read_text(encoding="utf-8"))
        names = [*content.get("files", []), *content.get("replaces", [])]
    except (OSError, ValueError, AttributeError, TypeError):
        return frozenset()
    return frozenset(n for n in names if isinstance(n, str) and _OWN_NAME.match(n))


def _inspect(folder: Path, kind: str, overwrite: bool) -> _Existing:
    """Check that a save of a ``kind`` model may go to ``folder``; say what is there."""
    if folder.exists() and not folder.is_dir():
        raise ModelFileError(
            f"cannot save a model to {folder}: it is a file; a model is a folder, choose a new path"
        )
    if not folder.exists():
        parent = folder.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ModelFileError(f"cannot save a model to {folder}: {parent} is not writable")
        return _Existing(frozenset(), frozenset())
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ModelFileError(f"cannot save a model to {folder}: the folder is not writable")

    pending = _journal_files(folder)
    manifest_path = folder / MANIFEST
    if manifest_path.is_file():
        manifest = _read_json(manifest_path)
        held = manifest.get("kind") if isinstance(manifest, dict) else None
        if held != kind:
            raise ModelFileError(
                f"{folder} holds a deepcausal {held} model, not a {kind}; save to another folder"
            )
        own = frozenset(e["file"] for e in _manifest_files(folder, manifest).values())
    elif _legacy(folder):
        own = frozenset(_LEGACY_FILES)
    else:
        others = sorted(
            p.name for p in folder.iterdir() if p.name != JOURNAL and p.name not in pending
        )
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise ModelFileError(
                f"cannot save a model to {folder}: the folder holds {len(others)} file(s) that are "
                f"not a deepcausal model ({shown}). A save never writes among your files; choose a "
                f"new or empty folder, e.g. {folder / 'model'}"
            )
        return _Existing(frozenset(), pending)
    if not overwrite:
        raise ModelFileError(
            f"{folder} already holds a saved {kind}; pass overwrite=True (on the command line, "
            "--overwrite) to replace it. Only the model's own files are replaced; other files in "
            "the folder stay"
        )
    return _Existing(own, pending - own)


def check_destination(path: str | os.PathLike[str], kind: str, overwrite: bool = False) -> None:
    """Raise :class:`ModelFileError` now if a save of a ``kind`` model to ``path`` would be refused.

    Call it before a long fit so that a bad destination is reported before the work, not after.
    """
    _inspect(Path(path), kind, overwrite)


def write_model(
    path: str | os.PathLike[str],
    kind: str,
    files: Mapping[str, bytes],
    *,
    overwrite: bool = False,
    metadata: Mapping[str, Any] | None = None,
) -> None:
    """Save ``files`` (role -> content, e.g. ``{"config.json": b"..."}``) as a ``kind`` model.

    ``path`` must be absent, an empty folder, or a folder holding a ``kind`` model (then
    ``overwrite=True`` is required and only that model's own files are replaced). See the module
    docstring for the crash-safe protocol.

    Raises:
        ModelFileError: the destination is refused (a file, a folder of other files, another
            model without ``overwrite``, not writable).
    """
    rank, barrier = _process_group()
    try:
        if rank == 0:  # one writer when torchrun runs several processes of the same script
            _write(Path(path), kind, files, overwrite, metadata)
    finally:
        barrier()


def _process_group() -> tuple[int, Any]:
    """This process's rank and a barrier, under ``torch.distributed`` (``(0, no-op)`` otherwise;
    torch is looked up, never imported, so this module stays importable without it)."""
    torch = sys.modules.get("torch")
    dist = getattr(torch, "distributed", None)
    if dist is None or not (dist.is_available() and dist.is_initialized()):
        return 0, lambda: None
    return int(dist.get_rank()), dist.barrier


def _write(
    folder: Path,
    kind: str,
    files: Mapping[str, bytes],
    overwrite: bool,
    metadata: Mapping[str, Any] | None,
) -> None:
    existing = _inspect(folder, kind, overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    for name in existing.stale:  # orphans of a save that crashed before its manifest
        (folder / name).unlink(missing_ok=True)

    entries: dict[str, dict[str, Any]] = {}
    blobs: dict[str, bytes] = {}
    for role, data in files.items():
        if not re.fullmatch(r"[A-Za-z0-9_]+\.[A-Za-z0-9]+", role):
            raise ValueError(f"model file role must be a plain name like 'config.json': {role!r}")
        digest = _sha256(data)
        name = _file_name(role, digest)
        entries[role] = {"file": name, "sha256": digest, "bytes": len(data)}
        blobs[name] = data
        target = folder / name
        if target.exists() and name not in existing.own_files and name not in existing.stale:
            raise ModelFileError(
                f"cannot save a model to {folder}: {target} exists and is not ours"
            )

    # the journal lists both what is about to be written and what is about to be deleted, so that
    # the next save can finish either half after a crash
    replaced = sorted(existing.own_files - set(blobs))
    atomic_write_text(folder / JOURNAL, json.dumps({"files": sorted(blobs), "replaces": replaced}))
    _step("journal")
    for name, data in blobs.items():
        target = folder / name
        if not (target.is_file() and _sha256(target.read_bytes()) == _sha256(data)):
            atomic_write_bytes(target, data)
        _step(f"file:{name}")
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "deepcausal_version": __version__,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": entries,
        "metadata": dict(metadata or {}),
    }
    atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    _step("manifest")
    for name in replaced:
        (folder / name).unlink(missing_ok=True)
        _step(f"cleanup:{name}")
    (folder / JOURNAL).unlink(missing_ok=True)
    fsync_directory(folder)


def read_model(path: str | os.PathLike[str], kind: str) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The verified files (role -> content) and the metadata of the ``kind`` model at ``path``.

    Raises:
        ModelFileError: no model there, another kind, an unknown format version, or a file that is
            missing or does not match its checksum (the message names the file).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ModelFileError(f"no saved {kind} at {folder}: not a directory")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        if _legacy(folder):
            raise ModelFileError(
                f"{folder} holds a model saved in deepcausal's first format, which did not checksum "
                "its config; this version reads format 2 only: fit and save the model again"
            )
        if (folder / JOURNAL).is_file():
            raise ModelFileError(
                f"no saved {kind} at {folder}: a first save to this folder was interrupted before "
                "it completed"
            )
        raise ModelFileError(f"no saved {kind} at {folder}: it has no {MANIFEST}")
    manifest = _read_json(manifest_path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{manifest_path} is not a deepcausal manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{manifest_path} has format version {manifest.get('format_version')!r}; this "
            f"deepcausal ({__version__}) reads version {FORMAT_VERSION}"
        )
    if manifest.get("kind") != kind:
        raise ModelFileError(
            f"{folder} holds a deepcausal {manifest.get('kind')} model, not a {kind}"
        )
    contents: dict[str, bytes] = {}
    for role, entry in _manifest_files(folder, manifest).items():
        file = folder / entry["file"]
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise ModelFileError(
                f"cannot read {file} ({role}) listed in {MANIFEST}: {exc}"
            ) from None
        if len(data) != entry["bytes"] or _sha256(data) != entry["sha256"]:
            raise ModelFileError(
                f"{file} ({role}) does not match the SHA-256 recorded in {manifest_path}: the file "
                "is truncated, corrupt or was modified after saving"
            )
        contents[role] = data
    metadata = manifest.get("metadata", {})
    return contents, metadata if isinstance(metadata, dict) else {}
