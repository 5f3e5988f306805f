"""Keyed hashes (HMAC-SHA256) kept instead of addresses: equal inputs give equal hashes, and
without the key nobody can test a guess. The key is ``IP_HASH_KEY``, or one derived from the
secret key."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from flask import current_app, request


@lru_cache(maxsize=16)
def _key(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), f"manifesto {purpose}".encode(), hashlib.sha256).digest()


def keyed_hash(value: str, purpose: str) -> str:
    """32 hex digits; ``purpose`` keeps the hashes of one use apart from another's."""
    secret = current_app.config.get("IP_HASH_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(_key(secret, purpose), value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def client_hash() -> str:
    """The requesting address as a keyed hash: what rate limits and abuse review use."""
    return keyed_hash(request.remote_addr or "unknown", "address")


def with_client_hash(value: str, purpose: str) -> str:
    """``value`` and the requesting address together, as one keyed hash (a limit per account
    and address of origin)."""
    return keyed_hash(f"{value}\n{request.remote_addr or 'unknown'}", purpose)
