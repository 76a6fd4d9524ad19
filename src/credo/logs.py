"""Credo's log lines: one format for Credo's and uvicorn's loggers, ``json`` or ``text``.

``json`` writes one object per line (``time``, ``level``, ``logger``, ``message``, and the
structured fields a line carries: an access line's ``method``, ``route``, ``status``,
``duration_ms``, ``correlation_id``, ``tenant``, ``client_id``; a refusal's ``aadsts``), as
log shippers expect. ``text`` is for a terminal. uvicorn's own access log is off: Credo's
(``credo.web.access``) replaces it. docs/operations.md lists the fields.

``write_direct`` writes an info line without a ``LogRecord`` when the handler ``configure``
installed is the only place it can go: the access line, one per request, spent about 4% of
a token's CPU in ``logging``'s general machinery (bench/README.md). The line is the one
the handler would have written; anything else attached (a handler, a filter, another
formatter, a level) sends it through ``logging`` as before.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any, TextIO

FIELDS = ("method", "route", "status", "duration_ms", "correlation_id", "tenant", "client_id",
          "aadsts")
"""Structured fields a line may carry (``extra=`` of the logging call)."""
TEXT = "%(levelname)s:     %(name)s: %(message)s"


def _entry(created: float, level: str, name: str, message: str,
           fields: Mapping[str, Any]) -> dict[str, Any]:
    msecs = int((created - int(created)) * 1000)  # as LogRecord computes ``msecs``
    entry: dict[str, Any] = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{msecs:03d}Z",
        "level": level.lower(), "logger": name, "message": message}
    for key in FIELDS:
        value = fields.get(key)
        if value is not None:
            entry[key] = value
    return entry


class JsonFormatter(logging.Formatter):
    """One JSON object per line; exceptions as ``exception`` text."""

    def format(self, record: logging.LogRecord) -> str:
        entry = _entry(record.created, record.levelname, record.name, record.getMessage(),
                       record.__dict__)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT)


_own: list[tuple[logging.StreamHandler[TextIO], logging.Formatter, bool]] = []
"""The handler ``configure`` installed, its formatter, and whether that writes JSON."""


def write_direct(logger: logging.Logger, message: str, fields: Mapping[str, Any]) -> bool:
    """Write ``message`` at INFO for ``logger`` (a child of ``credo`` with no handler of its
    own) straight to the stream of the handler ``configure`` installed, as that handler
    would format it, and return True; return False, writing nothing, unless that handler
    is the only place the line can go."""
    if not _own or not logger.isEnabledFor(logging.INFO):
        return False
    handler, fmt, as_json = _own[0]
    parent = logger.parent
    if (logger.handlers or logger.filters or not logger.propagate or parent is None
            or parent.name != "credo" or parent.propagate or parent.filters
            or parent.handlers != [handler] or handler.filters or handler.formatter is not fmt
            or handler.level > logging.INFO):
        return False
    if as_json:
        line = json.dumps(_entry(time.time(), "INFO", logger.name, message, fields),
                          ensure_ascii=False, default=str)
    else:
        line = TEXT % {"levelname": "INFO", "name": logger.name, "message": message}
    handler.acquire()
    try:
        handler.stream.write(line + handler.terminator)
        handler.flush()
    except Exception:  # as StreamHandler.emit: a failed write never fails the request
        handler.handleError(logging.LogRecord(logger.name, logging.INFO, "", 0, message,
                                              None, None))
    finally:
        handler.release()
    return True


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
    chosen = formatter(log_format)
    handler.setFormatter(chosen)
    logger.addHandler(handler)
    _own[:] = [(handler, chosen, log_format == "json")]
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
