"""E-mail addresses: the canonical form used to find the same person signing twice."""

from __future__ import annotations

from manifesto.core.keyed import keyed_hash

# Providers that ignore dots in the local part, and the domain they are one with.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def canonical_email(address: str) -> str:
    """Lower-case; drop ``+tag``; drop dots where the provider ignores them.

    >>> canonical_email("Jane.Doe+manifesto@GoogleMail.com")
    'janedoe@gmail.com'
    """
    address = address.strip().lower()
    local, sep, domain = address.rpartition("@")
    if not sep:
        return address
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        domain = DOTLESS_DOMAINS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def mask_email(address: str) -> str:
    """For logs: ``j***@example.org``; never the whole address."""
    local, sep, domain = address.rpartition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def recipient_hash(address: str) -> str:
    """A keyed hash of the canonical address: what the outbox keeps to count an address's
    e-mails after the address itself is erased."""
    return keyed_hash(canonical_email(address), "recipient")
