"""Coordinators: the campaign's targets, of any metric and scope, published or not."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from manifesto.access import audit
from manifesto.cities import targets
from manifesto.core.i18n import country_name
from manifesto.extensions import db
from manifesto.models import AmbassadorCity, Target, TargetMetric, TargetScope
from manifesto.web.coordinate import bp
from manifesto.web.coordinate.forms import TargetForm
from manifesto.web.forms import ButtonForm
from manifesto.web.security import coordinator_required


def _form_class():
    return TargetForm.for_languages(current_app.config["LANGUAGES"])


def _city_choices() -> list[SelectChoice]:
    cities = db.session.scalars(sa.select(AmbassadorCity).order_by(AmbassadorCity.name))
    return [SelectChoice("", _("Choose a city"))] + [
        SelectChoice(str(c.id), f"{c.name} ({country_name(c.country)})") for c in cities]


def _form(target: Target | None = None, formdata=None):
    form_class = _form_class()
    if formdata is None and target is not None:
        form = form_class(formdata=None, data={
            "metric": target.metric.value,
            "scope": target.scope.value,
            "country": target.scope_country or "",
            "ambassador_city": str(target.scope_ambassador_city_id or ""),
            "value": target.value,
            "start_date": target.start_date,
            "deadline": target.deadline,
            "published": target.published,
            **{f"title_{lang}": target.titles.get(lang, "")
               for lang in current_app.config["LANGUAGES"]},
        })
    elif formdata is None:
        form = form_class(formdata=None)
    else:
        form = form_class(formdata=formdata)
    form.ambassador_city.choices = _city_choices()
    return form


def _languages() -> list[str]:
    return current_app.config["LANGUAGES"]


def _values(form) -> targets.TargetValues:
    """The form's answers; which of country and city counts is the domain's rule."""
    city = form.ambassador_city.data
    return targets.TargetValues(
        metric=TargetMetric(form.metric.data),
        scope=TargetScope(form.scope.data),
        country=form.country.data or None,
        city_id=int(city) if city and city.isdigit() else None,
        value=form.value.data,
        start_date=form.start_date.data,
        deadline=form.deadline.data,
        published=form.published.data,
        titles={lang: form[f"title_{lang}"].data for lang in _languages()},
    )


@bp.route("/targets", methods=["GET", "POST"], endpoint="targets")
@coordinator_required
def list_targets():
    form = _form(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        target = targets.create(_values(form), languages=_languages())
        audit.record(current_user, audit.CREATE_TARGET, target=target.id,
                     published=target.published)
        db.session.commit()
        flash(_("The target “%(title)s” is saved.", title=target.title_in("en")), "success")
        return redirect(url_for("coordinate.targets") + f"#target-{target.id}", code=303)
    rows = targets.for_coordinators()
    today = targets.today_utc()
    return render_template(
        "coordinate/targets.html",
        form=form,
        rows=[(t, targets.progress(t, today)) for t in rows],
    ), 400 if form.errors else 200


@bp.route("/targets/<int:target_id>/edit", methods=["GET", "POST"])
@coordinator_required
def edit_target(target_id: int):
    target = db.get_or_404(Target, target_id)
    form = _form(target, formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        if not targets.update(target, _values(form), languages=_languages()):
            abort(404)  # deleted meanwhile
        audit.record(current_user, audit.EDIT_TARGET, target=target.id,
                     published=target.published)
        db.session.commit()
        flash(_("The target “%(title)s” is saved.", title=target.title_in("en")), "success")
        return redirect(url_for("coordinate.targets") + f"#target-{target.id}", code=303)
    return render_template("coordinate/target_edit.html", form=form, target=target), (
        400 if form.errors else 200)


def _decide(target_id: int, change, message: str, action: str):
    target = db.get_or_404(Target, target_id)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("coordinate.targets"), code=303)
    outcome = change(target)
    if outcome == targets.Change.NEEDS_TITLES:
        flash(_("Give the target a title in every language before publishing it."), "error")
        return redirect(url_for("coordinate.edit_target", target_id=target_id), code=303)
    if outcome == targets.Change.MADE:  # a second click changed nothing: no entry
        audit.record(current_user, action, target=target_id)
        db.session.commit()
    flash(message, "success")
    return redirect(url_for("coordinate.targets"), code=303)


@bp.post("/targets/<int:target_id>/publish")
@coordinator_required
def publish_target(target_id: int):
    return _decide(target_id, lambda t: targets.publish(t, languages=_languages()),
                   _("The target is published."), audit.PUBLISH_TARGET)


@bp.post("/targets/<int:target_id>/unpublish")
@coordinator_required
def unpublish_target(target_id: int):
    return _decide(target_id, targets.unpublish,
                   _("The target is no longer published."), audit.UNPUBLISH_TARGET)


@bp.post("/targets/<int:target_id>/delete")
@coordinator_required
def delete_target(target_id: int):
    return _decide(target_id, targets.delete, _("The target is deleted."),
                   audit.DELETE_TARGET)
