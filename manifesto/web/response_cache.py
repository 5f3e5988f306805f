"""A few seconds of memory for the answers every anonymous visitor gets alike.

The home page, the targets, the public list, the badge and the open-data API answer the same
bytes to everyone who comes without a cookie, and say so with ``Cache-Control: public``. A
shared cache in front of the app (a proxy, a CDN) may keep them; this is the app's own, in each
worker's memory, so that a burst of readers (a press article, a badge embedded on a busy site)
costs one rendering every few seconds instead of one per request. It sits in front of Flask: a
hit costs no routing, no session, no database.

What it keeps: a GET without a cookie, an Authorization header or a conditional header,
answered 200 with ``Cache-Control: public`` (and neither ``private`` nor ``no-store``), a
Content-Length (never a streamed download) of at most ``max_bytes``, and no Set-Cookie. For
how long: the response's own ``s-maxage`` or ``max-age``, but never more than ``seconds``.
Everything else goes to the app untouched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from cachelib import SimpleCache

_MAX_AGE = re.compile(r"(?:^|,)\s*(s-maxage|max-age)\s*=\s*(\d+)", re.IGNORECASE)
_BYPASS_HEADERS = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH",
                   "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE")


def freshness(cache_control: str) -> int | None:
    """Seconds a shared cache may keep a response, from its Cache-Control (None: not at all)."""
    directives = {d.strip().split("=", 1)[0].lower() for d in cache_control.split(",")}
    if "public" not in directives or directives & {"private", "no-store", "no-cache"}:
        return None
    ages = dict((name.lower(), int(value)) for name, value in _MAX_AGE.findall(cache_control))
    return ages.get("s-maxage", ages.get("max-age"))


class PublicResponseCache:
    """WSGI middleware: ``app.wsgi_app = PublicResponseCache(app.wsgi_app, seconds=5)``."""

    def __init__(self, wsgi_app: Callable, seconds: int, max_entries: int = 2000,
                 max_bytes: int = 512 * 1024):
        self.wsgi_app = wsgi_app
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.cache = SimpleCache(threshold=max_entries, default_timeout=seconds)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or any(environ.get(h) for h in _BYPASS_HEADERS):
            return self.wsgi_app(environ, start_response)
        key = "|".join((environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""),
                        environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
                        environ.get("QUERY_STRING", "")))
        hit = self.cache.get(key)
        if hit is not None:
            stored_at, status, headers, body = hit
            start_response(status, [*headers, ("Age", str(int(time.monotonic() - stored_at)))])
            return [body]

        answer: dict = {}

        def remember(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, remember)
        keep = self._keep_for(answer)
        if keep is None:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        if len(body) <= self.max_bytes:
            self.cache.set(key, (time.monotonic(), answer["status"], list(answer["headers"]), body),
                           timeout=keep)
        return [body]

    def _keep_for(self, answer: dict) -> int | None:
        if not answer.get("status", "").startswith("200"):
            return None
        headers = {name.lower(): value for name, value in answer["headers"]}
        if "set-cookie" in headers or "content-length" not in headers:
            return None
        # Every request kept here came without a cookie, so Vary: Cookie holds; any other
        # Vary (Accept-Encoding too: a compressed body) would need the key to carry it.
        varies = {v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()}
        if varies - {"cookie"}:
            return None
        if int(headers["content-length"]) > self.max_bytes:
            return None
        seconds = freshness(headers.get("cache-control", ""))
        if not seconds:
            return None
        return min(seconds, self.seconds)
