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
from collections.abc import Mapping

from store.audit import redact

_installed = False


def _clean(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


def redact_every_record() -> None:
    """Install the redacting record factory once per process."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def redacted(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.msg = redact(record.msg) if isinstance(record.msg, str) else record.msg
        # Arguments keep their shape (uvicorn's access formatter unpacks them), each text redacted.
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:  # a traceback may quote a URL: format it now, redacted
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(redacted)
    _installed = True
