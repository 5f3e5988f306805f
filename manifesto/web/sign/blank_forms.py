"""The blank sign form, rendered once and filled in per visitor.

The blank sign form is the same page for every anonymous visitor of one language, except for
three hidden values: the CSRF token, the stamp of when the form was shown, and the submission
key. Rendering the whole form was most of the CPU a signature cost, so it is rendered once per
key with a placeholder in each of these holes, and every GET fills the holes in::

    page = blank_forms.sign_form(key, render=lambda holes: render_template(...))

The key (``sign_form_key``) names everything else the page shows: the language, the versions
of the Manifesto and of the privacy notice the form carries, and the query string. A page that
shows more (the header of a logged-in visitor, a message waiting) has no key: it is rendered
afresh, with the visitor's own values in the holes.

Each app keeps its own pages (``for_app``), at most ``MAX_PAGES`` (then it starts afresh), in
the memory of each process: a new version of the Manifesto or of the notice is a new key.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable, Mapping

from flask import current_app, get_flashed_messages, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from wtforms.csrf.core import CSRF
from wtforms.validators import ValidationError

from manifesto.models import SignatoryKind
from manifesto.signatures import abuse
from manifesto.web.sign.forms import SignForm

MAX_PAGES = 256
# The query string a cached page may come with (anything else is rendered afresh).
CACHED_ARGS = frozenset({"kind", "ref"})
CACHED_ARG_MAX = 32

Holes = Mapping[str, str]
_KINDS = frozenset(kind.value for kind in SignatoryKind)


class BlankPages:
    """Pages rendered once per key with placeholders in their holes, filled in per request."""

    def __init__(self, max_pages: int = MAX_PAGES):
        self.max_pages = max_pages
        self._pages: dict[Hashable, str] = {}
        self._placeholders: dict[str, str] = {}

    def get_or_render(self, key: Hashable | None, render: Callable[[Holes], str],
                      fill: Mapping[str, Callable[[], str]]) -> str:
        """The page for ``key`` with every hole filled in by a fresh call of ``fill[name]``.

        ``render(holes)`` renders the page with ``holes[name]`` where each value goes (a
        template escapes it, as the value is escaped when it is filled in). It is called with
        placeholders the first time a key is asked for, and with the values themselves for a
        key of None: a page that is not to be kept. A hole the page does not show (a CSRF
        token with CSRF switched off) is left alone.
        """
        if key is None:
            return render({name: make() for name, make in fill.items()})
        page = self._pages.get(key)
        if page is None:
            page = render({name: self._placeholder(name) for name in fill})
            if len(self._pages) >= self.max_pages:
                self._pages.clear()
            self._pages[key] = page
        for name, make in fill.items():
            page = page.replace(self._placeholder(name), escape(make()), 1)
        return page

    def __len__(self) -> int:
        return len(self._pages)

    def _placeholder(self, name: str) -> str:
        placeholder = self._placeholders.get(name)
        if placeholder is None:  # letters and digits: the same once escaped as HTML
            placeholder = self._placeholders.setdefault(
                name, f"placeholder{name}{secrets.token_hex(8)}")
        return placeholder


_EXTENSION = "manifesto_blank_sign_forms"


def for_app() -> BlankPages:
    """This app's blank pages (each app its own: tests make many)."""
    pages = current_app.extensions.get(_EXTENSION)
    if pages is None:
        pages = current_app.extensions.setdefault(_EXTENSION, BlankPages())
    return pages


# --- the sign form ---------------------------------------------------------------------------


def sign_form_key(language: str, manifesto_version: int, notice_version: int) -> tuple | None:
    """The key of this GET's blank sign form, or None if the page must be rendered afresh: a
    query string other than ``kind`` and ``ref`` (of up to ``CACHED_ARG_MAX`` characters), a
    logged-in visitor (the header shows the account), or a message waiting to be shown (it
    stays for the page to show: ``get_flashed_messages`` gives the same ones again)."""
    args = request.args
    if not CACHED_ARGS.issuperset(args) or any(len(v) > CACHED_ARG_MAX for v in args.values()):
        return None
    if not current_user.is_anonymous or get_flashed_messages():
        return None
    return (language, manifesto_version, notice_version, request.query_string)


def sign_form(key: tuple | None, render: Callable[[Holes], str]) -> str:
    """The sign form page for ``key`` (``sign_form_key``), its holes filled in for this
    visitor: the CSRF token, the stamp of when the form was shown, and a new submission key.
    ``blank_sign_form`` makes the form that ``render`` shows."""
    return for_app().get_or_render(key, render, {
        "csrf": generate_csrf,
        "started": abuse.form_started_stamp,
        "key": SignForm.new_submission_key,
    })


class _ShownToken(CSRF):
    """WTForms' CSRF interface, rendering the token in the form's meta ``shown_csrf_token``
    (a placeholder, or this visitor's token). It validates nothing: this form is only shown."""

    def setup_form(self, form):
        self.token = form.meta.shown_csrf_token
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field):
        return self.token

    def validate_csrf_token(self, form, field):
        raise ValidationError("a blank form is not submitted")


def blank_sign_form(holes: Holes, *, manifesto_version: int, notice_version: int) -> SignForm:
    """The sign form as a GET shows it: the holes in its hidden fields, the versions it shows,
    and the ``kind`` and ``ref`` of the query string (a referral link)."""
    form = SignForm(meta={"csrf_class": _ShownToken, "shown_csrf_token": holes["csrf"]})
    form.started.data = holes["started"]
    form.submission_key.data = holes["key"]
    form.version_number.data = str(manifesto_version)
    form.privacy_notice_version.data = str(notice_version)
    form.ref.data = (request.args.get("ref") or "")[:32]  # no referral code is longer
    if request.args.get("kind") in _KINDS:
        form.kind.data = request.args["kind"]
    return form
