"""The renderer's URL fetcher: the app's static files, stored uploads and data: images only.

Kept free of Flask so that worker processes (:mod:`symposium.pdf.pool`) can build it from
plain paths.
"""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

DATA_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml"})
MAX_RESOURCE_BYTES = 10 * 1024 * 1024


class ResourceRefused(ValueError):
    """The renderer asked for a resource outside the allowed folders."""


class RestrictedFetcher(URLFetcher):
    """WeasyPrint URL fetcher that never touches the network nor files outside ``roots``."""

    def __init__(self, roots: Sequence[Path | str]):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = [Path(r).resolve() for r in roots]

    def fetch(self, url, headers=None):  # noqa: ARG002 - WeasyPrint's signature
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "file":
            path = self.resolve_file(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path2url(str(path)), path.read_bytes(), {"Content-Type": mime}
            )
        if scheme == "data":
            mime, body = self.parse_data(url)
            return URLFetcherResponse("data:", body, {"Content-Type": mime})
        raise ResourceRefused(f"resource refused: {url[:80]}")

    def resolve_file(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused("remote file URLs are refused")
        raw = url2pathname(unquote(parts.path))
        if any(segment == ".." for segment in raw.replace("\\", "/").split("/")):
            raise ResourceRefused("'..' in a resource path is refused")
        path = Path(raw)
        if not path.is_absolute():
            raise ResourceRefused("relative resource path")
        real = path.resolve()  # follows symlinks: a link pointing out of the roots is refused
        if not any(real.is_relative_to(root) for root in self.roots):
            raise ResourceRefused("resource outside the allowed folders")
        if not real.is_file():
            raise ResourceRefused("no such resource")
        if real.stat().st_size > MAX_RESOURCE_BYTES:
            raise ResourceRefused("resource too large")
        return real

    @staticmethod
    def parse_data(url: str) -> tuple[str, bytes]:
        header, sep, payload = url[len("data:") :].partition(",")
        if not sep:
            raise ResourceRefused("malformed data URL")
        params = [p.strip().lower() for p in header.split(";")]
        mime = params[0] or "text/plain"
        if mime not in DATA_IMAGE_TYPES:
            raise ResourceRefused(f"data URL of type {mime} refused")
        if "base64" in params[1:]:
            body = base64.b64decode(unquote(payload), validate=False)
        else:
            body = unquote_to_bytes(payload)
        if len(body) > MAX_RESOURCE_BYTES:
            raise ResourceRefused("data URL too large")
        return mime, body
