"""Logs without tokens: every log record of the process is redacted as it is made (``store.audit.redact``).

uvicorn's access log writes the request path with its query string (``/?link=TOKEN``); Streamlit
installs its own handlers on uvicorn's loggers, and may replace them when its configuration changes,
so a filter on a handler could be lost. The record factory is below every logger and handler: the
message is folded with its arguments and redacted before any handler sees it, so neither a
``link=``/``token=`` parameter nor any token-shaped text is written. uvicorn never logs request
headers, so ``Authorization`` is never written either.
"""

from __future__ import annotations

import logging

from store.audit import redact

_installed = False


def redact_every_record() -> None:
    """Install the redacting record factory once per process."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def redacted(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: keep its raw text, redacted
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:  # a traceback may quote a URL: format it now, redacted
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(redacted)
    _installed = True
