"""The sign form: one form, three kinds of signatory, every message in the page's language."""

from __future__ import annotations

import re
import secrets

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import (
    InputRequired,
    Optional,
    StopValidation,
)

from manifesto.core.labels import KIND_LABELS, ORGANISATION_TYPE_LABELS, THEME_LABELS
from manifesto.models import OrganisationType, SignatoryKind
from manifesto.signatures.signing import SignRequest
from manifesto.signatures.texts import VersionRef
from manifesto.web.fields import (
    MultiCheckboxField,
    country_field,
    email_field,
    email_validators,
    shown_number,
    strip,
    text_field,
    web_address,
)
from manifesto.web.forms import Form


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


_SUBMISSION_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ORGANISATION_TYPES = frozenset(t.value for t in OrganisationType)


class SignForm(Form):
    kind = RadioField(
        _l("Who is signing?"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        validators=[InputRequired(message=_l("Choose who is signing."))],
    )
    organisation_name = text_field(
        _l("Name of the organisation"), 200,
        RequiredFor(SignatoryKind.ORGANISATION,
                    message=_l("Enter the name of the organisation.")),
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
    website = text_field(_l("Website (optional)"), 300, Optional(), extra=[web_address])
    mayor_name = text_field(
        _l("The mayor's name"), 120,
        RequiredFor(SignatoryKind.MAYOR, SignatoryKind.DELEGATE,
                    message=_l("Enter the mayor's name.")),
    )
    delegate_name = text_field(
        _l("Your name (the delegate)"), 120,
        RequiredFor(SignatoryKind.DELEGATE, message=_l("Enter the delegate's name.")),
    )
    delegate_role = text_field(
        _l("Your role"), 120,
        RequiredFor(SignatoryKind.DELEGATE, message=_l("Enter the delegate's role.")),
    )
    mandate = text_field(
        _l("Your mandate"), 2000,
        RequiredFor(SignatoryKind.DELEGATE,
                    message=_l("Describe the mandate, or give a link to it.")),
        multiline=True,
    )
    city = text_field(_l("City"), 120, _l("Enter the city."))
    country = country_field(_l("Country"))
    contact_name = text_field(_l("Your name"), 120, _l("Enter your name."))
    contact_email = EmailField(
        _l("Your e-mail address"),
        filters=[strip],
        validators=email_validators(),
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

    def validate_themes(self, field):
        field.data = list(dict.fromkeys(field.data or []))

    @staticmethod
    def new_submission_key() -> str:
        """The key a shown form carries, so that the same form posted twice signs once."""
        return secrets.token_urlsafe(24)

    def shown_versions(self) -> tuple[int | None, int | None]:
        """The versions of the Manifesto and of the privacy notice that the page showed, as its
        hidden fields say (None where a field is missing or holds no version number)."""
        return shown_number(self.version_number.data), shown_number(
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
    email = email_field(_l("Your e-mail address"))


class LostLinkForm(Form):
    """"Lost your link?": the address the signatures were made with (a name of its own: the
    receipt page has the "new link" form's ``email`` too)."""

    lost_email = email_field(_l("Your e-mail address"))


class WithdrawForm(Form):
    understood = BooleanField(
        _l("I understand: our signature is removed from the lists and counts, and our contact "
           "details are erased. This cannot be undone."),
        validators=[InputRequired(message=_l("Tick the box to confirm that you want to "
                                               "withdraw."))],
    )
