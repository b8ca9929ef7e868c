"""Parsing of the compact graph notation ``"Z -> X; X -> Y; X <-> Y; W"``."""

from __future__ import annotations

import re

from deepcausal.errors import GraphError

_TOKEN = re.compile(
    r"[ \t\r]*(?:(?P<arrow><->|->|<-|--)|(?P<sep>[;,\n])|(?P<name>[A-Za-z_][A-Za-z0-9_.\[\]]*)|\"(?P<quoted>[^\"]+)\")"
)

ParsedGraph = tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]


def _error(spec: str, pos: int, message: str) -> GraphError:
    line_start = spec.rfind("\n", 0, pos) + 1
    line_end = spec.find("\n", pos)
    line = spec[line_start : line_end if line_end >= 0 else len(spec)]
    caret = " " * (pos - line_start) + "^"
    return GraphError(
        f"cannot parse graph string at position {pos}: {message}\n  {line}\n  {caret}"
    )


def parse_graph(spec: str) -> ParsedGraph:
    """Parse ``spec`` into (nodes, directed edges, bidirected edges).

    Statements are separated by ``;``, ``,`` or new lines. A statement is a bare node name or a chain
    ``A -> B <- C <-> D``; ``<-`` is read as a reversed ``->``. Names are identifiers (letters, digits,
    ``_``, ``.``) or double-quoted strings.

    >>> parse_graph("Z -> X; X -> Y <-> Z; W")
    (['Z', 'X', 'Y', 'W'], [('Z', 'X'), ('X', 'Y')], [('Y', 'Z')])
    """
    if not isinstance(spec, str):
        raise GraphError(f"a graph string must be a str, got {type(spec).__name__}")
    nodes: dict[str, None] = {}
    directed: list[tuple[str, str]] = []
    bidirected: list[tuple[str, str]] = []

    pos = 0
    previous: str | None = None  # last node of the current statement
    pending: tuple[str, int] | None = None  # an arrow waiting for its right-hand node
    while pos < len(spec):
        if spec[pos:].strip(" \t\r") == "":
            break
        match = _TOKEN.match(spec, pos)
        if match is None:
            bad = len(spec[pos:]) - len(spec[pos:].lstrip(" \t\r"))
            at = pos + bad
            raise _error(spec, at, f"unexpected character {spec[at]!r}")
        start = match.start(match.lastgroup) if match.lastgroup else pos
        pos = match.end()
        if match.group("sep") is not None:
            if pending is not None:
                raise _error(spec, start, f"expected a node name after '{pending[0]}'")
            previous = None
            continue
        arrow = match.group("arrow")
        if arrow is not None:
            if arrow == "--":
                raise _error(
                    spec, start, "undirected edges '--' are not causal edges; use '->' or '<->'"
                )
            if previous is None:
                raise _error(spec, start, f"'{arrow}' needs a node name on its left")
            if pending is not None:
                raise _error(spec, start, f"two arrows in a row ('{pending[0]}' then '{arrow}')")
            pending = (arrow, start)
            continue
        name = match.group("name") or match.group("quoted")
        assert name is not None
        if previous is not None and pending is None:
            raise _error(spec, start, f"expected an arrow or ';' between {previous!r} and {name!r}")
        nodes.setdefault(name, None)
        if pending is not None:
            assert previous is not None
            kind = pending[0]
            if kind == "->":
                directed.append((previous, name))
            elif kind == "<-":
                directed.append((name, previous))
            else:
                bidirected.append((previous, name))
            pending = None
        previous = name
    if pending is not None:
        raise _error(spec, pending[1], f"'{pending[0]}' needs a node name on its right")
    return list(nodes), directed, bidirected
