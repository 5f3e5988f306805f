"""Coordinators' forms: decisions on signatures, publishing a new version of the text."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from ..forms import Form
from wtforms import BooleanField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..sign.forms import PlainText, strip


class DecisionForm(Form):
    """Verify or clear a flag: the CSRF token is all it needs."""


class RejectForm(Form):
    reason = TextAreaField(
        _l("Reason, sent to the signatory in their language's e-mail"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Give the reason for the rejection.")),
            Length(max=1000, message=_l("Use at most %(max)d characters.")),
            PlainText(multiline=True),
        ],
    )


def _manifesto_text(form, field):
    if not field.data.startswith("# "):
        raise ValidationError(_l("Start the text with its title on a line beginning with '# '."))


class PublishForm(Form):
    """One text per language, all published together as the next version."""

    confirm = BooleanField(
        _l("I have checked all seven texts; publish them as the new version."),
        validators=[InputRequired(message=_l("Tick the box to publish."))],
    )

    @classmethod
    def for_languages(cls, languages):
        class _Form(cls):
            pass

        for lang in languages:
            setattr(
                _Form,
                f"text_{lang}",
                TextAreaField(
                    lang,
                    filters=[strip],
                    validators=[
                        InputRequired(message=_l("Enter the text in this language.")),
                        Length(max=100_000, message=_l("Use at most %(max)d characters.")),
                        PlainText(multiline=True),
                        _manifesto_text,
                    ],
                ),
            )
        return _Form
