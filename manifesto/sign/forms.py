"""The sign form: one form, three kinds of signatory, every message in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
    StopValidation,
)

from ..fields import (
    MultiCheckboxField,
    PlainText,
    country_field,
    email_field,
    email_validators,
    strip,
    web_address,
)
from ..forms import Form
from ..labels import KIND_LABELS, ORGANISATION_TYPE_LABELS, THEME_LABELS
from ..models import SignatoryKind


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
    country = country_field(_l("Country"))
    contact_name = StringField(
        _l("Your name"),
        filters=[strip],
        validators=[InputRequired(message=_l("Enter your name.")), *_name(120)],
    )
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
    ref = HiddenField()

    def validate_themes(self, field):
        field.data = list(dict.fromkeys(field.data or []))


class ResendForm(Form):
    email = email_field(_l("Your e-mail address"))


class WithdrawForm(Form):
    understood = BooleanField(
        _l("I understand: our signature is removed from the lists and counts, and our contact "
           "details are erased. This cannot be undone."),
        validators=[InputRequired(message=_l("Tick the box to confirm that you want to "
                                               "withdraw."))],
    )
