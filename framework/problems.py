"""What can be wrong with a framework, as typed problems that render in French, Arabic or English.

A ``Problem`` is a ``str`` holding its English text (what logs and ``str(error)`` show), plus a
stable ``code`` and its parameters, so the Framework page and the command lines show it in the
reader's language (``framework.problem.<code>`` in the catalogues). Validators raise
``Inconsistent`` with every problem they found; ``FrameworkError`` gathers them for the caller.
"""

from __future__ import annotations

from typing import Any

from i18n import t

#: Pydantic's error types that have a template of their own; any other type keeps Pydantic's text.
PYDANTIC_TYPES = frozenset(
    {
        "missing", "extra_forbidden", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
        "enum", "literal_error", "string_too_short", "string_pattern_mismatch", "float_parsing", "float_type",
        "int_parsing", "int_type", "int_from_float", "string_type", "bool_parsing", "bool_type", "dict_type",
        "tuple_type", "list_type", "model_type",
    }
)


class Problem(str):
    """One problem, English as a string; ``text(lang)`` in any language of the catalogues."""

    code: str
    params: dict[str, str]
    where: str

    def __new__(cls, code: str, /, *, where: str = "", english: str | None = None, **params: Any) -> Problem:
        texts = {key: _shown(value) for key, value in params.items()}
        body = english if english is not None else t(f"framework.problem.{code}", "en", **texts)
        problem = super().__new__(cls, f"{where}: {body}" if where else body)
        problem.code, problem.params, problem.where = code, texts, where
        return problem

    def text(self, lang: str) -> str:
        body = t(f"framework.problem.{self.code}", lang, **self.params)
        return f"{self.where}: {body}" if self.where else body

    def located(self, where: str) -> Problem:
        """The same problem, placed under ``where`` (the path of the object it was found in)."""
        inner = f"{where}.{self.where}" if where and self.where else where or self.where
        return Problem(self.code, where=inner, english=str(self).removeprefix(f"{self.where}: "), **self.params)


class Inconsistent(ValueError):
    """Raised by the models' validators with every problem found (Pydantic keeps it in the error's context)."""

    def __init__(self, *problems: Problem):
        self.problems = list(problems)
        super().__init__("; ".join(problems))


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def from_pydantic(error: dict[str, Any]) -> list[Problem]:
    """Problems from one entry of ``ValidationError.errors()``."""
    where = ".".join(str(p) for p in error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, Inconsistent):
        return [p.located(where) for p in cause.problems]
    english = error["msg"].removeprefix("Value error, ")
    kind = error["type"]
    if kind not in PYDANTIC_TYPES:
        return [Problem("invalid_value", where=where, english=english, message=english)]
    context = {key: _shown(value) for key, value in (error.get("ctx") or {}).items()}
    return [Problem(f"field_{kind}", where=where, english=english, **context)]
