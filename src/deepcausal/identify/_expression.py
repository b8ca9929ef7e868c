"""The expression tree of an identified causal estimand: probabilities, sums, products and fractions.

Every :class:`Probability` term stands for a marginal or conditional of the *observational*
distribution ``P(V)``. A :class:`Sum` binds its variables in its body (lexical scoping), so the same
name may be free outside a sum and bound inside it, as in the front-door formula
``Σ_{M} P(M | X) Σ_{X'} P(Y | X', M) P(X')``; when printing, bound variables that shadow a visible
name are primed (``X'``).

Equality is structural and ignores order: the variables of a term and the factors of a product are
compared as (multi)sets.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

__all__ = ["ONE", "Expression", "Fraction", "One", "Probability", "Product", "Sum"]

_Style = Literal["text", "latex"]


def _names(items: Iterable[str], what: str) -> tuple[str, ...]:
    out = tuple(items)
    for name in out:
        if not isinstance(name, str) or not name:
            raise TypeError(f"{what} must be non-empty strings, got {name!r}")
    if len(set(out)) != len(out):
        raise ValueError(f"{what} must not repeat a name, got {out}")
    return out


class Expression(ABC):
    """Base class of the nodes of an estimand's expression tree."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    @abstractmethod
    def free_variables(self) -> frozenset[str]:
        """Variables not bound by a sum: the arguments of the function this expression denotes."""

    @property
    def all_variables(self) -> frozenset[str]:
        """Every variable name that occurs anywhere in the expression, free or bound."""
        return frozenset(v for term in self.terms() for v in (*term.variables, *term.given))

    @abstractmethod
    def children(self) -> tuple[Expression, ...]:
        """The direct sub-expressions."""

    @abstractmethod
    def _key(self) -> tuple[object, ...]:
        """A canonical, order-insensitive key used for equality and hashing."""

    def terms(self) -> Iterator[Probability]:
        """All probability terms, depth first, left to right."""
        for child in self.children():
            yield from child.terms()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """Readable plain text, e.g. ``Σ_{Z} P(Y | X, Z) P(Z)``."""
        return _render(self, "text")

    def to_latex(self) -> str:
        r"""LaTeX source, e.g. ``\sum_{Z} P(Y \mid X, Z) P(Z)``."""
        return _render(self, "latex")


class One(Expression):
    """The constant 1 (an empty product, or a distribution summed over all its variables)."""

    __slots__ = ()

    @property
    def free_variables(self) -> frozenset[str]:
        return frozenset()

    def children(self) -> tuple[Expression, ...]:
        return ()

    def _key(self) -> tuple[object, ...]:
        return ("1",)

    def __repr__(self) -> str:
        return "ONE"


ONE = One()


class Probability(Expression):
    """``P(variables | given)``: a marginal or conditional of the observational distribution.

    Args:
        variables: the random variables of the term (at least one).
        given: the conditioning variables, disjoint from ``variables``.

    >>> Probability(["Y"], ["X", "Z"])
    Probability(('Y',), given=('X', 'Z'))
    >>> print(Probability(["Y"], ["X", "Z"]))
    P(Y | X, Z)
    """

    __slots__ = ("given", "variables")

    def __init__(self, variables: Iterable[str], given: Iterable[str] = ()) -> None:
        vars_ = _names(variables, "probability variables")
        cond = _names(given, "conditioning variables")
        if not vars_:
            raise ValueError("a probability term needs at least one variable (use ONE for 1)")
        overlap = set(vars_) & set(cond)
        if overlap:
            raise ValueError(f"{sorted(overlap)} cannot be both a variable and a condition")
        self.variables: tuple[str, ...]
        self.given: tuple[str, ...]
        object.__setattr__(self, "variables", vars_)
        object.__setattr__(self, "given", cond)

    @property
    def free_variables(self) -> frozenset[str]:
        return frozenset(self.variables) | frozenset(self.given)

    def children(self) -> tuple[Expression, ...]:
        return ()

    def terms(self) -> Iterator[Probability]:
        yield self

    def _key(self) -> tuple[object, ...]:
        return ("P", frozenset(self.variables), frozenset(self.given))

    def __repr__(self) -> str:
        if self.given:
            return f"Probability({self.variables!r}, given={self.given!r})"
        return f"Probability({self.variables!r})"


class Sum(Expression):
    """``Σ_{over} body``: the body summed over every value of the variables ``over``.

    >>> print(Sum(["Z"], Product([Probability(["Y"], ["X", "Z"]), Probability(["Z"])])))
    Σ_{Z} P(Y | X, Z) P(Z)
    """

    __slots__ = ("body", "over")

    def __init__(self, over: Iterable[str], body: Expression) -> None:
        names = _names(over, "summation variables")
        if not names:
            raise ValueError("a sum needs at least one summation variable")
        if not isinstance(body, Expression):
            raise TypeError(f"the body of a sum must be an Expression, got {body!r}")
        self.over: tuple[str, ...]
        self.body: Expression
        object.__setattr__(self, "over", names)
        object.__setattr__(self, "body", body)

    @property
    def free_variables(self) -> frozenset[str]:
        return self.body.free_variables - frozenset(self.over)

    def children(self) -> tuple[Expression, ...]:
        return (self.body,)

    def _key(self) -> tuple[object, ...]:
        return ("Σ", frozenset(self.over), self.body._key())

    def __repr__(self) -> str:
        return f"Sum({self.over!r}, {self.body!r})"


class Product(Expression):
    """The product of its factors."""

    __slots__ = ("factors",)

    def __init__(self, factors: Sequence[Expression]) -> None:
        for f in factors:
            if not isinstance(f, Expression):
                raise TypeError(f"the factors of a product must be Expressions, got {f!r}")
        self.factors: tuple[Expression, ...]
        object.__setattr__(self, "factors", tuple(factors))

    @property
    def free_variables(self) -> frozenset[str]:
        return frozenset().union(*(f.free_variables for f in self.factors))

    def children(self) -> tuple[Expression, ...]:
        return self.factors

    def _key(self) -> tuple[object, ...]:
        counts = Counter(f._key() for f in self.factors)
        return ("Π", frozenset(counts.items()))

    def __repr__(self) -> str:
        return f"Product({list(self.factors)!r})"


class Fraction(Expression):
    """``numerator / denominator`` (a conditional normalisation, e.g. ``P'(y, z) / Σ_y P'(y, z)``)."""

    __slots__ = ("denominator", "numerator")

    def __init__(self, numerator: Expression, denominator: Expression) -> None:
        if not isinstance(numerator, Expression) or not isinstance(denominator, Expression):
            raise TypeError("numerator and denominator must be Expressions")
        self.numerator: Expression
        self.denominator: Expression
        object.__setattr__(self, "numerator", numerator)
        object.__setattr__(self, "denominator", denominator)

    @property
    def free_variables(self) -> frozenset[str]:
        return self.numerator.free_variables | self.denominator.free_variables

    def children(self) -> tuple[Expression, ...]:
        return (self.numerator, self.denominator)

    def _key(self) -> tuple[object, ...]:
        return ("/", self.numerator._key(), self.denominator._key())

    def __repr__(self) -> str:
        return f"Fraction({self.numerator!r}, {self.denominator!r})"


# ---------------------------------------------------------------------------------------- printing
_SIMPLE_LATEX = re.compile(r"([A-Za-z])(?:_?(\d+))?('*)")


def _latex_name(name: str) -> str:
    match = _SIMPLE_LATEX.fullmatch(name)
    if match:
        letter, index, primes = match.groups()
        return letter + (f"_{{{index}}}" if index else "") + primes
    stripped = name.rstrip("'")
    primes = name[len(stripped) :]
    escaped = "".join("\\" + c if c in "_&%$#{}" else c for c in stripped)
    escaped = escaped.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")
    escaped = escaped.replace("\\\\", r"\textbackslash{}")
    return rf"\mathrm{{{escaped}}}" + primes


class _Renderer:
    """Prints an expression, priming bound variables that shadow a name already in scope."""

    def __init__(self, expr: Expression, style: _Style) -> None:
        self.style = style
        self.taken: set[str] = set(expr.all_variables)

    def name(self, var: str, rename: dict[str, str]) -> str:
        shown = rename.get(var, var)
        return _latex_name(shown) if self.style == "latex" else shown

    def names(self, vars_: Sequence[str], rename: dict[str, str]) -> str:
        return ", ".join(self.name(v, rename) for v in vars_)

    def fresh(self, var: str, visible: set[str]) -> str:
        candidate = var + "'"
        while candidate in self.taken or candidate in visible:
            candidate += "'"
        return candidate

    def render(self, expr: Expression, scope: frozenset[str], rename: dict[str, str]) -> str:
        latex = self.style == "latex"
        if isinstance(expr, One):
            return "1"
        if isinstance(expr, Probability):
            head = self.names(expr.variables, rename)
            if not expr.given:
                return f"P({head})"
            bar = r" \mid " if latex else " | "
            return f"P({head}{bar}{self.names(expr.given, rename)})"
        if isinstance(expr, Sum):
            inner = dict(rename)
            visible = set(rename.values())
            for v in expr.over:
                if v in scope:
                    inner[v] = self.fresh(rename.get(v, v), visible)
                    visible.add(inner[v])
                else:
                    inner.pop(v, None)
            sigma = r"\sum" if latex else "Σ"
            body = self.render(expr.body, scope | frozenset(expr.over), inner)
            return f"{sigma}_{{{self.names(expr.over, inner)}}} {body}"
        if isinstance(expr, Product):
            parts: list[str] = []
            last = len(expr.factors) - 1
            for i, factor in enumerate(expr.factors):
                text = self.render(factor, scope, rename)
                needs_brackets = isinstance(factor, Product) or (
                    isinstance(factor, Sum) and i < last
                )
                if not latex and isinstance(factor, Fraction):
                    text = f"({text})"  # its own parts may already carry brackets
                elif needs_brackets:
                    text = rf"\left[{text}\right]" if latex else f"[{text}]"
                parts.append(text)
            return " ".join(parts) if parts else "1"
        if isinstance(expr, Fraction):
            num = self.render(expr.numerator, scope, rename)
            den = self.render(expr.denominator, scope, rename)
            if latex:
                return rf"\frac{{{num}}}{{{den}}}"
            compound = (Sum, Product, Fraction)
            if isinstance(expr.numerator, compound):
                num = f"[{num}]"
            if isinstance(expr.denominator, compound):
                den = f"[{den}]"
            return f"{num} / {den}"
        raise TypeError(f"cannot print {expr!r}")  # pragma: no cover - closed hierarchy


def _render(expr: Expression, style: _Style) -> str:
    return _Renderer(expr, style).render(expr, expr.free_variables, {})
