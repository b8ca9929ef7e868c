"""``deepcausal effect``: estimate an average treatment effect from data and a causal graph.

Example::

    deepcausal effect data.csv --graph "Z -> T; Z -> Y; T -> Y" --treatment T --outcome Y --method cfr
    Estimand: Σ_{Z} P(Y | T, Z) P(Z)
    Adjustment set: {Z} (back-door criterion, minimal)
    ATE = 2.01 (95% CI 1.83 to 2.19), CFR-Wass, bootstrap (50 refits)
"""

from __future__ import annotations

import argparse
from typing import Any

from deepcausal.cli._common import (
    GRAPH_HELP,
    add_parallel_arguments,
    add_report_argument,
    add_seed_argument,
    add_table_arguments,
)

__all__ = ["add_parser", "run"]

_METHODS = (
    "dragonnet",
    "cfr",
    "cfr-wass",
    "cfr-mmd",
    "cfr-mmd-rbf",
    "tarnet",
    "aipw",
    "dml",
    "ipw",
    "matching",
    "regression",
    "frontdoor",
    "2sls",
    "deepiv",
    "kernel-iv",
    "proximal",
    "kernel-proxy",
)


def add_parser(subparsers: Any) -> None:
    """Register the ``effect`` subcommand on an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "effect",
        help="estimate the average effect of a treatment on an outcome (ATE with a 95%% interval)",
        description=(
            "Identify the effect in the graph; when a back-door adjustment set exists, fit the "
            "chosen estimator on a minimal one, else use the front-door mediators; print the "
            "estimand, the columns used, the assumption and the ATE with its confidence interval "
            "(exit code 2 when the effect is not identifiable). With hidden confounding: "
            "--method 2sls|deepiv|kernel-iv --instrument Z, or --method proximal|kernel-proxy "
            "--treatment-proxy Z --outcome-proxy W."
        ),
    )
    parser.add_argument("data", help="CSV file with one row per unit")
    add_table_arguments(parser)
    parser.add_argument("--graph", required=True, help=GRAPH_HELP)
    parser.add_argument(
        "--treatment",
        required=True,
        help="treatment column: binary or categorical, or continuous with --method dml or "
        "regression (the average slope)",
    )
    parser.add_argument("--outcome", required=True, help="outcome column (continuous or 0/1)")
    parser.add_argument(
        "--method", default="dragonnet", choices=_METHODS, help="estimator (default: dragonnet)"
    )
    parser.add_argument(
        "--instrument",
        action="append",
        default=[],
        metavar="COL",
        help="an instrument column for --method 2sls, deepiv or kernel-iv (repeat for several)",
    )
    parser.add_argument(
        "--treatment-proxy",
        action="append",
        default=[],
        metavar="COL",
        help="a treatment-side proxy of the hidden confounder for --method proximal",
    )
    parser.add_argument(
        "--outcome-proxy",
        action="append",
        default=[],
        metavar="COL",
        help="an outcome-side proxy of the hidden confounder for --method proximal",
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--att", action="store_true", help="also print the effect on the treated")
    add_seed_argument(parser)
    add_parallel_arguments(parser)
    parser.add_argument(
        "--refute",
        action="store_true",
        help="run the refutation and sensitivity checks (placebo, random common cause, subsets, "
        "bootstrap, dummy outcome, robustness value, the graph's independences)",
    )
    add_report_argument(parser)
    parser.add_argument(
        "--out",
        "--json",
        dest="json",
        metavar="FILE",
        help="write the question, identification, effect (n, SE, p-value, interval) and checks as "
        "JSON ('-': standard output)",
    )
    parser.add_argument(
        "--units",
        metavar="FILE",
        help="write each unit's estimated effect (given the adjustment set) as CSV",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``deepcausal effect``; returns the exit code."""
    import json

    from deepcausal._invocation import command_line
    from deepcausal._version import __version__
    from deepcausal.cli._common import (
        check_output_file,
        info_stream,
        read_table_args,
        write_output,
    )
    from deepcausal.errors import CapabilityError
    from deepcausal.estimators import estimate_effect, refute

    report_dir = getattr(args, "report", None)
    json_file = getattr(args, "json", None)
    units_file = getattr(args, "units", None)
    for out in (json_file, units_file):
        if out:
            check_output_file(out, [args.data])
    data = read_table_args(args.data, args)
    result = estimate_effect(
        data,
        args.graph,
        args.treatment,
        args.outcome,
        method=args.method,
        level=args.level,
        random_state=args.seed,
        instruments=getattr(args, "instrument", None) or None,
        treatment_proxy=getattr(args, "treatment_proxy", None) or None,
        outcome_proxy=getattr(args, "outcome_proxy", None) or None,
    )
    if args.att and not hasattr(result.estimator, "att"):
        raise CapabilityError(
            f"--att: {type(result.estimator).__name__} ({result.strategy}) estimates the average "
            "effect only"
        )
    units = result.unit_effects() if units_file else None
    att = result.estimator.att(args.level) if args.att else None
    stream = info_stream("-" if "-" in (json_file, units_file) else "")
    print(result, file=stream)
    if att is not None:
        print(att, file=stream)
    refutation = refute(result, random_state=args.seed) if getattr(args, "refute", False) else None
    if refutation is not None:
        print(refutation, file=stream)
    if units is not None and units_file:
        frame = units.to_frame()
        message = f"wrote {len(frame)} per-unit effects to {units_file}"
        write_output(units_file, frame.to_csv(), message, stream)
    if json_file:
        content = {
            **result.to_dict(),
            "method": args.method,
            "att": att.to_dict() if att is not None else None,
            "checks": refutation.to_frame().to_dict("records") if refutation else None,
            "seed": args.seed,
            "version": __version__,
            "command": command_line(),
        }
        text = json.dumps(content, indent=2, default=str) + "\n"
        write_output(json_file, text, f"wrote {json_file}", stream)
    if report_dir:
        from deepcausal.report import effect_report

        report = effect_report(result, refutation, report_dir, seed=args.seed)
        print(f"report: {report}", file=stream)
    return 0
