"""Saving and loading a DeepSCM: a model folder of safetensors weights and JSON files.

The files go through :mod:`deepcausal._modelfolder`: one manifest records the SHA-256 of every file
(weights, config, schema, encoder state), a save replaces a previous model crash-safely and never
touches other files, and loading parses JSON and safetensors only — nothing in the files is ever
executed (no pickle). A truncated, corrupt or edited file is refused with a
:class:`~deepcausal.errors.ModelFileError` that names it, rather than producing wrong numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load, save

from deepcausal._modelfolder import read_model, write_model
from deepcausal.data import Schema, TabularEncoder
from deepcausal.errors import DeepCausalError, ModelFileError
from deepcausal.graph import CausalGraph
from deepcausal.mechanisms import mechanism_from_config
from deepcausal.nn import DeviceLike, resolve_device

if TYPE_CHECKING:
    from deepcausal.scm._scm import DeepSCM

KIND = "DeepSCM"
CONFIG_FILE = "config.json"
SCHEMA_FILE = "schema.json"
ENCODER_FILE = "encoder.json"
WEIGHTS_FILE = "weights.safetensors"


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def save_scm(scm: DeepSCM, directory: str | Path, overwrite: bool = False) -> None:
    """Write ``scm`` to the model folder ``directory`` (see :meth:`DeepSCM.save`)."""
    order = list(scm.graph.topological_order())
    tensors: dict[str, torch.Tensor] = {}
    for i, node in enumerate(order):
        for key, value in scm.mechanisms_[node].state_dict().items():
            tensors[f"node{i}.{key}"] = value.detach().cpu().contiguous()
    config: dict[str, Any] = {
        "graph": scm.graph.to_string(),
        "nodes": list(scm.graph.nodes),
        "order": order,
        "mechanisms": {node: scm.mechanisms_[node].config() for node in order},
        "mechanism_spec": scm.mechanisms,
        "random_state": scm.random_state,
        "sampling_seed": [int(x) for x in np.atleast_1d(np.asarray(scm._sampling_seed.entropy))],
    }
    files = {
        CONFIG_FILE: _json(config),
        SCHEMA_FILE: _json(scm.schema_.to_dict()),
        ENCODER_FILE: _json(scm.encoder_.to_dict()),
        WEIGHTS_FILE: save(tensors),
    }
    write_model(directory, KIND, files, overwrite=overwrite, metadata=scm.training_info_)


def load_scm(cls: type[DeepSCM], directory: str | Path, device: DeviceLike = "auto") -> DeepSCM:
    """Read a model written by :func:`save_scm` into a new ``cls`` (:class:`DeepSCM` or a subclass)."""
    path = Path(directory)
    files, metadata = read_model(path, KIND)
    config = _parse(files, CONFIG_FILE, path)
    try:
        tensors = load(files[WEIGHTS_FILE])
    except (SafetensorError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelFileError(
            f"{path}: the weights are not a valid safetensors file: {exc}"
        ) from None

    where = f"{path} ({CONFIG_FILE})"
    try:
        graph = CausalGraph(config["graph"])
        schema = Schema.from_dict(_parse(files, SCHEMA_FILE, path))
        encoder = TabularEncoder.from_dict(_parse(files, ENCODER_FILE, path))
        order = list(config["order"])
        if order != list(graph.topological_order()):
            raise ModelFileError(
                f"{where}: the node order {order} does not match the saved graph {graph.to_string()!r}"
            )
        scm = cls(graph, schema=schema, mechanisms=config["mechanism_spec"], device=device)
        scm.random_state = config["random_state"]
        scm.schema_ = schema
        mechanisms = {}
        for i, node in enumerate(order):
            mech = mechanism_from_config(config["mechanisms"][node])
            expected = scm._parent_dim(node)
            if mech.parent_dim != expected:
                raise ModelFileError(
                    f"{where}: node {node!r} has a mechanism for {mech.parent_dim} parent features, "
                    f"but its parents {list(graph.parents(node))} in the saved graph give {expected}"
                )
            prefix = f"node{i}."
            state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            mech.load_state_dict(state, strict=True)
            mechanisms[node] = mech
        sampling_seed = np.random.SeedSequence(config["sampling_seed"])
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
    scm.training_info_ = dict(metadata)
    scm.device_ = resolved
    scm._sampling_seed = sampling_seed
    return scm


def _parse(files: dict[str, bytes], role: str, path: Path) -> Any:
    if role not in files:
        raise ModelFileError(f"{path}: the manifest lists no {role}")
    try:
        value = json.loads(files[role].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: {role} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ModelFileError(f"{path}: {role} does not hold a JSON object")
    return value
