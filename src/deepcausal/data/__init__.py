"""Data layer: variables, schemas, validation and the tabular encoder (NumPy and pandas only).

The simulators with exact ground truth live in :mod:`deepcausal.datasets`.
"""

from deepcausal.data._arrays import (
    array_columns,
    check_images,
    flatten_arrays,
    image_table,
    read_images,
    stack_columns,
)
from deepcausal.data._encoder import TabularEncoder
from deepcausal.data._schema import Schema
from deepcausal.data._stream import ParquetSource, RunningMoments, held_out
from deepcausal.data._values import category_codes, continuous_values
from deepcausal.data._variable import Kind, Variable

__all__ = [
    "Kind",
    "ParquetSource",
    "RunningMoments",
    "Schema",
    "TabularEncoder",
    "Variable",
    "array_columns",
    "category_codes",
    "check_images",
    "continuous_values",
    "flatten_arrays",
    "held_out",
    "image_table",
    "read_images",
    "stack_columns",
]
