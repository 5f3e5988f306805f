"""The ambassador's home and outreach log.

Every view reads the city from ``current_user.ambassador_city``, never from the URL: an
activity of another city is a 404, as if it did not exist.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from manifesto.cities import outreach, targets
from manifesto.core.campaign import LAUNCH_DATE
from manifesto.core.i18n import current_language
from manifesto.core.urls import absolute_url, path_for
from manifesto.extensions import db
from manifesto.models import AmbassadorCity, PipelineStage
from manifesto.web.ambassador import bp, csv_import
from manifesto.web.ambassador.forms import (
    ActivityForm,
    FilterForm,
    ImportForm,
    default_language,
    language_choices,
    language_label,
)
from manifesto.web.forms import ButtonForm
from manifesto.web.headers import PRIVATE
from manifesto.web.pagination import Page, page_arg
from manifesto.web.security import ambassador_required

# The whole upload (file, checkbox, token) may be a little larger than the file itself.
IMPORT_MAX_REQUEST_BYTES = outreach.IMPORT_MAX_BYTES + 64 * 1024


def _city() -> AmbassadorCity:
    return current_user.ambassador_city


def _referral_link(code: str) -> str:
    return absolute_url("sign.sign", ref=code)


def _own_activity_or_404(activity_id: int):
    activity = outreach.own_activity(current_user.ambassador_city_id, activity_id)
    if activity is None:
        abort(404)
    return activity


@bp.context_processor
def _template_helpers() -> dict:
    return {
        "language_label": language_label,
        "launch_date": LAUNCH_DATE,
        "title_max": outreach.TITLE_MAX,
        "description_max": outreach.DESCRIPTION_MAX,
    }


@bp.after_request
def private_pages(response: Response) -> Response:
    """A city's own figures and links: never kept by a shared cache."""
    response.headers.setdefault("Cache-Control", PRIVATE["Cache-Control"])
    return response


@bp.get("/")
@ambassador_required
def home():
    city = _city()
    city_targets = [(target, targets.progress(target)) for target in targets.city_targets(city.id)]
    badges = [(absolute_url("public.badge"), _("Inclusive Smart Cities Manifesto"))] + [
        (absolute_url("public.target_badge", target_id=target.id),
         target.title_in(current_language()))
        for target, _progress in city_targets if targets.is_public(target)
    ]
    return render_template(
        "ambassador/home.html",
        city=city,
        badges=badges,
        attributes=city.stage == PipelineStage.AMBASSADOR,
        referral_link=_referral_link(city.referral_code),
        targets=city_targets,
        signatures=outreach.attributed_signatures(city.id),
        totals=outreach.totals(city.id),
    )


@bp.get("/activities")
@ambassador_required
def activities():
    city = _city()
    filters = FilterForm(request.args, city=city)
    if not filters.validate():
        return render_template(
            "ambassador/activities.html", city=city, filters=filters, rows=None
        ), 400
    chosen = filters.filters()
    totals = outreach.totals(city.id, chosen)
    page = min(page_arg(outreach.MAX_PAGE), totals.pages)
    activities = outreach.page_of(city.id, chosen, page)
    signatures = outreach.signatures_by_activity(a.id for a in activities)
    rows = [(a, _referral_link(a.referral_code), signatures.get(a.id, 0)) for a in activities]
    return render_template(
        "ambassador/activities.html",
        city=city,
        filters=filters,
        filter_args=filters.query_args(),
        filtered=bool(chosen),
        rows=rows,
        totals=totals,
        page=Page.counted(rows, page, totals.pages),
    )


@bp.get("/activities.csv")
@ambassador_required
def export_activities():
    city = _city()
    filters = FilterForm(request.args, city=city)
    if not filters.validate():
        # The list says what is wrong with the filters.
        return redirect(path_for("ambassador.activities", query=request.args.to_dict()), code=303)
    chosen = filters.filters()
    # Read a batch at a time in sessions of their own (core/streaming.py): bounded memory, and
    # nothing of the request's session is used once the view has returned.
    body = outreach.export_stream(city.id, chosen, _referral_link(""))
    filename = f"outreach-activities-{targets.today_utc().isoformat()}.csv"
    return Response(
        body.text(),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


@bp.route("/activities/new", methods=["GET", "POST"])
@ambassador_required
def new_activity():
    city = _city()
    form = ActivityForm(city=city, default_language=default_language(city))
    if form.validate_on_submit():
        activity = outreach.create(city, current_user, form.values())
        db.session.commit()
        flash(_("Added to your outreach log: %(title)s. Its referral link is ready to share.",
                title=activity.title), "success")
        return redirect(url_for("ambassador.edit_activity", activity_id=activity.id), code=303)
    return render_template(
        "ambassador/activity_form.html", city=city, form=form, activity=None
    ), (400 if form.errors else 200)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@ambassador_required
def edit_activity(activity_id: int):
    city = _city()
    activity = _own_activity_or_404(activity_id)
    form = ActivityForm(city=city, activity=activity)
    if form.validate_on_submit():
        outreach.update(activity, form.values())
        db.session.commit()
        flash(_("Saved: %(title)s.", title=activity.title), "success")
        return redirect(url_for("ambassador.activities"), code=303)
    return render_template(
        "ambassador/activity_form.html",
        city=city,
        form=form,
        activity=activity,
        referral_link=_referral_link(activity.referral_code),
        signatures=outreach.signatures_by_activity([activity.id]).get(activity.id, 0),
    ), (400 if form.errors else 200)


@bp.route("/activities/<int:activity_id>/delete", methods=["GET", "POST"])
@ambassador_required
def delete_activity(activity_id: int):
    """GET asks for confirmation (a plain page, no script needed); POST deletes."""
    activity = _own_activity_or_404(activity_id)
    form = ButtonForm()
    if form.validate_on_submit():
        title = activity.title
        if not outreach.delete(activity, current_user):
            abort(404)  # deleted meanwhile
        db.session.commit()
        flash(_("Deleted from your outreach log: %(title)s.", title=title), "success")
        return redirect(url_for("ambassador.activities"), code=303)
    return render_template(
        "ambassador/activity_delete.html",
        activity=activity,
        form=form,
        signatures=outreach.signatures_by_activity([activity.id]).get(activity.id, 0),
    )


@bp.url_value_preprocessor
def _limit_upload_size(endpoint, values):
    """Refuse an oversized import before anything (even the CSRF check) reads the body."""
    if endpoint == "ambassador.import_activities" and request.method == "POST":
        request.max_content_length = IMPORT_MAX_REQUEST_BYTES


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error):
    if request.endpoint != "ambassador.import_activities" or not current_user.is_authenticated:
        return render_template("errors/generic.html", status=413), 413
    form = ImportForm(formdata=None)
    form.file.errors = [_("The file is larger than 1 MB: split it into smaller files.")]
    return _import_page(form, None), 413


def _import_page(form: ImportForm, result: outreach.ImportResult | None, imported: int = 0):
    return render_template(
        "ambassador/import.html",
        city=_city(),
        form=form,
        result=result,
        imported=imported,
        columns=outreach.CSV_COLUMNS,
        required=outreach.REQUIRED_COLUMNS,
        max_rows=outreach.IMPORT_MAX_ROWS,
        language_choices=language_choices(_city()),
    )


@bp.route("/activities/import", methods=["GET", "POST"])
@ambassador_required
def import_activities():
    city = _city()
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(form, None), (400 if form.errors else 200)
    upload = form.file.data
    data = upload.stream.read(outreach.IMPORT_MAX_BYTES + 1)
    result = csv_import.read_csv(data, upload.filename or "", city)
    if result.problem:
        form.file.errors = [result.problem]
        return _import_page(form, None), 400
    if result.rejected and not form.import_valid.data:
        return _import_page(form, result), 400
    imported = outreach.import_rows(city, current_user, result.valid)
    db.session.commit()
    message = ngettext("%(count)s activity imported.", "%(count)s activities imported.",
                       imported, count=format_number(imported))
    if not result.rejected:
        flash(message, "success")
        return redirect(url_for("ambassador.activities"), code=303)
    return _import_page(ImportForm(formdata=None), result, imported)
