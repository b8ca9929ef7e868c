"""Treatment-effect estimators: deep (TARNet, CFR, DragonNet) and classical (IPW, matching, AIPW, DML,
regression adjustment), and for hidden confounding (DeepIV, 2SLS, proximal 2SLS, effect
restoration, front-door); one scikit-learn-style API, intervals, overlap diagnostics,
hyper-parameter selection without counterfactuals (EffectSearch) and a graph-aware entry point.

    est = DragonNet(random_state=0).fit(X, t, y)
    est.effect(X)          # per-unit effects (CATE)
    print(est.ate())       # ATE = 4.02 (95% CI 3.85 to 4.19), DragonNet + t-reg, AIPW from its heads
"""

from deepcausal._effect import check_level, normal_effect
from deepcausal.estimators._aipw import AIPW
from deepcausal.estimators._base import BaseEffectEstimator, Effect
from deepcausal.estimators._cevae import CEVAE, CEVAE_TRAINING
from deepcausal.estimators._deepiv import DeepIV, select_deepiv
from deepcausal.estimators._dml import DML
from deepcausal.estimators._dragonnet import DRAGONNET_TRAINING, DragonNet
from deepcausal.estimators._entry import METHODS, EffectEstimate, estimate_effect
from deepcausal.estimators._frontdoor import FrontDoor
from deepcausal.estimators._ipw import IPW
from deepcausal.estimators._iv import (
    BaseIVEstimator,
    TwoStageLeastSquares,
    WeakInstrumentWarning,
    first_stage_f,
)
from deepcausal.estimators._ivfeatures import DeepIVFeatures
from deepcausal.estimators._kiv import KernelIV
from deepcausal.estimators._kpv import KernelProxy
from deepcausal.estimators._matching import PSMatching
from deepcausal.estimators._overlap import OverlapSummary, overlap_summary, plot_overlap
from deepcausal.estimators._plr import PartiallyLinearDML
from deepcausal.estimators._plugin import PlugInEstimand
from deepcausal.estimators._proxies import EffectRestoration, ProximalTwoStage
from deepcausal.estimators._refute import (
    CHECKS,
    Refutation,
    RefutationReport,
    refute,
    robustness_value,
)
from deepcausal.estimators._regression import RegressionAdjustment
from deepcausal.estimators._search import EffectSearch, nearest_neighbour_effects
from deepcausal.estimators._stream import StreamedFit, fit_streamed
from deepcausal.estimators._tarnet import CFR_TRAINING, CFRNet, TARNet

__all__ = [
    "AIPW",
    "CEVAE",
    "CEVAE_TRAINING",
    "CFR_TRAINING",
    "CHECKS",
    "DML",
    "DRAGONNET_TRAINING",
    "IPW",
    "METHODS",
    "BaseEffectEstimator",
    "BaseIVEstimator",
    "CFRNet",
    "DeepIV",
    "DeepIVFeatures",
    "DragonNet",
    "Effect",
    "EffectEstimate",
    "EffectRestoration",
    "EffectSearch",
    "FrontDoor",
    "KernelIV",
    "KernelProxy",
    "OverlapSummary",
    "PSMatching",
    "PartiallyLinearDML",
    "PlugInEstimand",
    "ProximalTwoStage",
    "Refutation",
    "RefutationReport",
    "RegressionAdjustment",
    "StreamedFit",
    "TARNet",
    "TwoStageLeastSquares",
    "WeakInstrumentWarning",
    "check_level",
    "estimate_effect",
    "first_stage_f",
    "fit_streamed",
    "nearest_neighbour_effects",
    "normal_effect",
    "overlap_summary",
    "plot_overlap",
    "refute",
    "robustness_value",
    "select_deepiv",
]
