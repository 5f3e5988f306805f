"""Coordinators: the selection pipeline of ambassador cities and each city's targets."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.validators import InputRequired

from manifesto.access import accounts, audit
from manifesto.cities import pipeline, targets
from manifesto.core.i18n import country_choices, current_language, language_name
from manifesto.core.urls import absolute_url
from manifesto.extensions import db
from manifesto.models import AmbassadorCity, PipelineStage, Target, TargetMetric, TargetScope
from manifesto.web.coordinate import bp
from manifesto.web.coordinate.forms import CityForm, CityTargetForm, CommitmentForm, InterviewForm
from manifesto.web.forms import ButtonForm
from manifesto.web.security import coordinator_required

# The form that moves a city on from each stage (to the stage pipeline.NEXT_STAGE gives).
MOVE_FORMS = {
    PipelineStage.CANDIDATE: InterviewForm,
    PipelineStage.INTERVIEWED: CommitmentForm,
    PipelineStage.AMBASSADOR: ButtonForm,  # to alumni: only the button
}


def _move_form(city: AmbassadorCity, formdata=None):
    form_class = MOVE_FORMS.get(city.stage)
    if form_class is None:
        return None
    form = form_class(formdata=formdata) if formdata is not None else form_class(formdata=None)
    if isinstance(form, CommitmentForm):
        form.languages.choices = [
            (code, language_name(code)) for code in current_app.config["LANGUAGES"]
        ]
        form.countries.choices = list(country_choices(current_language()))
        if formdata is None:
            form.languages.data = form.languages.data or [current_language()]
            form.countries.data = form.countries.data or [city.country]
    return form


@bp.route("/cities", methods=["GET", "POST"])
@coordinator_required
def cities():
    form = CityForm()
    if form.validate_on_submit():
        if pipeline.name_taken(form.name.data, form.country.data):
            form.name.errors.append(_("This city is already in the pipeline."))
        else:
            city = pipeline.add_candidate(form.name.data, form.country.data, current_user)
            audit.record(current_user, audit.ADD_CITY, city=city.id)
            db.session.commit()
            flash(_("%(city)s is now a candidate.", city=city.name), "success")
            return redirect(url_for("coordinate.city", city_id=city.id), code=303)
    status = 400 if form.errors else 200
    return render_template(
        "coordinate/cities.html",
        form=form,
        by_stage=pipeline.cities_by_stage(),
        next_stage=pipeline.NEXT_STAGE,
    ), status


def _render_city(city: AmbassadorCity, move_form=None, target_form=None, status: int = 200):
    return render_template(
        "coordinate/city.html",
        city=city,
        history=pipeline.history(city),
        next_stage=pipeline.NEXT_STAGE.get(city.stage),
        move_form=move_form if move_form is not None else _move_form(city),
        target_form=target_form if target_form is not None else CityTargetForm(formdata=None),
        targets=targets.city_targets(city.id),
        users=accounts.city_team(city.id),
        totals=pipeline.activity_totals([city.id]).get(city.id, pipeline.ActivityTotals()),
        referral_link=absolute_url("sign.sign", ref=city.referral_code),
    ), status


@bp.get("/cities/<int:city_id>")
@coordinator_required
def city(city_id: int):
    return _render_city(db.get_or_404(AmbassadorCity, city_id))


def _required_message(field) -> str:
    """What the field itself says when it is left empty (its InputRequired's message): every
    detail a move records is a required field of its form."""
    return next(str(v.message) for v in field.validators if isinstance(v, InputRequired))


def _moved_meanwhile(city: AmbassadorCity):
    flash(_("This city was moved by someone else in the meantime; check its stage again."),
          "error")
    return redirect(url_for("coordinate.city", city_id=city.id), code=303)


@bp.post("/cities/<int:city_id>/move")
@coordinator_required
def move_city(city_id: int):
    city = db.get_or_404(AmbassadorCity, city_id)
    to_stage = pipeline.NEXT_STAGE.get(city.stage)
    form = _move_form(city, formdata=request.form)
    if to_stage is None or form is None:
        abort(404)
    if request.form.get("from_stage") != city.stage.value:
        return _moved_meanwhile(city)  # since this page was loaded
    if not form.validate():
        return _render_city(city, move_form=form, status=400)
    details = {name: value for name, value in form.data.items() if name != "csrf_token"}
    from_stage = city.stage
    try:
        pipeline.move(city, to_stage, current_user, **details)
    except pipeline.MoveError as refused:
        if not refused.missing:  # the stage allows no such move: it changed since it was read
            return _moved_meanwhile(city)
        for name in refused.missing:  # a value the form let through, such as spaces only
            form[name].errors.append(_required_message(form[name]))
        return _render_city(city, move_form=form, status=400)
    audit.record(current_user, audit.MOVE_CITY, city=city.id, stage_from=from_stage.value,
                 stage_to=to_stage.value)
    db.session.commit()
    flash(_("%(city)s moved to the next stage.", city=city.name), "success")
    return redirect(url_for("coordinate.city", city_id=city.id), code=303)


@bp.post("/cities/<int:city_id>/targets")
@coordinator_required
def add_city_target(city_id: int):
    city = db.get_or_404(AmbassadorCity, city_id)
    form = CityTargetForm()
    if not form.validate_on_submit():
        return _render_city(city, target_form=form, status=400)
    target = targets.create(targets.TargetValues(
        metric=TargetMetric(form.metric.data),
        scope=TargetScope.AMBASSADOR_CITY,
        city_id=city.id,
        value=form.value.data,
        start_date=form.start_date.data,
        deadline=form.deadline.data,
    ), languages=current_app.config["LANGUAGES"])
    audit.record(current_user, audit.CREATE_TARGET, target=target.id, city=city.id)
    db.session.commit()
    flash(_("The target is set; the city's home page shows it."), "success")
    return redirect(url_for("coordinate.city", city_id=city.id) + "#targets", code=303)


@bp.post("/cities/<int:city_id>/targets/<int:target_id>/delete")
@coordinator_required
def delete_city_target(city_id: int, target_id: int):
    city = db.get_or_404(AmbassadorCity, city_id)
    target = db.session.get(Target, target_id)
    if target is None or target.scope_ambassador_city_id != city.id:
        abort(404)
    if ButtonForm().validate_on_submit():
        if targets.delete(target) == targets.Change.MADE:
            audit.record(current_user, audit.DELETE_TARGET, target=target_id, city=city.id)
            db.session.commit()
        flash(_("The target is deleted."), "success")
    return redirect(url_for("coordinate.city", city_id=city.id) + "#targets", code=303)
