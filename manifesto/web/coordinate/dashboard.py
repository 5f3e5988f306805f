"""Coordinators: the dashboard (targets' burn-ups, signatures by country on a map, by kind,
language and theme, the funnel, the ambassador cities side by side), the exports of personal
data, and the audit log that records them."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Response, current_app, render_template, request
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user

from manifesto.access import audit
from manifesto.cities import targets
from manifesto.core.i18n import country_name, language_name
from manifesto.core.labels import (
    ACTIVITY_TYPE_LABELS,
    KIND_SHORT_LABELS,
    STATUS_LABELS,
    THEME_LABELS,
)
from manifesto.extensions import db
from manifesto.models import SignatureStatus, Target
from manifesto.reporting import dashboard, exports
from manifesto.signatures import counts
from manifesto.web import charts
from manifesto.web.coordinate import bp
from manifesto.web.coordinate.forms import AuditFilterForm, DashboardFilterForm, ExportForm
from manifesto.web.pagination import Page, page_arg
from manifesto.web.security import coordinator_required

MAX_AUDIT_PAGE = 100_000

# Dates the dashboard can reason about (months before and after are computed from them).
EARLIEST, LATEST = date(1900, 1, 1), date(9998, 12, 31)


def _period(form: DashboardFilterForm, today: date) -> dashboard.Period:
    start = min(max(form.start.data or dashboard.first_day() or today, EARLIEST), LATEST)
    end = min(max(form.end.data or today, EARLIEST), LATEST)
    if end < start:  # only the default start can be after a chosen end
        start = end
    return dashboard.Period(start, end, form.country.data or None)


def _burnups(today: date) -> list:
    rows = []
    for target in db.session.scalars(sa.select(Target).order_by(Target.deadline, Target.id)):
        state, outlook, series = targets.outlook(target, today)
        chart = charts.burnup(series, target.value, target.start_date, target.deadline, today,
                              outlook.pace_per_day)
        rows.append((target, state, outlook, chart))
    return rows


def _describe(breakdown: dashboard.Breakdown, label) -> str:
    top = [row for row in breakdown.rows[:3] if row[1]]
    if not top:
        return _("No counted signatures in the period.")
    return _("%(counted)s counted in all. Most: %(list)s.",
             counted=format_number(breakdown.counted),
             list=", ".join(f"{label(key)} ({format_number(n)})" for key, n, _s in top))


def _bars_and_descriptions(figures: dashboard.SignatureFigures,
                           outreach: dashboard.OutreachFigures):
    def rows(breakdown, label):
        return charts.bars([(str(label(key)), counted) for key, counted, _s in breakdown.rows])

    kind = KIND_SHORT_LABELS.__getitem__
    theme = THEME_LABELS.__getitem__
    funnel = figures.funnel
    chart_bars = SimpleNamespace(
        funnel=charts.bars([
            (_("Signed"), funnel.made),
            (_("Confirmed their e-mail (or verified)"), funnel.confirmed_or_beyond),
            (_("Verified by a coordinator"), funnel.verified),
            *((str(STATUS_LABELS[s]), funnel.total(s)) for s in (
                SignatureStatus.PENDING, SignatureStatus.WITHDRAWN, SignatureStatus.REJECTED)),
        ]),
        kind=rows(figures.by_kind, kind),
        language=rows(figures.by_language, language_name),
        theme=rows(figures.by_theme, theme),
        cities=charts.bars([(c.city.name, c.signed) for c in outreach.cities]),
        types=charts.bars([(str(ACTIVITY_TYPE_LABELS[t.type]), t.signed) for t in outreach.types]),
    )
    text = SimpleNamespace(
        kind=_describe(figures.by_kind, kind),
        language=_describe(figures.by_language, language_name),
        theme=_describe(figures.by_theme, theme),
        top_countries=", ".join(country_name(code) for code, n, _s in figures.by_country.rows[:5]
                                if n),
    )
    return chart_bars, text


@bp.get("/dashboard")
@coordinator_required
def dashboard_view():
    today = counts.today()
    form = DashboardFilterForm(request.args)
    if not form.validate():
        return render_template("coordinate/dashboard.html", form=form, figures=None), 400
    period = _period(form, today)
    languages = current_app.config["LANGUAGES"]
    figures = dashboard.signature_figures(period, languages)
    by_country = {code: counted for code, counted, _signed in figures.by_country.rows}
    width, height, shapes = charts.europe_shapes()
    outreach = dashboard.outreach_figures(period)
    chart_bars, charts_text = _bars_and_descriptions(figures, outreach)
    export_form = ExportForm(formdata=None, data={
        "start": period.start, "end": period.end, "country": period.country or ""})
    return render_template(
        "coordinate/dashboard.html",
        form=form,
        period=period,
        figures=figures,
        outreach=outreach,
        chart_bars=chart_bars,
        charts_text=charts_text,
        statuses=SignatureStatus,
        burnups=_burnups(today),
        map_size=(width, height),
        map_shapes=shapes,
        map_values=by_country,
        map_fills=charts.map_fills(by_country),
        map_legend=charts.map_legend(by_country),
        export_form=export_form,
    )


def _export(kind: str):
    form = ExportForm()
    if not form.validate_on_submit():
        # Hidden fields someone changed: the dashboard's filters say what is wrong with them.
        filters = DashboardFilterForm(request.form)
        filters.validate()
        return render_template("coordinate/dashboard.html", form=filters, figures=None), 400
    period = _period(form, counts.today())
    signatories = kind == audit.EXPORT_SIGNATORIES
    # The first batch is read here: if the database fails, it is an error page, not a log
    # entry for a download that never began.
    batches = (exports.signatories_csv if signatories else exports.activities_csv)(period)
    started = audit.record(current_user, kind, start=period.start.isoformat(),
                           end=period.end.isoformat(), country=period.country)
    db.session.commit()  # before the first byte; the rows sent are logged when it ends
    name = "signatories" if signatories else "activities"
    filename = f"manifesto-{name}-{period.start.isoformat()}-{period.end.isoformat()}"
    if period.country:
        filename += f"-{period.country}"
    # No stream_with_context: the body is read in sessions of its own (core/streaming.py).
    # content_type, not mimetype: Werkzeug would add a second "; charset=utf-8" to the latter.
    return Response(audit.logged_download(started, batches),
                    content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


@bp.post("/exports/signatories.csv")
@coordinator_required
def export_signatories():
    return _export(audit.EXPORT_SIGNATORIES)


@bp.post("/exports/activities.csv")
@coordinator_required
def export_activities():
    return _export(audit.EXPORT_ACTIVITIES)


@bp.get("/audit")
@coordinator_required
def audit_log():
    form = AuditFilterForm(request.args, actions=audit.ACTION_LABELS,
                           coordinators=audit.coordinators())
    valid = form.validate()
    number = page_arg(MAX_AUDIT_PAGE)
    filters = {
        "action": form.action.data or None if not form.action.errors else None,
        "who": form.who.data or None if not form.who.errors else None,
        "start": form.start.data if not form.start.errors else None,
        "end": form.end.data if not (form.end.errors or form.start.errors) else None,
    }
    events, pages = audit.page(number, **filters)
    query = {k: v for k, v in request.args.items() if k in ("action", "who", "start", "end") and v}
    return render_template("coordinate/audit.html", events=events, form=form,
                           page=Page.counted(events, min(number, pages), pages), query=query,
                           describe=audit.describe,
                           action_labels=audit.ACTION_LABELS, as_date=date.fromisoformat), (
        200 if valid else 400)
