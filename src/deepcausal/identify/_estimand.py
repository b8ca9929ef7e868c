"""The :class:`Estimand`: an identified causal query and the formula that computes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from deepcausal.identify._expression import Expression

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Estimand", "format_query"]


def format_query(
    outcome: Sequence[str], treatment: Sequence[str], given: Sequence[str] = (), latex: bool = False
) -> str:
    """``P(Y | do(X), Z)`` (or its LaTeX form) for the given roles.

    >>> format_query(["Y"], ["X"], ["Z"])
    'P(Y | do(X), Z)'
    """
    bar = r" \mid " if latex else " | "
    do = r"\mathrm{do}" if latex else "do"
    cond = f"{do}({', '.join(treatment)})" if treatment else ""
    if given:
        cond = ", ".join([cond, *given]) if cond else ", ".join(given)
    return f"P({', '.join(outcome)}{bar}{cond})" if cond else f"P({', '.join(outcome)})"


def _roles(names: Sequence[str], role: str) -> tuple[str, ...]:
    if isinstance(names, str):
        names = (names,)
    out = tuple(names)
    if not all(isinstance(n, str) and n for n in out):
        raise TypeError(f"{role} must be non-empty strings, got {out!r}")
    return out


class Estimand:
    """An identified query ``P(outcome | do(treatment), given)`` with the formula that computes it.

    Produced by :func:`deepcausal.identify.identify`. The formula is an expression tree over
    observational probabilities (:class:`Probability`, :class:`Sum`, :class:`Product`,
    :class:`Fraction`); it prints as text (``str``) and LaTeX (:meth:`to_latex`), and
    :meth:`evaluate` computes it by plug-in from discrete data.

    Args:
        expression: the formula.
        treatment: the intervened variables.
        outcome: the outcome variables (their order is the order of the result's index levels).
        given: the conditioning variables of a conditional query.
        order: variable order used to list :attr:`free_variables` (a topological order).

    Attributes:
        expression: the formula.
        treatment: the intervened variables.
        outcome: the outcome variables.
        given: the conditioning variables of a conditional query (empty otherwise).
        free_variables: variables the formula depends on (not bound by a sum), in graph order.
        auxiliary: free variables that are none of treatment, outcome or given. ID adds them when
            intervening on them cannot change the outcome once the treatment is fixed (line 3 of
            Shpitser & Pearl 2006, e.g. ``R`` in the napkin graph), so the formula's value does not
            depend on their value; :meth:`evaluate` averages over them unless told a value.

    Examples:
        >>> from deepcausal.graph import CausalGraph
        >>> from deepcausal.identify import identify
        >>> est = identify(CausalGraph("Z -> X; X -> Y; Z -> Y"), "X", "Y")
        >>> est
        Estimand('P(Y | do(X)) = Σ_{Z} P(Y | X, Z) P(Z)')
        >>> est.to_latex()
        '\\\\sum_{Z} P(Y \\\\mid X, Z) P(Z)'
        >>> est.free_variables
        ('X', 'Y')
    """

    __slots__ = ("_order", "expression", "free_variables", "given", "outcome", "treatment")

    def __init__(
        self,
        expression: Expression,
        *,
        treatment: Sequence[str],
        outcome: Sequence[str],
        given: Sequence[str] = (),
        order: Sequence[str] = (),
    ) -> None:
        if not isinstance(expression, Expression):
            raise TypeError(f"expression must be an Expression, got {type(expression).__name__}")
        self.expression = expression
        self.treatment = _roles(treatment, "treatment")
        self.outcome = _roles(outcome, "outcome")
        self.given = _roles(given, "given")
        self._order = tuple(order)
        rank = {n: i for i, n in enumerate(self._order)}
        self.free_variables: tuple[str, ...] = tuple(
            sorted(expression.free_variables, key=lambda n: (rank.get(n, len(rank)), n))
        )

    @property
    def auxiliary(self) -> tuple[str, ...]:
        """Free variables of the formula that are not treatment, outcome or given."""
        roles = {*self.treatment, *self.outcome, *self.given}
        return tuple(v for v in self.free_variables if v not in roles)

    @property
    def query(self) -> str:
        """The causal query in text, e.g. ``P(Y | do(X), Z)``."""
        return format_query(self.outcome, self.treatment, self.given)

    def to_text(self) -> str:
        """The formula as plain text, e.g. ``Σ_{Z} P(Y | X, Z) P(Z)``."""
        return self.expression.to_text()

    def to_latex(self) -> str:
        r"""The formula as LaTeX, e.g. ``\sum_{Z} P(Y \mid X, Z) P(Z)``."""
        return self.expression.to_latex()

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Estimand({self.query + ' = ' + self.to_text()!r})"

    def _key(self) -> tuple[object, ...]:
        return (
            self.expression,
            frozenset(self.treatment),
            self.outcome,
            frozenset(self.given),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Estimand):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def evaluate(
        self,
        data: pd.DataFrame,
        intervention: Mapping[str, Any],
        given_values: Mapping[str, Any] | None = None,
    ) -> pd.Series:
        """Compute the query by plug-in from discrete data (empirical frequencies).

        Every probability term is replaced by its empirical frequency in ``data``; sums run over the
        values observed in each column.

        Args:
            data: one row per unit, one column per variable of the formula (discrete values).
            intervention: a value for every treatment variable (and, optionally, for auxiliary
                variables; without one the result is averaged over their empirical distribution,
                using the values at which the formula is defined).
            given_values: a value for every conditioning variable of a conditional query.

        Returns:
            A Series of probabilities indexed by the outcome's observed values (a MultiIndex for
            several outcomes), summing to one.

        Raises:
            SchemaError: a missing column, or a treatment/conditioning value never observed.
            DataError: missing values (NaN), a missing or unknown intervention variable, or a
                term that conditions on an event with no rows (positivity fails); the message names
                the term and the values.

        Examples:
            >>> import pandas as pd
            >>> from deepcausal.graph import CausalGraph
            >>> from deepcausal.identify import identify
            >>> df = pd.DataFrame({"Z": [0, 0, 1, 1, 1, 0], "X": [0, 1, 0, 1, 1, 1],
            ...                    "Y": [0, 1, 1, 1, 0, 0]})
            >>> est = identify(CausalGraph("Z -> X; X -> Y; Z -> Y"), "X", "Y")
            >>> est.evaluate(df, {"X": 1}).round(4).tolist()
            [0.5, 0.5]
        """
        from deepcausal.identify._evaluate import evaluate

        return evaluate(self, data, intervention, given_values)
