"""Coordinators' forms: decisions on signatures, publishing a new version of the text, cities
and targets, the dashboard's filters, privacy requests and invitations."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import (
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from manifesto.access import accounts
from manifesto.core.i18n import country_choices, country_name, current_language, is_iso_country
from manifesto.core.labels import TARGET_METRIC_LABELS, TARGET_SCOPE_LABELS
from manifesto.models import Role, TargetMetric, TargetScope
from manifesto.web.fields import (
    CampaignDate,
    IsoDateField,
    LanguageSelect,
    MultiCheckboxField,
    country_field,
    email_field,
    iso_country,
    own_language_choices,
    text_field,
)
from manifesto.web.forms import Form


class RejectForm(Form):
    reason = text_field(_l("Reason, sent to the signatory in their language's e-mail"), 1000,
                        _l("Give the reason for the rejection."), multiline=True)


def _no_huge_number(value):
    """A number no range could hold (WTForms' range check converts it to a float, which
    overflows past 10**308) becomes one just above every limit: the range message follows."""
    if isinstance(value, int) and abs(value) > 10**15:
        return 10**15 if value > 0 else -(10**15)
    return value


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
            setattr(_Form, f"text_{lang}", text_field(
                lang, 100_000, _l("Enter the text in this language."), multiline=True,
                extra=[_manifesto_text]))
        return _Form


# --- ambassador cities: the selection pipeline and their targets -----------------------------


class CityForm(Form):
    name = text_field(_l("City"), 120, _l("Enter the city."))
    country = country_field(_l("Country"))


class InterviewForm(Form):
    interview_date = DateField(
        _l("Date of the interview"),
        validators=[InputRequired(message=_l("Enter the date of the interview.")),
                    CampaignDate()],
    )
    interviewer = text_field(_l("Interviewer"), 120, _l("Enter who led the interview."))
    interview_notes = text_field(_l("Notes (only coordinators see them)"), 5000,
                                 multiline=True)


class CommitmentForm(Form):
    commitment_date = DateField(
        _l("Date of the commitment"),
        validators=[InputRequired(message=_l("Enter the date of the commitment.")),
                    CampaignDate()],
    )
    commitment_statement = text_field(_l("The city's commitment, as it will be published"),
                                      2000, _l("Enter the commitment statement."),
                                      multiline=True)
    languages = MultiCheckboxField(
        _l("Languages it disseminates the Manifesto in"),
        validators=[InputRequired(message=_l("Choose at least one language."))],
    )
    countries = SelectMultipleField(
        _l("Countries it reaches out to"),
        validators=[InputRequired(message=_l("Choose at least one country."))],
        validate_choice=False,
    )

    def validate_countries(self, field):
        if any(not is_iso_country(code) for code in field.data or []):
            raise ValidationError(_l("Choose the countries from the list."))


# Targets a coordinator sets for one ambassador city.
CITY_TARGET_METRICS = (
    TargetMetric.MAYORS_SIGNED,
    TargetMetric.ORGANISATIONS_SIGNED,
    TargetMetric.ALL_SIGNATURES,
    TargetMetric.ACTIVITIES,
    TargetMetric.PEOPLE_REACHED,
    TargetMetric.MAYORS_ENGAGED,
)


class TargetNumbersForm(Form):
    """The value and the dates every target has."""

    value = IntegerField(
        _l("Target value"),
        filters=[_no_huge_number],
        validators=[
            InputRequired(message=_l("Enter the target value, a whole number.")),
            NumberRange(min=1, max=10_000_000,
                        message=_l("Enter a whole number from %(min)s to %(max)s.")),
        ],
    )
    start_date = DateField(
        _l("Counted from"),
        validators=[InputRequired(message=_l("Enter the start date.")), CampaignDate(future=True)],
    )
    deadline = DateField(
        _l("Deadline"), validators=[InputRequired(message=_l("Enter the deadline."))]
    )

    def validate_deadline(self, field):
        if field.data and self.start_date.data and field.data <= self.start_date.data:
            raise ValidationError(_l("The deadline must be after the start date."))


class CityTargetForm(TargetNumbersForm):
    metric = SelectField(
        _l("What is counted"),
        choices=[SelectChoice("", _l("Choose what to count"))]
        + [SelectChoice(m.value, TARGET_METRIC_LABELS[m]) for m in CITY_TARGET_METRICS],
        validators=[InputRequired(message=_l("Choose what the target counts."))],
    )


# --- campaign targets ------------------------------------------------------------------------


class TargetForm(TargetNumbersForm):
    """A target of any metric and scope, with its title in every language (``for_languages``)."""

    metric = SelectField(
        _l("What is counted"),
        choices=[SelectChoice("", _l("Choose what to count"))]
        + [SelectChoice(m.value, TARGET_METRIC_LABELS[m]) for m in TargetMetric],
        validators=[InputRequired(message=_l("Choose what the target counts."))],
    )
    scope = RadioField(
        _l("Where it is counted"),
        choices=[SelectChoice(s.value, TARGET_SCOPE_LABELS[s]) for s in TargetScope],
        default=TargetScope.ALL.value,
        validators=[InputRequired(message=_l("Choose where the target is counted."))],
    )
    country = country_field(_l("Country (for a target in one country)"), required=None)
    ambassador_city = SelectField(
        _l("Ambassador city (for a target of one city)"),
        validate_choice=False,
    )
    published = BooleanField(_l("Published: shown on the public targets page and in the open data"))

    @classmethod
    def for_languages(cls, languages):
        class _Form(cls):
            pass

        for lang in languages:
            setattr(_Form, f"title_{lang}",
                    text_field(lang, 200, _l("Enter the title in this language.")))
        return _Form

    def validate_country(self, field):
        if self.scope.data != TargetScope.COUNTRY.value:
            return
        if not field.data:
            raise ValidationError(_l("Choose the country."))
        iso_country(self, field)

    def validate_ambassador_city(self, field):
        if self.scope.data != TargetScope.AMBASSADOR_CITY.value:
            return
        if not field.data:
            raise ValidationError(_l("Choose the ambassador city."))
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose the ambassador city from the list."))


class _PeriodForm(Form):
    """A period and a country, checked the same way wherever they come from."""

    def validate_country(self, field):
        if field.data and not is_iso_country(field.data):
            raise ValidationError(_("Choose one of the countries offered."))

    def validate_end(self, field):
        start = self.start.data
        if field.data and start and field.data < start:
            raise ValidationError(
                _("The end date (%(end)s) is before the start date (%(start)s): swap them to "
                  "see the period in between.",
                  end=format_date(field.data, "medium"), start=format_date(start, "medium")))


class DashboardFilterForm(_PeriodForm):
    """The dashboard's period and country, read from the query string (a GET: no CSRF)."""

    start = IsoDateField(_l("From"), validators=[Optional()])
    end = IsoDateField(_l("To"), validators=[Optional()])
    country = SelectField(_l("Country"), validate_choice=False)

    class Meta:
        csrf = False

    def __init__(self, formdata, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.country.choices = [SelectChoice("", _l("All countries"))] + [
            SelectChoice(code, name) for code, name in country_choices(current_language())]


class ExportForm(_PeriodForm):
    """An export of personal data: a POST with CSRF, so that every one is deliberate and
    logged, with the dashboard's filters as hidden fields."""

    start = IsoDateField(_l("From"), validators=[Optional()], widget=HiddenInput())
    end = IsoDateField(_l("To"), validators=[Optional()], widget=HiddenInput())
    country = HiddenField(_l("Country"))


class AuditFilterForm(_PeriodForm):
    """The audit log's filters, read from the query string (a GET: no CSRF)."""

    action = SelectField(_l("Action"), validate_choice=False)
    who = SelectField(_l("Coordinator"), validate_choice=False)
    start = IsoDateField(_l("From"), validators=[Optional()])
    end = IsoDateField(_l("To"), validators=[Optional()])

    class Meta:
        csrf = False

    def __init__(self, formdata, *, actions, coordinators, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        self.action.choices = [SelectChoice("", _l("All actions"))] + [
            SelectChoice(key, label) for key, label in actions.items()]
        self.who.choices = [SelectChoice("", _l("Everyone"))] + [
            SelectChoice(email, email) for email in coordinators]

    def validate_action(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose one of the actions offered."))

    def validate_who(self, field):
        if field.data and field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose one of the coordinators offered."))


class SubjectForm(Form):
    """Find what is held about an e-mail address (a POST: the address stays out of URLs and
    access logs)."""

    email = email_field(_l("E-mail address"),
                        _l("Enter the e-mail address the request is about."))


class EraseSubjectForm(Form):
    email = HiddenField()
    confirm = BooleanField(
        _l("I have checked the person's identity and their request to be erased."),
        validators=[InputRequired(message=_l("Confirm that the request has been checked."))],
    )


class NoticeForm(Form):
    body = text_field(_l("Text of the new version"), 50_000,
                      _l("Write the text of the notice."), multiline=True)
    confirm = BooleanField(
        _l("Publish it now: from now on, new signatures and accounts accept this version."),
        validators=[InputRequired(message=_l("Confirm that this version is to be published."))],
    )


# --- users: invitations ---------------------------------------------------------------------


class InviteForm(Form):
    name = text_field(_l("Name"), 120, _l("Enter the person's name."),
                      render_kw={"autocomplete": "off"})
    email = email_field(_l("E-mail address"), _l("Enter the person's e-mail address."),
                        render_kw={"autocomplete": "off"})
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
    locale = LanguageSelect(
        _l("Language of the invitation and of the pages"), default=current_language
    )

    def __init__(self, *args, cities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cities = {str(city.id): city for city in cities}
        self.ambassador_city.choices = [SelectChoice("", _l("Choose a city"))] + [
            SelectChoice(key, f"{city.name} ({country_name(city.country)})")
            for key, city in self.cities.items()
        ]
        self.locale.choices = own_language_choices()

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
