"""The sign form: one form, three kinds of signatory, every message in the page's language."""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from ..forms import Form
from wtforms import (
    SelectChoice,
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, html_params

from ..i18n import country_choices, current_language, is_iso_country
from ..labels import KIND_LABELS, ORGANISATION_TYPE_LABELS, THEME_LABELS
from ..models import OrganisationType, SignatoryKind
from ..signing import SignRequest
from ..texts import VersionRef

# Bidirectional controls can make a name display as something else; other format and control
# characters have no place in a name. Line breaks and tabs are allowed in long texts only.
_BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def strip(value):
    return value.strip() if isinstance(value, str) else value


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


class RequiredFor:
    """Required only when the form is for one of ``kinds``; otherwise the value is ignored."""

    def __init__(self, *kinds: SignatoryKind, message):
        self.kinds = {k.value for k in kinds}
        self.message = message
        self.field_flags = {}

    def __call__(self, form, field):
        if form.kind.data not in self.kinds:
            field.errors[:] = []
            raise StopValidation()  # does not apply: no error, no further checks
        if not field.data or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise StopValidation(self.message)


def _name(max_length: int = 200):
    return [
        Length(max=max_length, message=_l("Use at most %(max)d characters.")),
        PlainText(),
    ]


_WEB_ADDRESS = re.compile(r"^https?://[^\s/$.?#][^\s<>\"]*\.[^\s<>\"]+$", re.IGNORECASE)


def web_address(form, field):
    if not field.data:
        return
    if "://" not in field.data:
        field.data = "https://" + field.data
    if not _WEB_ADDRESS.match(field.data):
        raise ValidationError(_l("Enter a web address such as https://example.org."))


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


def _email_validators():
    return [
        InputRequired(message=_l("Enter your e-mail address.")),
        Length(max=254, message=_l("Use at most %(max)d characters.")),
        Email(message=_l("Enter an e-mail address such as name@example.org."),
              check_deliverability=False, granular_message=False),
    ]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# A submission key as the form carries it (``SignForm.new_submission_key``).
_SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ORGANISATION_TYPES = frozenset(t.value for t in OrganisationType)


def _shown_number(text: str | None) -> int | None:
    """A version number as a hidden field carries it; None if missing or not a number."""
    try:
        number = int(text or 0)
    except (TypeError, ValueError):
        number = 0
    return number if 0 < number < 2**31 else None


class SignForm(Form):
    kind = RadioField(
        _l("Who is signing?"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[InputRequired(message=_l("Choose who is signing."))],
    )
    organisation_name = StringField(
        _l("Name of the organisation"),
        filters=[strip],
        validators=[
            RequiredFor(SignatoryKind.ORGANISATION,
                        message=_l("Enter the name of the organisation.")),
            *_name(),
        ],
    )
    organisation_type = SelectField(
        _l("Type of organisation"),
        choices=[SelectChoice("", _l("Choose a type"))]
        + [SelectChoice(t.value, label) for t, label in ORGANISATION_TYPE_LABELS.items()],
        validators=[
            RequiredFor(SignatoryKind.ORGANISATION,
                        message=_l("Choose the type of organisation.")),
        ],
    )
    website = StringField(
        _l("Website (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=300, message=_l("Use at most %(max)d characters.")),
            PlainText(),
            web_address,
        ],
    )
    mayor_name = StringField(
        _l("The mayor's name"),
        filters=[strip],
        validators=[
            RequiredFor(SignatoryKind.MAYOR, SignatoryKind.DELEGATE,
                        message=_l("Enter the mayor's name.")),
            *_name(120),
        ],
    )
    delegate_name = StringField(
        _l("Your name (the delegate)"),
        filters=[strip],
        validators=[
            RequiredFor(SignatoryKind.DELEGATE, message=_l("Enter the delegate's name.")),
            *_name(120),
        ],
    )
    delegate_role = StringField(
        _l("Your role"),
        filters=[strip],
        validators=[
            RequiredFor(SignatoryKind.DELEGATE, message=_l("Enter the delegate's role.")),
            *_name(120),
        ],
    )
    mandate = TextAreaField(
        _l("Your mandate"),
        filters=[strip],
        validators=[
            RequiredFor(SignatoryKind.DELEGATE,
                        message=_l("Describe the mandate, or give a link to it.")),
            Length(max=2000, message=_l("Use at most %(max)d characters.")),
            PlainText(multiline=True),
        ],
    )
    city = StringField(
        _l("City"),
        filters=[strip],
        validators=[InputRequired(message=_l("Enter the city.")), *_name(120)],
    )
    country = SelectField(
        _l("Country"),
        validators=[InputRequired(message=_l("Choose the country."))],
        validate_choice=False,  # checked by validate_country against ISO 3166
        widget=CountrySelect(),
    )
    contact_name = StringField(
        _l("Your name"),
        filters=[strip],
        validators=[InputRequired(message=_l("Enter your name.")), *_name(120)],
    )
    contact_email = EmailField(
        _l("Your e-mail address"),
        filters=[strip],
        validators=_email_validators(),
    )
    themes = MultiCheckboxField(
        _l("Themes you would prioritise (optional)"),
        choices=[SelectChoice(t.value, label) for t, label in THEME_LABELS.items()],
        validate_choice=True,
    )
    consent_privacy = BooleanField(
        _l("I have read the privacy notice and agree that my details are kept to run the "
           "campaign."),
        validators=[InputRequired(message=_l("You need to agree to the privacy notice to "
                                               "sign."))],
    )
    listed_publicly = BooleanField(
        _l("List our signature publicly (the organisation or city, country and date; never "
           "your name or e-mail address)."),
        default=False,
    )
    # A field people never see: only bots fill it in.
    homepage = StringField(_l("Leave this field empty"))
    started = HiddenField()
    submission_key = HiddenField()
    version_number = HiddenField()
    privacy_notice_version = HiddenField()  # the notice the page linked to, hence accepted
    ref = HiddenField()

    def validate_country(self, field):
        if field.data and not is_iso_country(field.data):
            raise ValidationError(_l("Choose the country from the list."))

    def validate_themes(self, field):
        field.data = list(dict.fromkeys(field.data or []))

    @staticmethod
    def new_submission_key() -> str:
        """The key a shown form carries, so that the same form posted twice signs once."""
        return secrets.token_urlsafe(24)

    def shown_versions(self) -> tuple[int | None, int | None]:
        """The versions of the Manifesto and of the privacy notice that the page showed, as its
        hidden fields say (None where a field is missing or holds no version number)."""
        return _shown_number(self.version_number.data), _shown_number(
            self.privacy_notice_version.data)

    def to_request(self, *, language: str, version: VersionRef, notice_version: int,
                   client: str | None, referral: tuple[int | None, int | None],
                   flag_reasons: list[str]) -> SignRequest:
        """What the validated form asks ``signing.submit`` for. An organisation's type is kept
        for organisations only; a submission key the form did not carry is replaced by a new
        one (so the request always has one that is well formed)."""
        key = self.submission_key.data or ""
        if not _SUBMISSION_KEY.fullmatch(key):
            key = self.new_submission_key()
        organisation = self.kind.data == SignatoryKind.ORGANISATION.value
        ambassador_city_id, outreach_activity_id = referral
        return SignRequest(
            kind=SignatoryKind(self.kind.data),
            country=self.country.data,
            city=self.city.data,
            contact_name=self.contact_name.data,
            contact_email=self.contact_email.data,
            language=language,
            version=version,
            privacy_notice_version=notice_version,
            ip_hash=client,
            submission_key=key,
            organisation_name=self.organisation_name.data or None,
            organisation_type=OrganisationType(self.organisation_type.data)
            if organisation and self.organisation_type.data in _ORGANISATION_TYPES else None,
            website=self.website.data or None,
            mayor_name=self.mayor_name.data or None,
            delegate_name=self.delegate_name.data or None,
            delegate_role=self.delegate_role.data or None,
            mandate=self.mandate.data or None,
            themes=self.themes.data or [],
            listed_publicly=bool(self.listed_publicly.data),
            flag_reasons=flag_reasons,
            ambassador_city_id=ambassador_city_id,
            outreach_activity_id=outreach_activity_id,
        )


class ResendForm(Form):
    email = EmailField(
        _l("Your e-mail address"),
        filters=[strip],
        validators=_email_validators(),
    )


class ConfirmForm(Form):
    """Only the CSRF token: the button that confirms."""


class WithdrawForm(Form):
    understood = BooleanField(
        _l("I understand: our signature is removed from the lists and counts, and our contact "
           "details are erased. This cannot be undone."),
        validators=[InputRequired(message=_l("Tick the box to confirm that you want to "
                                               "withdraw."))],
    )
