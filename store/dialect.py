r"""The two SQL dialects of the store: the store writes DuckDB's, this module turns it into PostgreSQL's.

One SQL text serves both backends where the dialects agree; :func:`to_postgres` rewrites the few
spellings that differ, token by token (string literals, quoted names and comments are never touched):

==========================================  ===================================================================
DuckDB (as written in ``store/``)           PostgreSQL
==========================================  ===================================================================
``?`` / ``$name`` parameters                ``%s`` / ``%(name)s`` (a literal ``%`` becomes ``%%``)
``DOUBLE``                                  ``DOUBLE PRECISION``
``HUGEINT``                                 ``NUMERIC``
``[a, b]`` / ``[]`` (list literals)         ``ARRAY[a, b]`` / ``'{}'``
``list_contains(list, x)``                  ``(x = ANY(list))``
``contains(text, part)``                    ``(strpos(text, part) > 0)``
``list_position(list, x)``                  ``array_position(list, x)``
``len(list)``                               ``cardinality(list)``
``list(x …)`` (aggregate)                   ``array_agg(x …)``
``median(x)``                               ``percentile_cont(0.5) WITHIN GROUP (ORDER BY x)``
``quantile_cont(x, q)``                     ``percentile_cont(q) WITHIN GROUP (ORDER BY x)``
``arg_max(a, b)`` / ``max_by``              ``(array_agg(a ORDER BY b DESC) FILTER (WHERE b IS NOT NULL))[1]``
``arg_min(a, b)`` / ``min_by``              the same, ascending
``any_value(x)``                            ``(array_agg(x) FILTER (WHERE x IS NOT NULL))[1]`` (PostgreSQL 15)
``json_extract_string(j, '$.k')``           ``(j::json ->> 'k')``
``regexp_full_match(s, p)``                 ``(s ~ ('^(?:' || p || ')$'))``
``regexp_extract(s, p, g)``                 ``(regexp_match(s, p))[g]``
``strftime(d, '%Y-%m')``                    ``to_char(d, 'YYYY-MM')`` (a literal format only)
``FROM (SELECT …)`` (no alias)              ``FROM (SELECT …) AS _subquery_1``
``month(d)`` / ``quarter(d)`` / ``year(d)``  ``extract(month FROM d)::INTEGER`` …
``range(a, b)`` (a list)                    ``ARRAY(SELECT generate_series(a, (b) - 1))``
``from_json(j, '["VARCHAR"]')``              ``ARRAY(SELECT json_array_elements_text((j)::json))`` (``JSON``: …_elements)
``TRY_CAST(x AS INTEGER)``                  ``(CASE WHEN (x) ~ '^\s*[-+]?[0-9]+\s*$' THEN (x)::INTEGER END)``
``a // b`` (integers)                       ``a / b``
``to_months(n)`` / ``to_days(n)``            ``make_interval(months => n)`` / ``make_interval(days => n)``
``INTERVAL 1 DAY``                          ``INTERVAL '1 DAY'``
==========================================  ===================================================================

What no rewrite can carry (``QUALIFY``, ``SELECT * EXCLUDE``, ``UNPIVOT``, ``from_json``, ``TRY_CAST``)
is written twice, explicitly, at its one place of use: ``pick(cur, duckdb=…, postgres=…)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

DUCKDB = "duckdb"
POSTGRES = "postgres"

# One token of SQL that is never rewritten: a string literal ('' escapes a quote), a quoted name, or a comment.
_OPAQUE = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)
_MASK = "\x00{}\x00"
_MASKED = re.compile("\x00(\\d+)\x00")
_PARAM = re.compile(r"\?|\$([A-Za-z_][A-Za-z0-9_]*)")
_TYPES = ((re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.I), "DOUBLE PRECISION"),
          (re.compile(r"\bHUGEINT\b", re.I), "NUMERIC"),
          (re.compile(r"//"), "/"),  # DuckDB's integer division; PostgreSQL's / of integers is one
          (re.compile(r"\bINTERVAL\s+(\d+)\s+(DAY|MONTH|YEAR)S?\b", re.I), r"INTERVAL '\1 \2'"))
# The word before a ``[``: a subscript follows a name, ``)`` or ``]``; a list literal follows anything else,
# these keywords included.
_BEFORE_BRACKET = re.compile(r"([\w)\]]*)\s*$")
_KEYWORDS = frozenset({"select", "then", "else", "in", "values", "and", "or", "when", "return"})
_STRFTIME = {"%Y": "YYYY", "%m": "MM", "%d": "DD", "%H": "HH24", "%M": "MI", "%S": "SS"}


def dialect_of(cur: object) -> str:
    """The dialect a cursor speaks (a PostgreSQL cursor says so; anything else is DuckDB's)."""
    return getattr(cur, "dialect", DUCKDB)


def pick(cur: object, *, duckdb: str, postgres: str) -> str:
    """The SQL text for this cursor's dialect, where one text cannot serve both (see the module's table)."""
    return postgres if dialect_of(cur) == POSTGRES else duckdb


def _split_args(text: str, start: int) -> tuple[list[str], int]:
    """The top-level comma-separated arguments of the call whose ``(`` is at ``start``, and the index after ``)``."""
    depth, args, begin = 0, [], start + 1
    for i in range(start, len(text)):
        char = text[i]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i].strip())
                return args, i + 1
        elif char == "," and depth == 1:
            args.append(text[begin:i].strip())
            begin = i + 1
    raise ValueError(f"unbalanced parentheses in SQL: {text[start:start + 80]!r}")


def _array_value(arg: str) -> str:
    """A list argument as an array value: ``ANY((SELECT list …))`` would compare with each row, not each element."""
    return f"coalesce({arg})" if arg.startswith("(") else arg


def _literal(literals: list[str], text: str) -> str:
    """A literal a rewrite adds, masked like the statement's own (so ``?`` or ``%`` in it is never a parameter)."""
    literals.append(text)
    return _MASK.format(len(literals) - 1)


def _arg_extreme(descending: bool) -> Callable[[list[str], list[str]], str]:
    order = "DESC" if descending else "ASC"
    return lambda a, _: f"(array_agg({a[0]} ORDER BY {a[1]} {order}) FILTER (WHERE {a[1]} IS NOT NULL))[1]"


def _strftime(args: list[str], literals: list[str]) -> str:
    match = _MASKED.fullmatch(args[1])
    if not match:
        raise ValueError("strftime on PostgreSQL needs a literal format")
    literal = literals[int(match.group(1))]
    for duck, pg in _STRFTIME.items():
        literal = literal.replace(duck, pg)
    return f"to_char({args[0]}, {_literal(literals, literal)})"


_ANCHORS = ("'^(?:'", "')$'")
_DIGITS = "'^\\s*[-+]?[0-9]+\\s*$'"


def _full_match(args: list[str], literals: list[str]) -> str:
    start, end = (_literal(literals, anchor) for anchor in _ANCHORS)
    return f"({args[0]} ~ ({start} || {args[1]} || {end}))"


def _from_json(args: list[str], literals: list[str]) -> str:
    match = _MASKED.fullmatch(args[1])
    shape = literals[int(match.group(1))] if match else ""
    if shape not in ("""'["VARCHAR"]'""", """'["JSON"]'"""):
        raise ValueError("from_json on PostgreSQL takes a list of VARCHAR or of JSON")
    elements = "json_array_elements_text" if "VARCHAR" in shape else "json_array_elements"
    return f"ARRAY(SELECT {elements}(({args[0]})::json))"


def _try_cast(args: list[str], literals: list[str]) -> str:
    value, _as, kind = args[0].rpartition(" AS ")
    if kind.strip().upper() not in ("INTEGER", "BIGINT"):
        raise ValueError("TRY_CAST on PostgreSQL: to INTEGER or BIGINT only")
    return f"(CASE WHEN ({value}) ~ {_literal(literals, _DIGITS)} THEN ({value})::{kind.strip()} END)"


def _quoted(key: str) -> str:
    return "'" + key.replace("'", "''") + "'"


def _json_path(args: list[str], literals: list[str]) -> str:
    match = _MASKED.fullmatch(args[1])
    path = literals[int(match.group(1))] if match else ""
    if not path.startswith("'$.") or "." in path[3:-1] or "[" in path:
        raise ValueError("json_extract_string on PostgreSQL takes a literal '$.key' path")
    return f"({args[0]}::json ->> {_literal(literals, _quoted(path[3:-1]))})"


_FUNCTIONS: dict[str, Callable[[list[str], list[str]], str]] = {
    "list_contains": lambda a, _: f"({a[1]} = ANY({_array_value(a[0])}))",
    "contains": lambda a, _: f"(strpos({a[0]}, {a[1]}) > 0)",
    "list_position": lambda a, _: f"array_position({a[0]}, {a[1]})",
    "len": lambda a, _: f"cardinality({a[0]})",
    "list": lambda a, _: f"array_agg({', '.join(a)})",
    "median": lambda a, _: f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {a[0]})",
    "quantile_cont": lambda a, _: f"percentile_cont({a[1]}) WITHIN GROUP (ORDER BY {a[0]})",
    "arg_max": _arg_extreme(True),
    "max_by": _arg_extreme(True),
    "arg_min": _arg_extreme(False),
    "min_by": _arg_extreme(False),
    "any_value": lambda a, _: f"(array_agg({a[0]}) FILTER (WHERE {a[0]} IS NOT NULL))[1]",
    "json_extract_string": _json_path,
    "regexp_full_match": _full_match,
    "regexp_extract": lambda a, _: f"(regexp_match({a[0]}, {a[1]}))[{a[2] if len(a) > 2 else 1}]",
    "strftime": _strftime,
    "range": lambda a, _: f"ARRAY(SELECT generate_series({a[0]}, ({a[1]}) - 1))",
    "from_json": _from_json,
    "try_cast": _try_cast,
    "to_months": lambda a, _: f"make_interval(months => {a[0]})",
    "to_days": lambda a, _: f"make_interval(days => {a[0]})",
    "month": lambda a, _: f"extract(month FROM {a[0]})::INTEGER",
    "quarter": lambda a, _: f"extract(quarter FROM {a[0]})::INTEGER",
    "year": lambda a, _: f"extract(year FROM {a[0]})::INTEGER",
}
_CALL = re.compile(r"(?<![\w.])(" + "|".join(_FUNCTIONS) + r")\s*\(", re.I)


def _rewrite_calls(code: str, literals: list[str]) -> str:
    """Rewrite every call of a function in :data:`_FUNCTIONS`, innermost arguments included."""
    out, pos = [], 0
    while match := _CALL.search(code, pos):
        args, end = _split_args(code, match.end() - 1)
        args = [_rewrite_calls(arg, literals) for arg in args]
        out.append(code[pos:match.start()])
        out.append(_FUNCTIONS[match.group(1).lower()](args, literals))
        pos = end
    out.append(code[pos:])
    return "".join(out)


def _list_literals(code: str) -> str:
    """``[a, b]`` (DuckDB's list literal) → ``ARRAY[a, b]``; subscripts ``x[1]`` stay as they are."""
    out, pos = [], 0
    for index in (i for i, char in enumerate(code) if char == "["):
        word = _BEFORE_BRACKET.search(code, 0, index).group(1)
        if word and word.lower() not in _KEYWORDS:
            continue
        out.append(code[pos:index])
        empty = re.match(r"\[\s*\]", code[index:])
        out.append("'{}'" if empty else "ARRAY[")  # an empty list takes its type from where it is used
        pos = index + (empty.end() if empty else 1)
    out.append(code[pos:])
    return "".join(out)


_SUBQUERY = re.compile(r"\b(FROM|JOIN)\s*\(\s*(SELECT|WITH|VALUES)\b", re.I)
_ALIASED = re.compile(r"\s*(AS\b|(?!(WHERE|GROUP|ORDER|JOIN|LEFT|RIGHT|INNER|FULL|CROSS|ON|USING|UNION|EXCEPT|"
                      r"INTERSECT|LIMIT|OFFSET|HAVING|WINDOW|QUALIFY|NATURAL|POSITIONAL)\b)[A-Za-z_])", re.I)


def _alias_subqueries(code: str) -> str:
    """``FROM (SELECT …)`` without a name gets one: PostgreSQL 15 requires it, DuckDB does not."""
    ends = []
    for match in _SUBQUERY.finditer(code):
        _, end = _split_args(code, code.index("(", match.start()))
        if not _ALIASED.match(code, end):
            ends.append(end)
    for count, end in enumerate(sorted(ends, reverse=True), start=1):  # from the right: positions stay valid
        code = f"{code[:end]} AS _subquery_{count}{code[end:]}"
    return code


def to_postgres(sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> str:
    """The PostgreSQL text of a DuckDB statement, with psycopg placeholders when ``params`` is given.

    Without parameters psycopg reads the text as it is (a ``%`` stays single); with them, every
    ``%`` outside a placeholder is doubled, literals included.
    """
    literals: list[str] = []

    def mask(match: re.Match[str]) -> str:
        token = match.group(0)
        if token.startswith(("--", "/*")):
            return " "
        literals.append(token)
        return _MASK.format(len(literals) - 1)

    code = _OPAQUE.sub(mask, sql)
    code = _alias_subqueries(_list_literals(_rewrite_calls(code, literals)))
    for pattern, replacement in _TYPES:
        code = pattern.sub(replacement, code)
    if params is not None:
        code = code.replace("%", "%%")
        code = _PARAM.sub(lambda m: "%s" if m.group(0) == "?" else f"%({m.group(1)})s", code)
        literals = [literal.replace("%", "%%") for literal in literals]
    return _MASKED.sub(lambda m: literals[int(m.group(1))], code)
