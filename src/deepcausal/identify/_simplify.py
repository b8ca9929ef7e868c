"""Algebraic simplification of estimand expressions.

Every rule is an identity of probability calculus, valid for any distribution (positivity assumed
where a rule divides):

- ``Σ_∅ e = e``; ``Σ_A Σ_B e = Σ_{A∪B} e`` (disjoint A, B);
- ``Σ_A P(A, B | C) = P(B | C)`` (sum of a joint over some of its variables is a marginal);
- ``Σ_A f g = f Σ_A g`` when ``f`` does not mention ``A``; a summation variable that occurs in a single
  factor is summed inside that factor;
- ``Σ_A N / D = (Σ_A N) / D`` when ``D`` does not mention ``A``;
- ``P(A | B, C) P(B | C) = P(A, B | C)`` (the chain rule, read backwards);
- ``f N / (f D) = N / D`` (cancel a common factor); ``P(A, B | C) / P(B | C) = P(A | B, C)``;
- ``(a / b) / (c / d) = (a d) / (b c)``; a product or fraction with the constant 1 drops it.

Variables inside terms and the factors of a product are put in a canonical order for printing: the
order of the causal graph (topological), most downstream term first, sums last.
"""

from __future__ import annotations

from collections.abc import Sequence

from deepcausal.identify._expression import (
    ONE,
    Expression,
    Fraction,
    One,
    Probability,
    Product,
    Sum,
)

__all__ = ["simplify"]

_MAX_PASSES = 20


class _Simplifier:
    def __init__(self, order: Sequence[str], factor_order: Sequence[str]) -> None:
        self.rank: dict[str, int] = {name: i for i, name in enumerate(order)}
        self.topo: dict[str, int] = {name: i for i, name in enumerate(factor_order)}

    # ------------------------------------------------------------------------------ ordering
    def key(self, name: str) -> tuple[int, str]:
        return (self.rank.get(name, len(self.rank)), name)

    def sort(self, names: set[str] | frozenset[str] | Sequence[str]) -> tuple[str, ...]:
        return tuple(sorted(names, key=self.key))

    def factor_key(self, f: Expression) -> tuple[object, ...]:
        kind = 0 if isinstance(f, Probability) else 1 if isinstance(f, Fraction) else 2
        if isinstance(f, Probability):
            # most downstream head first: P(Y | X, Z) P(Z), as the formulas are usually written
            def rank(v: str) -> tuple[int, str]:
                return (-self.topo.get(v, len(self.topo)), v)

            return (kind, sorted(map(rank, f.variables)), sorted(map(rank, f.given)))
        return (kind, [], [], f.to_text())

    # ------------------------------------------------------------------------------ builders
    def prob(
        self, variables: set[str] | frozenset[str], given: set[str] | frozenset[str]
    ) -> Expression:
        if not variables:
            return ONE
        return Probability(self.sort(variables), self.sort(given))

    def product(self, factors: Sequence[Expression]) -> Expression:
        flat: list[Expression] = []
        for f in factors:
            if isinstance(f, Product):
                flat.extend(f.factors)
            elif not isinstance(f, One):
                flat.append(f)
        flat = self.merge_chain(flat)
        cancelled = self.cancel_into_fraction(flat)
        if cancelled is not None:
            return cancelled
        if not flat:
            return ONE
        if len(flat) == 1:
            return flat[0]
        return Product(sorted(flat, key=self.factor_key))

    def cancel_into_fraction(self, factors: list[Expression]) -> Expression | None:
        """``f · (N / (f D)) -> N / D``: a factor that cancels part of a fraction's denominator."""
        for i, frac in enumerate(factors):
            if not isinstance(frac, Fraction):
                continue
            den = frac.denominator
            den_factors = list(den.factors) if isinstance(den, Product) else [den]
            others = [f for k, f in enumerate(factors) if k != i]
            if any(f in den_factors for f in others):
                return self.fraction(self.product([*others, frac.numerator]), den)
        return None

    def merge_chain(self, factors: list[Expression]) -> list[Expression]:
        """``P(A | B, C) P(B | C) -> P(A, B | C)``, repeated while a pair matches."""
        changed = True
        while changed:
            changed = False
            for i, fi in enumerate(factors):
                if not isinstance(fi, Probability):
                    continue
                for j, fj in enumerate(factors):
                    if i == j or not isinstance(fj, Probability):
                        continue
                    if set(fi.given) == set(fj.variables) | set(fj.given):
                        merged = self.prob(set(fi.variables) | set(fj.variables), set(fj.given))
                        factors = [f for k, f in enumerate(factors) if k not in (i, j)]
                        factors.append(merged)
                        changed = True
                        break
                if changed:
                    break
        return factors

    def sum(self, over: set[str] | frozenset[str], body: Expression) -> Expression:
        over = frozenset(over)
        if not over:
            return body
        if isinstance(body, Sum) and not over & set(body.over):
            return self.sum(over | set(body.over), body.body)
        if isinstance(body, Probability):
            marg = over & set(body.variables)
            if marg:
                reduced = self.prob(set(body.variables) - marg, set(body.given))
                return self.sum(over - marg, reduced)
            return Sum(self.sort(over), body)
        if isinstance(body, Product):
            return self.sum_product(over, list(body.factors))
        if isinstance(body, Fraction) and not over & body.denominator.free_variables:
            return self.fraction(self.sum(over, body.numerator), body.denominator)
        return Sum(self.sort(over), body)

    def sum_product(self, over: frozenset[str], factors: list[Expression]) -> Expression:
        outside = [f for f in factors if not f.free_variables & over]
        inside = [f for f in factors if f.free_variables & over]
        if outside:
            return self.product([*outside, self.sum(over, self.product(inside))])
        # A summation variable met by one factor only is summed inside that factor.
        for idx, f in enumerate(inside):
            others = frozenset().union(
                *(g.free_variables for k, g in enumerate(inside) if k != idx)
            )
            own = (over & f.free_variables) - others
            if isinstance(f, Probability):
                own &= set(f.variables)
            if not own or (own == over and len(inside) == 1):
                continue
            pushed = self.sum(own, f)
            rest = [pushed if k == idx else g for k, g in enumerate(inside)]
            return self.sum(over - own, self.product(rest))
        if len(inside) == 1:
            return self.sum(over, inside[0])
        return Sum(self.sort(over), self.product(inside))

    def fraction(self, num: Expression, den: Expression) -> Expression:
        if isinstance(den, One):
            return num
        if num == den:
            return ONE
        if isinstance(num, Fraction):
            return self.fraction(num.numerator, self.product([num.denominator, den]))
        if isinstance(den, Fraction):
            return self.fraction(self.product([num, den.denominator]), den.numerator)
        nf = list(num.factors) if isinstance(num, Product) else [num]
        df = list(den.factors) if isinstance(den, Product) else [den]
        for d in list(df):
            if d in nf:
                nf.remove(d)
                df.remove(d)
                return self.fraction(self.product(nf), self.product(df))
        # P(A, B | C) / P(B | C) = P(A | B, C)
        for di, d in enumerate(df):
            if not isinstance(d, Probability):
                continue
            for ni, n in enumerate(nf):
                if (
                    isinstance(n, Probability)
                    and set(n.given) == set(d.given)
                    and set(d.variables) < set(n.variables)
                ):
                    cond = self.prob(
                        set(n.variables) - set(d.variables), set(d.variables) | set(d.given)
                    )
                    nf = [cond if k == ni else g for k, g in enumerate(nf)]
                    df = [g for k, g in enumerate(df) if k != di]
                    return self.fraction(self.product(nf), self.product(df))
        return Fraction(num, den)

    # ------------------------------------------------------------------------------ one pass
    def run(self, expr: Expression) -> Expression:
        if isinstance(expr, One):
            return expr
        if isinstance(expr, Probability):
            return self.prob(set(expr.variables), set(expr.given))
        if isinstance(expr, Sum):
            return self.sum(frozenset(expr.over), self.run(expr.body))
        if isinstance(expr, Product):
            return self.product([self.run(f) for f in expr.factors])
        if isinstance(expr, Fraction):
            return self.fraction(self.run(expr.numerator), self.run(expr.denominator))
        raise TypeError(f"cannot simplify {expr!r}")  # pragma: no cover - closed hierarchy


def simplify(
    expr: Expression,
    order: Sequence[str] = (),
    factor_order: Sequence[str] | None = None,
) -> Expression:
    """Apply the rules of this module until nothing changes.

    Args:
        expr: the expression.
        order: variable names in the order used to list them inside terms and sums; names not
            listed come after, alphabetically.
        factor_order: a topological order of the graph, used to sort the factors of products
            (most downstream first, sums last); defaults to ``order``.

    Returns:
        An equal (as a function of its free variables) and usually smaller expression.

    >>> from deepcausal.identify._expression import Probability, Product, Sum
    >>> e = Sum(["W", "Z"], Product([Probability(["Y"], ["X", "Z"]), Probability(["Z", "W"])]))
    >>> print(simplify(e, ["X", "Z", "W", "Y"]))
    Σ_{Z} P(Y | X, Z) P(Z)
    """
    simplifier = _Simplifier(order, order if factor_order is None else factor_order)
    current = expr
    for _ in range(_MAX_PASSES):
        nxt = simplifier.run(current)
        if nxt == current and nxt.to_text() == current.to_text():
            return nxt
        current = nxt
    return current
