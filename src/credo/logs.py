"""Credo's log lines: one format for Credo's and uvicorn's loggers, ``json`` or ``text``.

``json`` writes one object per line (``time``, ``level``, ``logger``, ``message``, and the
structured fields a line carries: an access line's ``method``, ``route``, ``status``,
``duration_ms``, ``correlation_id``, ``tenant``, ``client_id``; a refusal's ``aadsts``), as
log shippers expect. ``text`` is for a terminal. uvicorn's own access log is off: Credo's
(``credo.web.access``) replaces it. docs/operations.md lists the fields.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

FIELDS = ("method", "route", "status", "duration_ms", "correlation_id", "tenant", "client_id",
          "aadsts")
"""Structured fields a line may carry (``extra=`` of the logging call)."""
TEXT = "%(levelname)s:     %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line; exceptions as ``exception`` text."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT)


def configure(level: str, log_format: str) -> None:
    """Credo's loggers to stderr in ``log_format`` (each worker calls it once). Neither format
    shows thread or process names or the calling line, so records do not look them up (a
    few µs a line; ``_srcfile`` is the switch the logging HOWTO's "Optimization" names)."""
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    logger = logging.getLogger("credo")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def uvicorn_config(level: str, log_format: str) -> dict[str, Any]:
    """uvicorn's ``log_config``: its loggers in the same format; no access logger."""
    chosen = ({"()": "credo.logs.JsonFormatter"} if log_format == "json"
              else {"format": TEXT})
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"credo": chosen},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "credo",
                                "stream": "ext://sys.stderr"}},
        "loggers": {"uvicorn": {"handlers": ["stderr"], "level": level.upper(),
                                "propagate": False},
                    "uvicorn.error": {"level": level.upper()},
                    "uvicorn.access": {"handlers": [], "level": "WARNING",
                                       "propagate": False}},
    }
