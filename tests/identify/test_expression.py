"""The estimand expression tree: construction, printing, equality and simplification rules."""

from __future__ import annotations

import pytest

from deepcausal.identify import (
    ONE,
    Expression,
    Fraction,
    One,
    Probability,
    Product,
    Sum,
    simplify,
)


def P(variables: str, given: str = "") -> Probability:
    return Probability(variables.split(), given.split())


BACKDOOR = Sum(["Z"], Product([P("Y", "X Z"), P("Z")]))
FRONTDOOR = Sum(["M"], Product([P("M", "X"), Sum(["X"], Product([P("Y", "X M"), P("X")]))]))


def test_text_and_latex_printing() -> None:
    assert str(P("Y", "X Z")) == "P(Y | X, Z)"
    assert str(P("X Y")) == "P(X, Y)"
    assert str(BACKDOOR) == "Σ_{Z} P(Y | X, Z) P(Z)"
    assert BACKDOOR.to_latex() == r"\sum_{Z} P(Y \mid X, Z) P(Z)"
    assert str(ONE) == "1"
    frac = Fraction(Sum(["W"], Product([P("X Y", "R W"), P("W")])), P("X", "R"))
    assert str(frac) == "[Σ_{W} P(X, Y | R, W) P(W)] / P(X | R)"
    assert frac.to_latex() == r"\frac{\sum_{W} P(X, Y \mid R, W) P(W)}{P(X \mid R)}"


def test_bound_variables_that_shadow_free_ones_are_primed() -> None:
    assert str(FRONTDOOR) == "Σ_{M} P(M | X) Σ_{X'} P(Y | X', M) P(X')"
    assert FRONTDOOR.to_latex() == r"\sum_{M} P(M \mid X) \sum_{X'} P(Y \mid X', M) P(X')"
    # a sum that is not the last factor is bracketed so its scope is unambiguous
    two_sums = Product([Sum(["A"], P("A B")), Sum(["C"], P("C B"))])
    assert str(two_sums) == "[Σ_{A} P(A, B)] Σ_{C} P(C, B)"
    # the prime is chosen so it does not collide with a real variable called X'
    tricky = Product([P("X'", "X"), Sum(["X"], P("Y X"))])
    assert str(tricky) == "P(X' | X) Σ_{X''} P(Y, X'')"


def test_latex_names() -> None:
    assert P("x1", "age_group").to_latex() == r"P(x_{1} \mid \mathrm{age\_group})"
    assert P("Y_2").to_latex() == "P(Y_{2})"


def test_free_and_all_variables() -> None:
    assert FRONTDOOR.free_variables == {"X", "Y"}
    assert FRONTDOOR.all_variables == {"X", "Y", "M"}
    assert [str(t) for t in FRONTDOOR.terms()] == ["P(M | X)", "P(Y | X, M)", "P(X)"]
    assert ONE.free_variables == frozenset()


def test_equality_ignores_order_and_repr_round_trips() -> None:
    assert P("A B", "C D") == P("B A", "D C")
    assert hash(P("A B", "C D")) == hash(P("B A", "D C"))
    assert P("A", "B") != P("B", "A")
    assert Product([P("A"), P("B")]) == Product([P("B"), P("A")])
    assert Product([P("A"), P("A")]) != Product([P("A")])
    assert Sum(["A", "B"], P("A B")) == Sum(["B", "A"], P("A B"))
    assert Fraction(P("A"), P("B")) != Fraction(P("B"), P("A"))
    assert P("A") != "P(A)"
    namespace = {"Probability": Probability, "Sum": Sum, "Product": Product, "ONE": ONE}
    assert eval(repr(FRONTDOOR), namespace) == FRONTDOOR
    assert isinstance(ONE, One) and repr(ONE) == "ONE"


def test_nodes_are_immutable() -> None:
    term = P("Y", "X")
    with pytest.raises(AttributeError, match="immutable"):
        term.variables = ("Z",)
    with pytest.raises(AttributeError, match="immutable"):
        del BACKDOOR.body


def test_invalid_nodes_are_refused() -> None:
    with pytest.raises(ValueError, match="both a variable and a condition"):
        Probability(["A"], ["A"])
    with pytest.raises(ValueError, match="at least one variable"):
        Probability([])
    with pytest.raises(ValueError, match="repeat"):
        Probability(["A", "A"])
    with pytest.raises(TypeError, match="non-empty strings"):
        Probability([""])
    with pytest.raises(ValueError, match="at least one summation variable"):
        Sum([], P("A"))
    with pytest.raises(TypeError, match="Expression"):
        Product([P("A"), "P(B)"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="Expression"):
        Sum(["A"], "P(A)")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Expression"):
        Fraction(P("A"), 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # sum of a joint over some of its variables -> marginal
        (Sum(["A"], P("A B", "C")), P("B", "C")),
        (Sum(["A", "B"], P("A B")), ONE),
        # nested sums merge, then marginalise
        (Sum(["A"], Sum(["B"], P("A B C"))), P("C")),
        # a factor without the summation variable moves out; the rest sums to one
        (Sum(["B"], Product([P("A"), P("B", "A")])), P("A")),
        # chain rule backwards
        (Product([P("A", "B C"), P("B", "C")]), P("A B", "C")),
        (Product([P("A", "B C"), P("B", "C"), P("C")]), P("A B C")),
        # cancel a common factor; conditional from a ratio
        (Fraction(Product([P("A"), P("B", "A")]), P("A")), P("B", "A")),
        (Fraction(P("A B", "C"), P("B", "C")), P("A", "B C")),
        (Fraction(P("A B"), P("A B")), ONE),
        (Fraction(P("A"), ONE), P("A")),
        # fraction of fractions; a factor cancelling a fraction's denominator
        (Fraction(Fraction(P("A B"), P("C")), Fraction(P("B"), P("C"))), P("A", "B")),
        (Product([P("B"), Fraction(P("A B"), P("B"))]), P("A B")),
        # a sum over the numerator only, when the denominator does not involve it
        (Sum(["A"], Fraction(P("A B"), P("B"))), ONE),
        # products drop the constant one and unwrap single factors
        (Product([ONE, P("A")]), P("A")),
        (Product([]), ONE),
    ],
    ids=lambda e: str(e),
)
def test_simplification_rules(before: Expression, after: Expression) -> None:
    assert simplify(before) == after


def test_simplify_keeps_adjustment_formulas_and_is_idempotent() -> None:
    assert simplify(BACKDOOR, ["X", "Z", "Y"]) == BACKDOOR
    assert str(simplify(BACKDOOR, ["X", "Z", "Y"])) == "Σ_{Z} P(Y | X, Z) P(Z)"
    once = simplify(FRONTDOOR, ["X", "M", "Y"])
    assert once == FRONTDOOR
    assert simplify(once, ["X", "M", "Y"]) == once


def test_simplify_orders_terms_for_printing() -> None:
    messy = Product([P("Z"), P("Y", "Z X")])
    assert str(simplify(messy, ["X", "Z", "Y"])) == "P(Y | X, Z) P(Z)"
    assert str(simplify(messy, ["Z", "X", "Y"])) == "P(Y | Z, X) P(Z)"
