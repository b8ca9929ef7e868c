"""Saving and loading a DeepSCM: safetensors weights + a JSON config, written atomically.

Loading parses JSON and safetensors only — nothing in the files is ever executed (no pickle). The
config records the SHA-256 of the weights file, so a truncated or edited file is refused with a
clear :class:`~deepcausal.errors.ModelFileError` rather than producing wrong numbers.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from deepcausal._atomic import atomic_directory
from deepcausal._version import __version__
from deepcausal.data import Schema, TabularEncoder
from deepcausal.errors import DeepCausalError, ModelFileError
from deepcausal.graph import CausalGraph
from deepcausal.mechanisms import mechanism_from_config
from deepcausal.nn import resolve_device
from deepcausal.nn._device import DeviceLike

if TYPE_CHECKING:
    from deepcausal.scm._scm import DeepSCM

FORMAT = "deepcausal.DeepSCM"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"


def save_scm(scm: DeepSCM, directory: str | Path) -> None:
    """Write ``scm`` to ``directory`` atomically (see :meth:`DeepSCM.save`)."""
    order = list(scm.graph.topological_order())
    tensors: dict[str, torch.Tensor] = {}
    for i, node in enumerate(order):
        for key, value in scm.mechanisms_[node].state_dict().items():
            tensors[f"node{i}.{key}"] = value.detach().cpu().contiguous()
    blob = save(tensors)
    config: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "deepcausal_version": __version__,
        "graph": scm.graph.to_string(),
        "nodes": list(scm.graph.nodes),
        "order": order,
        "schema": scm.schema_.to_dict(),
        "encoder": scm.encoder_.to_dict(),
        "mechanisms": {node: scm.mechanisms_[node].config() for node in order},
        "mechanism_spec": scm.mechanisms,
        "random_state": scm.random_state,
        "sampling_seed": [int(x) for x in np.atleast_1d(np.asarray(scm._sampling_seed.entropy))],
        "weights_sha256": hashlib.sha256(blob).hexdigest(),
    }
    with atomic_directory(directory) as tmp:
        (tmp / WEIGHTS_FILE).write_bytes(blob)
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True))


def load_scm(directory: str | Path, device: DeviceLike = "auto") -> DeepSCM:
    """Read a model written by :func:`save_scm`."""
    from deepcausal.scm._scm import DeepSCM

    path = Path(directory)
    if not path.is_dir():
        raise ModelFileError(f"no saved DeepSCM at {path}: not a directory")
    config = _read_config(path / CONFIG_FILE)
    weights_path = path / WEIGHTS_FILE
    try:
        blob = weights_path.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read {weights_path}: {exc}") from None
    if hashlib.sha256(blob).hexdigest() != config["weights_sha256"]:
        raise ModelFileError(
            f"{weights_path} does not match the checksum recorded in {CONFIG_FILE}: the file is "
            "truncated, corrupt or was modified after saving"
        )
    try:
        tensors = load(blob)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{weights_path} is not a valid safetensors file: {exc}") from None

    where = f"{path / CONFIG_FILE}"
    try:
        graph = CausalGraph(config["graph"])
        schema = Schema.from_dict(config["schema"])
        encoder = TabularEncoder.from_dict(config["encoder"])
        order = list(config["order"])
        if order != list(graph.topological_order()):
            raise ModelFileError(f"{where}: node order does not match the graph")
        scm = DeepSCM(graph, schema=schema, mechanisms=config["mechanism_spec"], device=device)
        scm.random_state = config["random_state"]
        mechanisms = {}
        for i, node in enumerate(order):
            mech = mechanism_from_config(config["mechanisms"][node])
            prefix = f"node{i}."
            state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            mech.load_state_dict(state, strict=True)
            mechanisms[node] = mech
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, DeepCausalError) as exc:
        raise ModelFileError(f"{where} does not describe a valid DeepSCM: {exc}") from None

    resolved = resolve_device(device)
    for mech in mechanisms.values():
        mech.to(resolved)
        mech.eval()
    scm.schema_ = schema
    scm.encoder_ = encoder
    scm.mechanisms_ = mechanisms
    scm.history_ = {}
    scm.device_ = resolved
    scm._sampling_seed = np.random.SeedSequence(config["sampling_seed"])
    return scm


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from None
    try:
        config = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path} is not valid JSON ({exc}); the file is corrupt") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a saved DeepSCM (format {FORMAT!r} expected)")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format version {config.get('format_version')!r}; this deepcausal "
            f"({__version__}) reads version {FORMAT_VERSION}"
        )
    for key in (
        "graph",
        "schema",
        "encoder",
        "order",
        "mechanisms",
        "weights_sha256",
        "sampling_seed",
    ):
        if key not in config:
            raise ModelFileError(f"{path} lacks the entry {key!r}")
    return config
