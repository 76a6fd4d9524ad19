"""``logs.write_direct``: the access line written without a ``LogRecord`` is the line
``logging`` writes, and anything attached besides Credo's own handler sends it through
``logging`` instead."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator

import pytest

from credo import logs
from credo.web import access

SCOPE = {"method": "POST", access.CALLER: ("8b943ed7-194e-4ab0-a433-ba86479bd60e",
                                           "f2bbe418-a8a3-41a8-aa24-f98a2606c964")}
CREDO = logging.getLogger("credo")


@pytest.fixture
def configured() -> Iterator[Callable[[str], io.StringIO]]:
    """``logs.configure`` as a worker runs it, with its handler writing to a buffer; the
    logging tree (and the direct writer's state) as it was afterwards."""
    saved = (CREDO.handlers[:], CREDO.filters[:], CREDO.level, CREDO.propagate,
             access.log.handlers[:], access.log.filters[:], logs._own[:],
             logging._srcfile)  # type: ignore[attr-defined]

    def configure(log_format: str) -> io.StringIO:
        logs.configure("info", log_format)
        buffer = io.StringIO()
        logs._own[0][0].setStream(buffer)
        return buffer

    yield configure
    (CREDO.handlers[:], CREDO.filters[:], CREDO.level, CREDO.propagate,
     access.log.handlers[:], access.log.filters[:], logs._own[:],
     logging._srcfile) = saved  # type: ignore[attr-defined]
    access.log.manager._clear_cache()


def line(buffer: io.StringIO) -> str:
    lines = buffer.getvalue().splitlines()
    buffer.seek(0)
    buffer.truncate()
    assert len(lines) == 1, lines
    return lines[0]


def answer() -> None:
    access.answered(SCOPE, "/{tenant}/oauth2/v2.0/token", 200, "corr-1", 0.00512)


def through_logging() -> None:
    """The same line, with a filter that lets everything pass: ``logging`` writes it."""
    CREDO.addFilter(lambda record: True)
    try:
        answer()
    finally:
        CREDO.filters.clear()


def test_a_text_line_is_the_one_logging_writes(
        configured: Callable[[str], io.StringIO]) -> None:
    buffer = configured("text")
    answer()
    direct = line(buffer)
    through_logging()
    assert direct == line(buffer) == (
        "INFO:     credo.access: POST /{tenant}/oauth2/v2.0/token 200 5.1 ms")


def test_a_json_line_is_the_one_logging_writes(
        configured: Callable[[str], io.StringIO]) -> None:
    buffer = configured("json")
    answer()
    direct = json.loads(line(buffer))
    through_logging()
    logged = json.loads(line(buffer))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", direct.pop("time"))
    logged.pop("time")
    assert direct == logged == {
        "level": "info", "logger": "credo.access",
        "message": "POST /{tenant}/oauth2/v2.0/token 200 5.1 ms", "method": "POST",
        "route": "/{tenant}/oauth2/v2.0/token", "status": 200, "duration_ms": 5.12,
        "correlation_id": "corr-1", "tenant": "8b943ed7-194e-4ab0-a433-ba86479bd60e",
        "client_id": "f2bbe418-a8a3-41a8-aa24-f98a2606c964"}


def add_handler() -> None:
    access.log.addHandler(logging.NullHandler())


def add_filter() -> None:
    access.log.addFilter(lambda record: True)


def second_handler() -> None:
    CREDO.addHandler(logging.NullHandler())


def other_formatter() -> None:
    logs._own[0][0].setFormatter(logging.Formatter("%(message)s"))


def handler_level() -> None:
    logs._own[0][0].setLevel(logging.WARNING)


def propagating() -> None:
    CREDO.propagate = True


@pytest.mark.parametrize("change", [add_handler, add_filter, second_handler, other_formatter,
                                    handler_level, propagating])
def test_anything_attached_sends_the_line_through_logging(
        configured: Callable[[str], io.StringIO], change: Callable[[], None]) -> None:
    configured("text")
    change()
    assert logs.write_direct(access.log, "a line", {}) is False
    assert logs._own[0][0].stream.getvalue() == ""  # type: ignore[attr-defined]


def test_nothing_is_written_below_the_level(configured: Callable[[str], io.StringIO]) -> None:
    buffer = configured("text")
    CREDO.setLevel(logging.WARNING)
    assert logs.write_direct(access.log, "a line", {}) is False
    answer()
    assert buffer.getvalue() == ""


def test_nothing_is_written_before_configure() -> None:
    saved = logs._own[:]
    logs._own.clear()
    try:
        assert logs.write_direct(access.log, "a line", {}) is False
    finally:
        logs._own[:] = saved


class Broken(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("the log's pipe is gone")


def test_a_failed_write_never_fails_the_request(configured: Callable[[str], io.StringIO],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    configured("text")
    logs._own[0][0].setStream(Broken())
    answer()  # does not raise
    assert "the log's pipe is gone" in capsys.readouterr().err  # logging's handleError
