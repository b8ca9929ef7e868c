"""Back-door sets and the front-door criterion."""

from __future__ import annotations

import itertools

import numpy as np

from deepcausal.graph import CausalGraph


def test_backdoor_sets_on_classic_graphs() -> None:
    confounded = CausalGraph("Z -> X; Z -> Y; X -> Y")
    assert confounded.backdoor_adjustment_sets("X", "Y") == [frozenset({"Z"})]
    m_bias = CausalGraph("A -> X; A -> M; B -> M; B -> Y; X -> Y")
    sets = m_bias.backdoor_adjustment_sets("X", "Y")
    assert sets[0] == frozenset()
    assert not m_bias.satisfies_backdoor("X", "Y", ["M"])  # conditioning on the collider opens
    assert m_bias.satisfies_backdoor("X", "Y", ["M", "A"])
    mediator = CausalGraph("X -> M; M -> Y")
    assert not mediator.satisfies_backdoor("X", "Y", ["M"])  # a descendant of X
    bow = CausalGraph("X -> Y; X <-> Y")
    assert bow.backdoor_adjustment_sets("X", "Y") == []


def test_two_minimal_sets_smallest_first() -> None:
    g = CausalGraph("A -> B; B -> X; A -> Y; C -> X; C -> D; D -> Y; X -> Y")
    sets = g.backdoor_adjustment_sets("X", "Y")
    assert sets[0] in ({"A", "C"}, {"A", "D"}, {"B", "C"}, {"B", "D"})
    assert all(g.satisfies_backdoor("X", "Y", s) for s in sets)
    # minimal: no proper subset is valid
    for s in sets:
        for k in range(len(s)):
            for sub in itertools.combinations(sorted(s), k):
                assert not g.satisfies_backdoor("X", "Y", sub)


def test_backdoor_sets_are_complete_on_random_dags() -> None:
    rng = np.random.default_rng(3)
    for _ in range(40):
        d = 6
        names = [f"v{i}" for i in range(d)]
        edges = [
            (names[i], names[j]) for i in range(d) for j in range(i + 1, d) if rng.random() < 0.4
        ]
        g = CausalGraph(nodes=names, directed=edges)
        x, y = "v2", "v5"
        others = [n for n in names if n not in (x, y)]
        valid = [
            frozenset(s)
            for k in range(len(others) + 1)
            for s in itertools.combinations(others, k)
            if g.satisfies_backdoor(x, y, s)
        ]
        minimal = {s for s in valid if not any(v < s for v in valid)}
        # restricted to ancestors, as the enumeration does; a minimal set never needs other nodes
        assert set(g.backdoor_adjustment_sets(x, y)) == minimal


def test_frontdoor() -> None:
    fd = CausalGraph("X -> M; M -> Y; X <-> Y")
    assert fd.satisfies_frontdoor("X", "Y", ["M"])
    leaky = CausalGraph("X -> M; M -> Y; X -> Y; X <-> Y")
    assert not leaky.satisfies_frontdoor("X", "Y", ["M"])
    confounded_m = CausalGraph("X -> M; M -> Y; X <-> Y; M <-> Y")
    assert not confounded_m.satisfies_frontdoor("X", "Y", ["M"])
