"""Forms for logging in, setting and changing a password, the account page and invitations."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    StopValidation,
    ValidationError,
)

from .. import accounts
from ..forms import Form
from ..i18n import LANGUAGE_NAMES, country_name, current_language
from ..models import Role
from ..sign.forms import PlainText, _email_validators, strip


class LoginForm(Form):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(message=_l("Enter your e-mail address.")),
            Email(message=_l("Enter a valid e-mail address, like name@example.org."), check_deliverability=False),
            Length(max=254, message=_l("An e-mail address has at most %(max)d characters.")),
        ],
        filters=[strip],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Enter your password.")),
            Length(max=1024, message=_l("A password has at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class LogoutForm(Form):
    submit = SubmitField(_l("Log out"))


class StrongPassword:
    """The password rules of ``accounts.password_problem``, for the form's ``password_owner``.

    The view sets ``form.password_owner`` to the user whose password it is, so the password
    cannot contain their name or address.
    """

    def __call__(self, form, field):
        owner = getattr(form, "password_owner", None)
        problem = accounts.password_problem(
            field.data or "",
            email=owner.email if owner is not None else None,
            name=owner.name if owner is not None else None,
        )
        if problem:
            raise StopValidation(problem)


def _new_password_fields():
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=_l("Choose a password.")), StrongPassword()],
        # No maxlength: a browser would cut a longer pasted password without a word.
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("The new password again"),
        validators=[
            InputRequired(message=_l("Type the new password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class SetPasswordForm(Form):
    """From a reset link."""

    password, confirm = _new_password_fields()


class AcceptInvitationForm(SetPasswordForm):
    """From an invitation: the first password, and consent to the privacy notice."""

    consent_privacy = BooleanField(
        _l("I have read the privacy notice and agree that my account details are kept and my "
           "actions recorded as it describes."),
        validators=[InputRequired(message=_l("You need to agree to the privacy notice to "
                                               "use an account."))],
    )


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[
            InputRequired(message=_l("Enter your current password.")),
            Length(max=1024, message=_l("A password has at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()


def _language_choices():
    return [SelectChoice(code, LANGUAGE_NAMES[code], {"lang": code})
            for code in current_app.config["LANGUAGES"]]


class _LanguageSelect(SelectField):
    """The seven languages, each in its own name; the list is read when the form is made."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("validators", [InputRequired(message=_l("Choose a language."))])
        super().__init__(label, **kwargs)

    def pre_validate(self, form):
        if self.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages in the list."))


class LanguageForm(Form):
    locale = _LanguageSelect(_l("Language of the pages and of the e-mails we send you"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = _language_choices()


class ResetRequestForm(Form):
    email = EmailField(
        _l("E-mail address"),
        validators=_email_validators(),
        filters=[strip],
        render_kw={"autocomplete": "username"},
    )


# --- Coordinators: invitations ----------------------------------------------------------------


class InviteForm(Form):
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Enter the person's name.")),
            Length(max=120, message=_l("Use at most %(max)d characters.")),
            PlainText(),
        ],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Enter the person's e-mail address.")),
            *(v for v in _email_validators() if not isinstance(v, InputRequired)),
        ],
        render_kw={"autocomplete": "off"},
    )
    role = RadioField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in accounts.ROLE_LABELS.items()],
        default=Role.AMBASSADOR.value,
        validate_choice=False,  # validate_role says it in our words
        validators=[InputRequired(message=_l("Choose a role."))],
    )
    ambassador_city = SelectField(
        _l("Ambassador city"),
        validate_choice=False,
        default="",
    )
    locale = _LanguageSelect(
        _l("Language of the invitation and of the pages"), default=current_language
    )

    def __init__(self, *args, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cities = {str(city.id): city for city in cities}
        self.ambassador_city.choices = [SelectChoice("", _l("Choose a city"))] + [
            SelectChoice(key, f"{city.name} ({country_name(city.country)})")
            for key, city in self.cities.items()
        ]
        self.locale.choices = _language_choices()

    def validate_role(self, field):
        if field.data not in {role.value for role in Role}:
            raise ValidationError(_l("Choose one of the roles."))

    def validate_ambassador_city(self, field):
        if self.role.data != Role.AMBASSADOR.value:
            return  # not asked for coordinators
        if not field.data:
            raise ValidationError(_l("Choose the city this ambassador works for."))
        if field.data not in self.cities:
            raise ValidationError(_l("Choose a city from the list."))

    def validate_email(self, field):
        if field.data and accounts.user_by_email(field.data) is not None:
            raise ValidationError(
                _l("There is already an account with this e-mail address: see the list of "
                   "users below.")
            )

    @property
    def chosen_city(self):
        if self.role.data != Role.AMBASSADOR.value:
            return None
        return self.cities.get(self.ambassador_city.data)


class UserActionForm(Form):
    """Re-send, deactivate, reactivate: the CSRF token is all it needs."""
