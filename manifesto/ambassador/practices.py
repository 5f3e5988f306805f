"""Best practices written by ambassadors (published by coordinators)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import practices
from ..extensions import db
from ..models import BestPractice, BestPracticeStatus, Theme, utcnow
from ..security import ambassador_required
from . import bp
from .forms import PracticeForm


def _own_practice(practice_id: int) -> BestPractice:
    practice = db.session.get(BestPractice, practice_id)
    if practice is None or practice.ambassador_city_id != current_user.ambassador_city_id:
        abort(404)
    return practice


@bp.route("/practices", methods=["GET", "POST"])
@ambassador_required
def practices_list():
    form = PracticeForm()
    if form.validate_on_submit():
        db.session.add(
            BestPractice(
                ambassador_city_id=current_user.ambassador_city_id,
                author_id=current_user.id,
                title=form.title.data,
                summary=form.summary.data,
                theme=Theme(form.theme.data),
                language=form.language.data,
                url=form.url.data or None,
                status=BestPracticeStatus.SUBMITTED,
            )
        )
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
        practice.title = form.title.data
        practice.summary = form.summary.data
        practice.theme = Theme(form.theme.data)
        practice.language = form.language.data
        practice.url = form.url.data or None
        practice.updated_at = utcnow()
        was_published = practice.status == BestPracticeStatus.PUBLISHED
        practices.unpublish(practice)  # a coordinator reads every change before it is public
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
