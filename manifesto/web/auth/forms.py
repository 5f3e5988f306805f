"""Forms for logging in, setting and changing a password, the account page and invitations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    StopValidation,
)

from manifesto.access import accounts
from manifesto.web.fields import (
    LanguageSelect,
    email_field,
    own_language_choices,
    shown_number,
    strip,
)
from manifesto.web.forms import Form


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
    privacy_notice_version = HiddenField()  # the notice the page linked to, hence accepted

    def shown_notice_version(self) -> int | None:
        """The notice version the page showed, as its hidden field says (None if it does not)."""
        return shown_number(self.privacy_notice_version.data)


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


class LanguageForm(Form):
    locale = LanguageSelect(_l("Language of the pages and of the e-mails we send you"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = own_language_choices()


class ResetRequestForm(Form):
    email = email_field(_l("E-mail address"), render_kw={"autocomplete": "username"})
