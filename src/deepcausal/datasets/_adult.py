"""The UCI Adult (Census Income) table, read from a local copy; nothing is downloaded.

The file is the UCI ``adult.data`` (Becker & Kohavi 1996; CC BY 4.0): 32,561 rows, no header,
``", "``-separated, ``"?"`` for a missing value. The fair synthetic data benchmark of DECAF (van
Breugel et al. 2021) protects ``sex`` and predicts ``income``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal

import pandas as pd

from deepcausal.errors import DataError

__all__ = ["ADULT_COLUMNS", "load_adult"]

logger = logging.getLogger(__name__)

ADULT_COLUMNS = (
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
)


def load_adult(
    path: str | os.PathLike[str], missing: Literal["keep", "drop"] = "keep"
) -> pd.DataFrame:
    """Read ``adult.data`` (plain or gzip-compressed) with named columns.

    Args:
        path: the file, e.g. ``../shared/data/adult/adult.data.gz``.
        missing: ``"keep"`` leaves the ``"?"`` cells as missing values (NaN); ``"drop"`` drops
            their rows. Either way ``frame.attrs["missing"]`` counts them per column, and the log
            (``deepcausal`` logger) says how many rows hold one: nothing is handled silently.

    Returns:
        The table; categorical columns as strings, numeric ones as integers.

    Raises:
        DataError: the file is missing or does not have Adult's 15 columns.
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"no Adult file at {file}; pass the path of adult.data(.gz)")
    try:
        frame = pd.read_csv(
            file,
            header=None,
            names=list(ADULT_COLUMNS),
            skipinitialspace=True,
            na_values=["?"],
            keep_default_na=False,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"cannot read {file} as the Adult table: {exc}") from None
    if frame.shape[1] != len(ADULT_COLUMNS) or frame["income"].isna().all():
        raise DataError(f"{file} does not have Adult's {len(ADULT_COLUMNS)} columns")
    frame["income"] = frame["income"].str.rstrip(".")  # the test split writes "<=50K."
    counts = {c: int(n) for c, n in frame.isna().sum().items() if n}
    rows = int(frame.isna().any(axis=1).sum())
    logger.info("Adult: %d of %d rows hold a missing value (%s)", rows, len(frame), counts)
    if missing == "drop":
        frame = frame.dropna().reset_index(drop=True)
    elif missing != "keep":
        raise ValueError(f"missing must be 'keep' or 'drop', got {missing!r}")
    frame.attrs["missing"] = counts
    frame.attrs["rows_with_missing"] = rows
    return frame
