"""The fields, filters and validators every form shares, so that each rule (what a name may
hold, what a web address or an e-mail address looks like, which countries and dates are
accepted) is written once, with the same message wherever it applies.

``forms.py`` beside it holds the base classes of the forms themselves.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    DateField,
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, html_params

from manifesto.core.campaign import LAUNCH_DATE
from manifesto.core.i18n import LANGUAGE_NAMES, country_choices, current_language, is_iso_country

# --- text --------------------------------------------------------------------------------------

# Bidirectional controls can make a name display as something else; other format and control
# characters have no place in a name. Line breaks and tabs are allowed in long texts only.
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def strip(value):
    return value.strip() if isinstance(value, str) else value


LENGTH_MESSAGE = _l("Use at most %(max)d characters.")


def _bad_character(text: str, multiline: bool) -> bool:
    for ch in text:
        if multiline and ch in "\n\r\t":
            continue
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            return True
    return False


class PlainText:
    """Rejects control characters and bidirectional overrides (HTML is kept as text, escaped)."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, form, field):
        if field.data and _bad_character(field.data, self.multiline):
            raise ValidationError(
                _l("Remove the invisible or control characters from this field.")
            )


class Required(InputRequired):
    """A field that must be filled in, where a text of spaces alone counts as empty.

    ``InputRequired`` looks at what was typed, before the ``strip`` filter: "   " passed it,
    and was saved as nothing. This checks the trimmed value too; like ``InputRequired`` it
    marks the input ``required`` for browsers and stops the field's other checks."""

    def __call__(self, form, field):
        super().__call__(form, field)
        if isinstance(field.data, str) and not field.data.strip():
            field.errors[:] = []
            raise StopValidation(self.message)


def text_field(label, max, required=None, multiline=False, extra=(), **kwargs):
    """A text as every form takes one: trimmed, at most ``max`` characters, and no control
    characters (``multiline``: a text area, where line breaks and tabs are allowed too).

    ``required`` is the message shown when the field is left empty, or the validator that
    decides it (``DataRequired``, ``RequiredFor``, ``Optional``); ``None``, it may be empty.
    ``extra`` validators run last, on the trimmed text. Other arguments go to the field.
    """
    if required is None:
        first = []
    elif callable(required):
        first = [required]
    else:
        first = [Required(message=required)]
    field = TextAreaField if multiline else StringField
    return field(
        label,
        filters=[strip],
        validators=[*first, Length(max=max, message=LENGTH_MESSAGE),
                    PlainText(multiline=multiline), *extra],
        **kwargs,
    )


_WEB_ADDRESS = re.compile(r"^https?://[^\s/$.?#][^\s<>\"]*\.[^\s<>\"]+$", re.IGNORECASE)


def web_address(form, field):
    if not field.data:
        return
    if "://" not in field.data:
        field.data = "https://" + field.data
    if not _WEB_ADDRESS.match(field.data):
        raise ValidationError(_l("Enter a web address such as https://example.org."))


# --- e-mail addresses --------------------------------------------------------------------------


def email_validators(required=_l("Enter your e-mail address.")):
    """Required (``required`` is the message), at most 254 characters, and shaped like an
    address; whether its domain receives mail is not asked (no DNS lookup in a request)."""
    return [
        Required(message=required),
        Length(max=254, message=LENGTH_MESSAGE),
        Email(message=_l("Enter an e-mail address such as name@example.org."),
              check_deliverability=False, granular_message=False),
    ]


def email_field(label, required=_l("Enter your e-mail address."), **kwargs):
    """An e-mail address, trimmed and checked by ``email_validators``."""
    return EmailField(label, filters=[strip], validators=email_validators(required), **kwargs)


# --- countries and languages -------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _country_options(locale: str) -> str:
    """The ~250 ``<option>`` elements of the country list, rendered once per language."""
    with force_locale(locale):
        placeholder = str(_l("Choose a country"))
    options = [f'<option value="">{escape(placeholder)}</option>']
    options += [f'<option value="{code}">{escape(name)}</option>'
                for code, name in country_choices(locale)]
    return "".join(options)


class CountrySelect:
    """A ``<select>`` of ISO 3166 countries; rendering 250 options per request through
    WTForms' generic widget was the largest cost of showing the sign form."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        options = _country_options(current_language())
        if field.data and is_iso_country(field.data):
            options = options.replace(
                f'<option value="{field.data}">', f'<option selected value="{field.data}">', 1
            )
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


def iso_country(form, field):
    """A country the lists offer (ISO 3166), whatever the browser sent."""
    if field.data and not is_iso_country(field.data):
        raise ValidationError(_l("Choose the country from the list."))


def country_field(label, required=_l("Choose the country.")):
    """A country chosen from the list (``CountrySelect``). ``required`` is the message shown
    when none is chosen; with ``None`` the form checks the field itself (``iso_country``),
    as when the country is asked only for some choices."""
    validators = [InputRequired(message=required), iso_country] if required is not None else []
    return SelectField(label, validators=validators, validate_choice=False,
                       widget=CountrySelect())


def own_language_choices():
    """The app's languages, each in its own name (what a reader of it looks for)."""
    return [SelectChoice(code, LANGUAGE_NAMES[code], {"lang": code})
            for code in current_app.config["LANGUAGES"]]


class LanguageSelect(SelectField):
    """The seven languages, each in its own name; the list is read when the form is made."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("validators", [InputRequired(message=_l("Choose a language."))])
        super().__init__(label, **kwargs)

    def pre_validate(self, form):
        if self.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages in the list."))


# --- choices -----------------------------------------------------------------------------------


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# --- dates -------------------------------------------------------------------------------------


def latest_today() -> date:
    """Today where it is already latest (UTC+14): a date no one can call the future."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


class CampaignDate:
    """A date of the campaign: not before its launch and, unless ``future`` is allowed, not
    after today. Today is where it is latest (``latest_today``), not the server's own: the
    date someone gives for what happened today where they are is never "in the future"."""

    def __init__(self, future: bool = False):
        self.future = future

    def __call__(self, form, field):
        if field.errors or field.data is None:
            return  # not a date: the field has said so, or another validator will
        if not self.future and field.data > latest_today():
            raise ValidationError(_("The date cannot be in the future."))
        if field.data < LAUNCH_DATE:
            raise ValidationError(
                _("The date cannot be before the campaign's launch on %(date)s.",
                  date=format_date(LAUNCH_DATE, "long"))
            )


class IsoDateField(DateField):
    """A date typed as YYYY-MM-DD (what a browser's date picker sends); what was typed is
    shown back when it is not a date."""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "") or ""
        text = text.strip()
        self.data = None
        if not text:
            return
        try:
            self.data = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(
                _("Write the date as YYYY-MM-DD, for example %(example)s.", example="2026-03-31")
            ) from None


# --- numbers -----------------------------------------------------------------------------------

_DIGITS = re.compile(r"\+?[0-9]+")
# Spaces people type as thousands separators; commas and dots are refused (1.200 or 1,2?).
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009")


class CountField(StringField):
    """A whole number from 0 to ``maximum``; empty means 0.

    A text input (with a numeric keyboard) rather than ``type=number``: browsers send an
    empty value for what a number input cannot parse, and the person's typing would be lost.
    """

    def __init__(self, label=None, validators=None, *, maximum: int, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, default=0, render_kw=render_kw, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist):
        text = ((valuelist[0] if valuelist else "") or "").strip().translate(_GROUP_SPACES)
        self.data = None
        if not text:
            self.data = 0
            return
        if text.startswith("-") and _DIGITS.fullmatch(text[1:]):
            raise ValueError(_("Enter 0 or more."))
        if not _DIGITS.fullmatch(text):
            raise ValueError(_("Enter a whole number, such as 120, without dots or commas."))
        digits = text.lstrip("+").lstrip("0") or "0"
        if len(digits) > len(str(self.maximum)) or int(digits) > self.maximum:
            raise ValueError(
                _("Enter at most %(max)s.", max=format_number(self.maximum))
            )
        self.data = int(digits)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


def shown_number(text: str | None) -> int | None:
    """A version number as a hidden field carries it; None if missing or not a number."""
    try:
        number = int(text or 0)
    except (TypeError, ValueError):
        number = 0
    return number if 0 < number < 2**31 else None
