"""Keep share tokens out of the server's logs.

Streamlit's server writes no access log (so URLs with ``?link=…`` are not logged), but a
traceback or a warning may still quote a URL or a token. This filter rewrites every record
that reaches the root logger's, Streamlit's or uvicorn's handlers through ``store.audit.redact``.
"""

from __future__ import annotations

import logging

from store.audit import redact

LOGGERS = ("", "streamlit", "uvicorn", "uvicorn.error", "uvicorn.access", "tornado", "starlette")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a badly formed record is left as it is
            return True
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactTokens()


def install() -> None:
    """Attach the filter to the loggers and handlers that exist now (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
