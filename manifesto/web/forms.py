"""The base of every form: Flask-WTF's CSRF, with WTForms' own messages in the page's language;
and the form of every one-button action. The fields they share are in ``fields.py``.

Flask-WTF reads WTForms' message catalog from disk on every request that validates a form;
here each language's catalog is read once per process.
"""

from __future__ import annotations

import functools

from babel import support
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

from manifesto.core.i18n import current_language


@functools.lru_cache(maxsize=16)
def _catalog(language: str) -> support.Translations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class _WTFormsMessages:
    """The interface WTForms calls for its built-in messages."""

    def gettext(self, string: str) -> str:
        return _catalog(current_language()).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _catalog(current_language()).ungettext(singular, plural, n)


_MESSAGES = _WTFormsMessages()


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return _MESSAGES


class ButtonForm(Form):
    """A form that is only a button (verify, publish, delete, log out, …): the CSRF token is
    all it carries. Templates draw it with ``post_button`` (``templates/_forms.html``)."""
