"""The portal's form bodies: urlencoded or ``multipart/form-data`` (file uploads), capped.

urlencoded bodies go through the strict parser every page uses (``protocol.forms``: one
value per name, valid escapes, UTF-8). Multipart bodies (RFC 7578) are split by the standard
library's MIME parser; each name may appear once, and a file input left empty counts as no
file. The whole body is refused past ``MAX_FORM`` before and while it arrives (413).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP

from starlette.requests import Request

from credo.aadsts.request import FORM_TOO_LARGE, MALFORMED_FORM, REPEATED_BODY_PARAMETER
from credo.protocol.forms import parse_form
from credo.web.body import BodyTooLarge, read_body

MAX_FORM = 1024 * 1024
"""A manifest with certificates fits; as much as the management API takes."""


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def checked(self, name: str) -> bool:
        return name in self.fields


async def read_form(request: Request) -> Form:
    """Raises the AADSTS error of a malformed (400) or too large (413) body."""
    try:
        body = await read_body(request.scope, request.receive, MAX_FORM)
    except BodyTooLarge:
        raise FORM_TOO_LARGE() from None
    kind = request.headers.get("content-type", "")
    if kind.lower().startswith("multipart/form-data"):
        return _multipart(kind, body)
    return Form(parse_form(body))


def _multipart(kind: str, body: bytes) -> Form:
    head = b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise MALFORMED_FORM(detail="not a multipart body")
    form = Form()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise MALFORMED_FORM(detail="a multipart part without a name")
        if name in form.fields or name in form.files:
            raise REPEATED_BODY_PARAMETER(name=name[:40])
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if filename or data:
                form.files[name] = Upload(filename, data)
        else:
            form.fields[name] = _text(data)
    return form


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise MALFORMED_FORM(detail="a multipart field is not UTF-8") from None
