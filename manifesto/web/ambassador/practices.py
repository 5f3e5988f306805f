"""Best practices written by ambassadors (published by coordinators)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from manifesto.cities import practices
from manifesto.extensions import db
from manifesto.models import BestPractice, Theme
from manifesto.web.ambassador import bp
from manifesto.web.ambassador.forms import PracticeForm
from manifesto.web.security import ambassador_required


def _own_practice(practice_id: int) -> BestPractice:
    practice = practices.own_practice(current_user.ambassador_city_id, practice_id)
    if practice is None:
        abort(404)
    return practice


def _values(form: PracticeForm) -> practices.PracticeValues:
    return practices.PracticeValues(
        title=form.title.data,
        summary=form.summary.data,
        theme=Theme(form.theme.data),
        language=form.language.data,
        url=form.url.data,
    )


@bp.route("/practices", methods=["GET", "POST"])
@ambassador_required
def practices_list():
    form = PracticeForm()
    if form.validate_on_submit():
        practices.submit(current_user, _values(form))
        db.session.commit()
        flash(_("Thank you. A coordinator will read it and publish it."), "success")
        return redirect(url_for("ambassador.practices_list"), code=303)
    return render_template(
        "ambassador/practices.html",
        form=form,
        practices=practices.of_city(current_user.ambassador_city_id),
    ), (400 if form.errors else 200)


@bp.route("/practices/<int:practice_id>/edit", methods=["GET", "POST"])
@ambassador_required
def edit_practice(practice_id: int):
    practice = _own_practice(practice_id)
    form = PracticeForm(obj=practice)
    if form.validate_on_submit():
        was_published = practices.update(practice, _values(form))
        db.session.commit()
        flash(
            _("Saved. A coordinator will read the changes and publish it again.")
            if was_published
            else _("Saved."),
            "success",
        )
        return redirect(url_for("ambassador.practices_list"), code=303)
    return render_template(
        "ambassador/practice_edit.html", form=form, practice=practice
    ), (400 if form.errors else 200)
