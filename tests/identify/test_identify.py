"""ID / IDC decisions and printed estimands on the canonical graphs; bad input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepcausal.errors import GraphError, NotIdentifiable
from deepcausal.graph import CausalGraph
from deepcausal.identify import Estimand, Fraction, identify, simplify

# (name, graph, treatment, outcome, given, printed estimand)
IDENTIFIABLE = [
    ("backdoor", "Z -> X; X -> Y; Z -> Y", "X", "Y", None, "Σ_{Z} P(Y | X, Z) P(Z)"),
    (
        "frontdoor",
        "X -> M; M -> Y; X <-> Y",
        "X",
        "Y",
        None,
        "Σ_{M} P(M | X) Σ_{X'} P(Y | X', M) P(X')",
    ),
    (
        "napkin",
        "W -> R; R -> X; X -> Y; W <-> X; W <-> Y",
        "X",
        "Y",
        None,
        "[Σ_{W} P(X, Y | W, R) P(W)] / [Σ_{W} P(X | W, R) P(W)]",
    ),
    ("m-bias (latent)", "X <-> M; M <-> Y; X -> Y", "X", "Y", None, "P(Y | X)"),
    (
        "m-bias (observed parents)",
        "A -> X; A -> M; B -> M; B -> Y; X -> Y",
        "X",
        "Y",
        None,
        "Σ_{B} P(Y | X, B) P(B)",
    ),
    ("chain: ID line 3 variable pruned", "W -> X; X -> Y", "X", "Y", None, "P(Y | X)"),
    (
        "Verma graph",
        "A -> B; B -> C; C -> D; A <-> C; B <-> D",
        "C",
        "D",
        None,
        "Σ_{B} P(D | C, A, B) P(B | A)",
    ),
    (
        "Shpitser & Pearl 2006, Figure 1(a)",
        "X -> Y1; Y2 <-> W1; W1 <-> Y1; W1 -> X; W2 -> Y2; W2 <-> W1; X <-> W2",
        "X",
        ["Y1", "Y2"],
        None,
        "P(Y2) Σ_{W1} P(Y1 | X, W1) P(W1)",
    ),
    (
        "Tikka & Karvanen 2017, section 3.3",
        "X <-> Y; Z -> Y; X -> Z; W -> X; W -> Z",
        "X",
        "Y",
        None,
        "Σ_{W, Z} P(Z | X, W) P(W) Σ_{X'} P(Y | X', W, Z) P(X' | W)",
    ),
    ("no causal path", "X -> Z; X <-> Z; Y -> Z", "X", "Y", None, "P(Y)"),
    ("IDC by rule 2", "X -> Y; Z -> Y; Z -> X", "X", "Y", "Z", "P(Y | X, Z)"),
    ("IDC Shpitser & Pearl Fig. 1(a)", "X -> Z; X <-> Z; Z -> Y", "X", "Y", "Z", "P(Y | Z)"),
    (
        "IDC front-door mediator given",
        "X -> M; M -> Y; X <-> Y",
        "X",
        "Y",
        "M",
        "Σ_{X} P(Y | X, M) P(X)",
    ),
    (
        "IDC back-door with a post-treatment condition",
        "Z -> X; X -> Y; Z -> Y; X -> W; W -> Y",
        "X",
        "Y",
        "W",
        "Σ_{Z} P(Y | X, Z, W) P(Z)",
    ),
    (
        "IDC normalised",
        "X -> Y; Y -> Z; X <-> Z",
        "X",
        "Y",
        "Z",
        "[P(Y | X) Σ_{X'} P(Z | X', Y) P(X')] / [Σ_{Y'} P(Y' | X) Σ_{X'} P(Z | X', Y') P(X')]",
    ),
]

# (name, graph, treatment, outcome, given, F, F')
NOT_IDENTIFIABLE = [
    ("bow", "X -> Y; X <-> Y", "X", "Y", None, "{X, Y}", "{Y}"),
    ("instrumental variable", "Z -> X; X -> Y; X <-> Y", "X", "Y", None, "{X, Y}", "{Y}"),
    ("extended bow", "X -> Z; Z -> Y; X <-> Z", "X", "Y", None, "{X, Z}", "{Z}"),
    (
        "bow through a confounded mediator",
        "X -> Z; Z -> Y; X <-> Y; Z <-> Y",
        "X",
        "Y",
        None,
        "{X, Z, Y}",
        "{Z, Y}",
    ),
    (
        "Shpitser & Pearl 2006, Figure 1(b)",
        "X -> Y1; Y2 <-> W1; W1 <-> Y1; W1 -> X; W2 -> Y2; W2 <-> W1; X <-> W2; W1 -> W2",
        "X",
        ["Y1", "Y2"],
        None,
        "{W1, X, Y1, W2, Y2}",
        "{W1, Y1, W2, Y2}",
    ),
    (
        "two treatments",
        "X1 -> Z; Z -> X2; X2 -> Y; X1 <-> X2; X1 <-> Y; Z <-> Y",
        ["X1", "X2"],
        "Y",
        None,
        "{X1, Z, X2, Y}",
        "{Y}",
    ),
    (
        "IDC Shpitser & Pearl Fig. 1(c)",
        "X -> Z; X <-> Z; Y -> Z; W -> Y",
        "X",
        "W",
        "Z",
        "{X, Z}",
        "{Z}",
    ),
    ("IDC through a bow", "X -> Y; Y -> Z; X <-> Y", "X", "Y", "Z", "{X, Y}", "{Y}"),
]


@pytest.mark.parametrize(
    ("graph", "treatment", "outcome", "given", "printed"),
    [case[1:] for case in IDENTIFIABLE],
    ids=[case[0] for case in IDENTIFIABLE],
)
def test_identifiable_queries_print_the_expected_estimand(
    graph: str, treatment: str, outcome: str, given: str | None, printed: str
) -> None:
    estimand = identify(CausalGraph(graph), treatment, outcome, given)
    assert isinstance(estimand, Estimand)
    assert str(estimand) == printed


@pytest.mark.parametrize(
    ("graph", "treatment", "outcome", "given", "forest", "district"),
    [case[1:] for case in NOT_IDENTIFIABLE],
    ids=[case[0] for case in NOT_IDENTIFIABLE],
)
def test_not_identifiable_queries_name_the_hedge(
    graph: str, treatment: str, outcome: str, given: str | None, forest: str, district: str
) -> None:
    with pytest.raises(NotIdentifiable) as info:
        identify(CausalGraph(graph), treatment, outcome, given)
    message = str(info.value)
    assert f"C-forests F = {forest} and F' = {district}" in message
    assert "latent confounders" in message
    if given:
        assert "IDC reduced the query" in message


def test_latex_and_attributes() -> None:
    backdoor = identify(CausalGraph("Z -> X; X -> Y; Z -> Y"), "X", "Y")
    assert backdoor.to_latex() == r"\sum_{Z} P(Y \mid X, Z) P(Z)"
    assert repr(backdoor) == "Estimand('P(Y | do(X)) = Σ_{Z} P(Y | X, Z) P(Z)')"
    assert (backdoor.treatment, backdoor.outcome, backdoor.given) == (("X",), ("Y",), ())
    assert backdoor.free_variables == ("X", "Y")
    assert backdoor.auxiliary == ()
    frontdoor = identify(CausalGraph("X -> M; M -> Y; X <-> Y"), "X", "Y")
    assert frontdoor.to_latex() == r"\sum_{M} P(M \mid X) \sum_{X'} P(Y \mid X', M) P(X')"
    napkin = identify(CausalGraph("W -> R; R -> X; X -> Y; W <-> X; W <-> Y"), "X", "Y")
    assert napkin.free_variables == ("R", "X", "Y")
    assert napkin.auxiliary == ("R",)  # added by ID line 3: the answer holds for any value of R
    assert isinstance(napkin.expression, Fraction)
    conditional = identify(CausalGraph("X -> Y; Z -> Y; Z -> X"), "X", "Y", "Z")
    assert conditional.query == "P(Y | do(X), Z)"
    assert conditional.given == ("Z",)


def test_estimand_equality_does_not_depend_on_declaration_order() -> None:
    a = identify(CausalGraph("Z -> X; X -> Y; Z -> Y"), "X", "Y")
    b = identify(CausalGraph("X -> Y; Z -> Y; Z -> X"), "X", "Y")
    assert a == b and hash(a) == hash(b)
    c = identify(CausalGraph("Z -> X; X -> Y; Z -> Y; W -> Y"), "X", "Y")
    assert a != c
    assert a != identify(CausalGraph("Z -> X; X -> Y; Z -> Y"), "X", "Y", "Z")


def test_names_may_be_lists_or_comma_separated() -> None:
    graph = CausalGraph("X1 -> Y; X2 -> Y; X1 -> X2")
    a = identify(graph, ["X1", "X2"], "Y")
    b = identify(graph, "X1, X2", ["Y"])
    assert a == b
    assert str(a) == "P(Y | X1, X2)"


@pytest.mark.parametrize(
    ("treatment", "outcome", "given", "match"),
    [
        ("Q", "Y", None, "unknown treatment 'Q'"),
        ("X", "Q", None, "unknown outcome 'Q'"),
        ("X", "Y", "Q", "unknown conditioning variable 'Q'"),
        ("X", "X", None, r"treatment and outcome overlap: \['X'\]"),
        (["X", "Z"], ["Y", "Z"], None, r"treatment and outcome overlap: \['Z'\]"),
        ("X", "Y", "X", "treatment and conditioning set overlap"),
        ("X", "Y", "Y", "outcome and conditioning set overlap"),
        ([], "Y", None, "treatment must name at least one node"),
        ("X", [], None, "outcome must name at least one node"),
        (["X", "X"], "Y", None, "more than once"),
    ],
)
def test_bad_queries_raise_graph_errors(
    treatment: object, outcome: object, given: object, match: str
) -> None:
    graph = CausalGraph("Z -> X; X -> Y; Z -> Y")
    with pytest.raises(GraphError, match=match):
        identify(graph, treatment, outcome, given)  # type: ignore[arg-type]


def test_identify_needs_a_causal_graph() -> None:
    with pytest.raises(GraphError, match="needs a CausalGraph"):
        identify("Z -> X; X -> Y", "X", "Y")  # type: ignore[arg-type]


@st.composite
def admgs(draw: st.DrawFn) -> CausalGraph:
    n = draw(st.integers(2, 6))
    names = [f"V{i}" for i in range(n)]
    pairs = [(names[i], names[j]) for i in range(n) for j in range(i + 1, n)]
    directed = [p for p in pairs if draw(st.booleans())]
    bidirected = [p for p in pairs if draw(st.integers(0, 3)) == 0]
    return CausalGraph(nodes=names, directed=directed, bidirected=bidirected)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(graph=admgs(), data=st.data())
def test_effect_on_all_other_variables_matches_tian_pearl_criterion(
    graph: CausalGraph, data: st.DataObject
) -> None:
    """Tian & Pearl (2002), Theorem 2: P(v | do(x)) for one treatment X is identifiable iff no child
    of X is in X's district (no bidirected path from X to a child); for a DAG always."""
    x = data.draw(st.sampled_from(graph.nodes))
    rest = [v for v in graph.nodes if v != x]
    district = next(c for c in graph.c_components() if x in c)
    expected = not (set(graph.children(x)) & district)
    try:
        estimand = identify(graph, x, rest)
    except NotIdentifiable as err:
        assert not expected, str(err)
        assert "C-forests" in str(err)
        return
    assert expected
    assert set(estimand.free_variables) <= set(graph.nodes)
    assert estimand.auxiliary == ()
    order = graph.topological_order()
    assert simplify(estimand.expression, order) == estimand.expression


def test_identification_imports_without_torch() -> None:
    code = (
        "import sys, deepcausal.identify, deepcausal.cli.identify; "
        "sys.exit('torch' in sys.modules or 'pandas' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
