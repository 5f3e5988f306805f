"""The ambassador's forms: the outreach log (the CSV import validates each row with
``ActivityForm`` too, so a row and a typed-in activity follow exactly the same rules) and best
practices."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    URLField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    StopValidation,
    ValidationError,
)

from manifesto.cities import outreach
from manifesto.core.i18n import current_language, language_name
from manifesto.core.labels import ACTIVITY_TYPE_LABELS, THEME_LABELS
from manifesto.web.fields import (
    LENGTH_MESSAGE,
    CampaignDate,
    CountField,
    IsoDateField,
    PlainText,
    strip,
    text_field,
    web_address,
)
from manifesto.web.forms import Form


class OneOf:
    """Required, and one of the field's choices (WTForms' own message is vaguer)."""

    def __init__(self, missing, invalid):
        self.missing = missing
        self.invalid = invalid
        self.field_flags = {"required": True}

    def __call__(self, form, field):
        if not field.data:
            raise StopValidation(self.missing)
        if field.data not in _choice_values(field)[1:]:  # (the first is the placeholder)
            raise StopValidation(self.invalid)


def _choice_values(field) -> list[str]:
    return [c.value if isinstance(c, SelectChoice) else c[0] for c in field.choices]


def language_label(code: str) -> str:
    """A language's name in the page's language, or its code if Babel does not know it."""
    try:
        return language_name(code)
    except Exception:  # a code Babel does not know: show the code itself
        return code


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][a-z0-9]{2,4})?$")


def language_choices(city=None, extra: str | None = None) -> list[SelectChoice]:
    """The app's seven languages, then the city's own languages (``AmbassadorCity.languages``),
    then ``extra`` (an activity's language, so that editing it never loses it)."""
    codes = list(current_app.config["LANGUAGES"])
    for code in [*(getattr(city, "languages", None) or []), extra]:
        code = (code or "").strip().lower()
        if code and len(code) <= 5 and _LANGUAGE_CODE.match(code) and code not in codes:
            codes.append(code)
    return [SelectChoice(code, language_label(code)) for code in codes]


def _web_link(form, field):
    """An http(s) address (``https://`` added when no scheme is typed); on error the field
    shows what was typed, not the address as completed."""
    typed = field.data
    try:
        web_address(form, field)
    except ValidationError:
        field.data = typed
        raise


def _date_required(form, field):
    if not field.errors and field.data is None:
        raise StopValidation(_("Enter the date of the activity."))


class ActivityForm(Form):
    date = IsoDateField(
        _l("Date"),
        validators=[_date_required, CampaignDate()],
    )
    type = SelectField(
        _l("Type of activity"),
        validate_choice=False,
        validators=[OneOf(missing=_l("Choose the type of activity."),
                          invalid=_l("Choose one of the types of activity offered."))],
    )
    title = text_field(_l("Title"), outreach.TITLE_MAX, DataRequired(message=_l("Enter a title.")))
    description = text_field(_l("Description (optional)"), outreach.DESCRIPTION_MAX,
                             multiline=True)
    language = SelectField(
        _l("Language of the activity"),
        validate_choice=False,
        validators=[OneOf(missing=_l("Choose the language."),
                          invalid=_l("Choose one of the languages offered."))],
    )
    audience_reached = CountField(_l("People reached"), maximum=outreach.MAX_COUNT)
    mayors_engaged = CountField(_l("Mayors engaged"), maximum=outreach.MAX_COUNT)
    organisations_engaged = CountField(_l("Organisations engaged"), maximum=outreach.MAX_COUNT)
    evidence_url = URLField(
        _l("Evidence link (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            PlainText(),
            _web_link,
            Length(max=outreach.EVIDENCE_URL_MAX, message=LENGTH_MESSAGE),
        ],
    )

    def __init__(self, *args, city=None, activity=None, default_language=None, **kwargs):
        super().__init__(*args, obj=activity, **kwargs)
        self.type.choices = [SelectChoice("", _l("Choose a type"))] + [
            SelectChoice(t.value, label) for t, label in ACTIVITY_TYPE_LABELS.items()
        ]
        self.language.choices = [SelectChoice("", _l("Choose a language"))] + language_choices(
            city, activity.language if activity is not None else None
        )
        if default_language and not self.language.data and not self.is_submitted():
            self.language.data = default_language  # a suggestion for a new activity

    def values(self) -> dict:
        """The cleaned values, as ``outreach.fill`` takes them."""
        return {name: self[name].data for name in outreach.FIELDS}


def default_language(city) -> str:
    """For a new activity: the city's first language if offered, else the page's."""
    own = [c.strip().lower() for c in (getattr(city, "languages", None) or []) if c]
    offered = {choice.value for choice in language_choices(city)}
    return own[0] if own and own[0] in offered else current_language()


def _optional_choice(invalid):
    def check(form, field):
        if field.data and field.data not in _choice_values(field)[1:]:
            raise StopValidation(invalid)

    return check


class FilterForm(Form):
    """The outreach log's filters, read from the query string (no CSRF: a GET)."""

    type = SelectField(
        _l("Type"),
        validate_choice=False,
        validators=[_optional_choice(_l("Choose one of the types of activity offered."))],
    )
    language = SelectField(
        _l("Language"),
        validate_choice=False,
        validators=[_optional_choice(_l("Choose one of the languages offered."))],
    )
    date_from = IsoDateField(_l("From"), validators=[Optional()])
    date_to = IsoDateField(_l("To"), validators=[Optional()])

    class Meta:
        csrf = False

    def __init__(self, formdata, city=None, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.type.choices = [SelectChoice("", _l("All types"))] + [
            SelectChoice(t.value, label) for t, label in ACTIVITY_TYPE_LABELS.items()
        ]
        self.language.choices = [SelectChoice("", _l("All languages"))] + language_choices(city)

    def validate_date_to(self, field):
        start = self.date_from.data
        if field.data and start and field.data < start:
            raise ValidationError(
                _("The end date (%(end)s) is before the start date (%(start)s): swap them to "
                  "see the activities in between.",
                  end=format_date(field.data, "medium"), start=format_date(start, "medium"))
            )

    def filters(self) -> outreach.Filters:
        return outreach.Filters(
            type=self.type.data or None,
            language=self.language.data or None,
            date_from=self.date_from.data,
            date_to=self.date_to.data,
        )

    def query_args(self) -> dict[str, str]:
        """The valid filters as query-string arguments (pagination, export links)."""
        args = {
            "type": self.type.data or "",
            "language": self.language.data or "",
            "date_from": self.date_from.data.isoformat() if self.date_from.data else "",
            "date_to": self.date_to.data.isoformat() if self.date_to.data else "",
        }
        return {name: value for name, value in args.items() if value}


class ImportForm(Form):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file to upload."))],
    )
    import_valid = BooleanField(
        _l("Import the valid rows anyway, and leave out the rows with problems"),
        default=False,
    )


# --- best practices ---------------------------------------------------------------------------


class PracticeForm(Form):
    title = text_field(_l("Title"), 200, _l("Enter a title."))
    summary = text_field(_l("Summary: what you did, what worked, what others can reuse"), 3000,
                         _l("Enter a summary."), multiline=True)
    theme = SelectField(
        _l("Theme"),
        choices=[SelectChoice("", _l("Choose a theme"))]
        + [SelectChoice(t.value, label) for t, label in THEME_LABELS.items()],
        validators=[InputRequired(message=_l("Choose a theme."))],
    )
    language = SelectField(
        _l("Language of the practice"),
        validators=[InputRequired(message=_l("Choose the language."))],
    )
    url = text_field(_l("Link (optional)"), 300, Optional(), extra=[web_address])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(code, language_name(code)) for code in current_app.config["LANGUAGES"]
        ]
        if not self.language.data:
            self.language.data = current_language()
