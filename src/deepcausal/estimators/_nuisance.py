"""Nuisance models for the classical estimators: defaults, seeding, cross-fitting.

Any scikit-learn regressor serves as an outcome model and any classifier with ``predict_proba`` as
a propensity model. Learners are cloned before fitting, so the objects passed to an estimator stay
untouched (scikit-learn's rule for hyper-parameters).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import StratifiedKFold

from deepcausal.errors import DataError


def default_outcome_model() -> Any:
    """Histogram gradient boosting: flexible in every covariate and interaction, fast at any n.

    Small leaves are not allowed (at least 20 rows), which keeps the fit smooth on small data."""
    return HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, min_samples_leaf=20)


def default_linear_outcome_model() -> Any:
    """Ordinary least squares, the classical regression adjustment."""
    return LinearRegression()


def default_logistic_propensity_model() -> Any:
    """Logistic regression (multinomial for more than two arms): the propensity model of IPW and
    matching, whose estimates rest on it alone; a flexible classifier's noisier weights cost them
    more than its lower bias gains at the sample sizes of observational studies."""
    return LogisticRegression(max_iter=2000)


def default_propensity_model() -> Any:
    """Histogram gradient boosting with probabilities calibrated by Platt scaling on 3 folds.

    A logistic regression is misspecified as soon as the propensity is not logistic-linear, and a
    doubly robust interval is then only as good as the outcome model; a flexible classifier keeps
    both nuisances consistent. Boosted trees rank well but their probabilities drift towards 0 and
    1; calibration brings them back, which matters because the scores divide by them."""
    return CalibratedClassifierCV(
        HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, min_samples_leaf=20),
        method="sigmoid",
        cv=3,
    )


def fresh(model: Any, default: Any, random_state: int | None) -> Any:
    """An unfitted clone of ``model`` (or of ``default`` when ``None``), seeded if it is unseeded."""
    est = clone(default if model is None else model)
    params = est.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None and random_state is not None:
        est.set_params(random_state=random_state)
    return est


def check_learner(model: Any, name: str, *, needs_proba: bool) -> None:
    """Refuse objects that are not scikit-learn learners of the right kind."""
    if model is None:
        return
    if not (hasattr(model, "fit") and hasattr(model, "get_params")):
        raise ValueError(f"{name} must be a scikit-learn estimator, got {type(model).__name__}")
    if needs_proba and not hasattr(model, "predict_proba"):
        raise ValueError(
            f"{name} must be a classifier with predict_proba, got {type(model).__name__}"
        )
    if not needs_proba and not hasattr(model, "predict"):
        raise ValueError(f"{name} must have predict, got {type(model).__name__}")


def check_cross_fitting(outcome_model: Any, arm_model: Any, arm_name: str, n_folds: int) -> None:
    """Check a cross-fitted estimator's two nuisance learners (an outcome regressor, an arm
    classifier named ``arm_name``) and its number of folds."""
    check_learner(outcome_model, "outcome_model", needs_proba=False)
    check_learner(arm_model, arm_name, needs_proba=True)
    if int(n_folds) < 2:
        raise ValueError(f"n_folds must be >= 2 for cross-fitting, got {n_folds}")


def predict_mean(model: Any, X: np.ndarray) -> np.ndarray:
    """``E[Y | X]`` from a fitted regressor, or ``P(Y = 1 | X)`` from a fitted binary classifier."""
    if is_classifier(model):
        proba = model.predict_proba(X)
        classes = list(model.classes_)
        return np.asarray(proba[:, classes.index(1)] if 1 in classes else np.zeros(len(X)))
    return np.asarray(model.predict(X), dtype=np.float64).reshape(-1)


def predict_proba_arms(model: Any, X: np.ndarray, n_arms: int) -> np.ndarray:
    """Class probabilities of a classifier fit on arm codes, aligned to codes ``0..n_arms-1``."""
    proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    out = np.zeros((X.shape[0], n_arms))
    for j, c in enumerate(model.classes_):
        out[:, int(c)] = proba[:, j]
    return out


def cross_fit(
    learner: Any,
    default: Any,
    X: np.ndarray,
    target: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    seed: int,
    n_arms: int = 0,
) -> tuple[Any, np.ndarray]:
    """One fold of cross-fitting: a fresh copy of ``learner`` (``default`` when it is ``None``),
    seeded with ``seed``, fitted on the rows ``train`` and predicting the rows ``test``: the mean
    (:func:`predict_mean`), or with ``n_arms`` the arm probabilities (:func:`predict_proba_arms`).
    Returns the fitted model and its predictions."""
    model = fresh(learner, default, seed)
    model.fit(X[train], target[train])
    if n_arms:
        return model, predict_proba_arms(model, X[test], n_arms)
    return model, predict_mean(model, X[test])


def folds(
    t: np.ndarray, n_folds: int, random_state: int | None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified K-fold splits (train, held-out) for cross-fitting."""
    counts = np.bincount(t)
    if counts.min() < n_folds:
        raise DataError(
            f"cross-fitting with n_folds={n_folds} needs at least {n_folds} units per arm, but one "
            f"arm has {int(counts.min())}; lower n_folds"
        )
    skf = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    return [(tr, te) for tr, te in skf.split(np.zeros(t.shape[0]), t)]


def seeds(random_state: int | None, n: int) -> list[int]:
    """``n`` independent integer seeds derived from ``random_state``."""
    ss = np.random.SeedSequence(random_state)
    return [int(s.generate_state(1)[0]) for s in ss.spawn(n)]
