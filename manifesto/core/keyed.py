"""Keyed hashes (HMAC-SHA256) kept instead of addresses: equal inputs give equal hashes, and
without the key nobody can test a guess. The key is ``IP_HASH_KEY``, or one derived from the
secret key."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from flask import current_app


@lru_cache(maxsize=16)
def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), f"manifesto {purpose}".encode(), hashlib.sha256).digest()


def keyed_hash(value: str, purpose: str) -> str:
    """32 hex digits; ``purpose`` keeps the hashes of one use apart from another's."""
    secret = current_app.config.get("IP_HASH_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(_key(secret, purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def client_hash(address: str | None) -> str:
    """A client's network address as a keyed hash: what rate limits and abuse review use.

    The web layer passes ``request.remote_addr`` (``security.requesting_client``); nothing
    below it reads the request."""
    return keyed_hash(address or "unknown", "address")
