"""The portal's static files: served by Credo itself, cached for a year, pinned by hash.

Each file is addressed as ``/portal/static/<first 16 hex of its SHA-256>/<name>``, so a new
version has a new URL and the old one can be cached ``immutable`` (RFC 8246); pages load it
with Subresource Integrity (W3C SRI, ``sha384``), and the Content-Security-Policy allows
scripts and styles from this origin only. No CDN, no build step: the files are in the
package (``src/credo/web/static``).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from credo.web import pages

_TYPES = {"css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
          "svg": "image/svg+xml"}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    digest: str
    integrity: str

    @property
    def url(self) -> str:
        return f"/portal/static/{self.digest}/{self.name}"

    @property
    def media_type(self) -> str:
        return _TYPES[self.name.rsplit(".", 1)[-1]]


def _load(name: str) -> Asset:
    body = (resources.files("credo.web") / "static" / name).read_bytes()
    sri = base64.b64encode(hashlib.sha384(body).digest()).decode("ascii")
    return Asset(name, body, hashlib.sha256(body).hexdigest()[:16], f"sha384-{sri}")


ASSETS = {name: _load(name) for name in ("portal.css", "portal.js", "credo.svg")}


async def static(request: Request) -> Response:
    """A file at its current digest (404 for any other: never an old or a guessed one)."""
    found = ASSETS.get(request.path_params["name"])
    if found is None or request.path_params["digest"] != found.digest:
        return pages.message("Not found", "There is no such file.", status=404)
    return Response(found.body, media_type=found.media_type,
                    headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"})
