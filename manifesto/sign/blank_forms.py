"""The blank sign form, rendered once and filled in per visitor.

The blank sign form is the same page for every visitor of one language, except for three
hidden values. It is rendered once per language, version and query string with placeholders,
and each GET fills them in: rendering the whole form was most of the CPU a signature cost.
"""

from __future__ import annotations

import secrets

from flask import current_app, request, session
from flask_wtf.csrf import generate_csrf

from .. import abuse, privacy, texts
from ..i18n import current_language

MAX_PAGES = 256
PLACEHOLDERS = {
    name: f"placeholder{name}{secrets.token_hex(8)}"
    for name in ("csrf", "started", "key")
}


def pages() -> dict:
    """This app's blank pages, by key."""
    return current_app.extensions.setdefault("manifesto_blank_sign_forms", {})


def key() -> tuple | None:
    """The cache key of this GET's page, or None if the page must be rendered afresh."""
    args = request.args
    if "_user_id" in session or "_flashes" in session:
        return None  # the header shows the account; a message is waiting
    if not set(args) <= {"kind", "ref"} or any(len(v) > 32 for v in args.values()):
        return None
    number = texts.current_version_number(current_language())
    if number is None:
        return None
    notice = privacy.current_version(current_language())
    return (current_language(), number, notice, request.query_string)


def store(cache_key: tuple, page: str) -> None:
    blank_forms = pages()
    if len(blank_forms) >= MAX_PAGES:
        blank_forms.clear()
    blank_forms[cache_key] = page


def fill(page: str) -> str:
    return (
        page.replace(PLACEHOLDERS["csrf"], generate_csrf(), 1)
        .replace(PLACEHOLDERS["started"], abuse.form_started_stamp(), 1)
        .replace(PLACEHOLDERS["key"], secrets.token_urlsafe(24), 1)
    )
