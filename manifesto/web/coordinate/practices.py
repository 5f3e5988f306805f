"""Coordinators: publish the best practices ambassadors send."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from manifesto.access import audit
from manifesto.cities import practices
from manifesto.extensions import db
from manifesto.models import BestPractice, BestPracticeStatus
from manifesto.web.coordinate import bp
from manifesto.web.forms import ButtonForm
from manifesto.web.security import coordinator_required


@bp.get("/practices")
@coordinator_required
def practices_queue():
    published, _total = practices.library(page=1)
    return render_template(
        "coordinate/practices.html", waiting=practices.waiting(), published=published
    )


@bp.post("/practices/<int:practice_id>/publish")
@coordinator_required
def publish_practice(practice_id: int):
    practice = db.get_or_404(BestPractice, practice_id)
    if ButtonForm().validate_on_submit() and practice.status != BestPracticeStatus.PUBLISHED:
        practices.publish(practice, current_user)
        audit.record(current_user, audit.PUBLISH_PRACTICE, practice=practice.id)
        db.session.commit()
        flash(_("Published: “%(title)s” is in the public library.", title=practice.title),
              "success")
    return redirect(url_for("coordinate.practices_queue"), code=303)


@bp.post("/practices/<int:practice_id>/unpublish")
@coordinator_required
def unpublish_practice(practice_id: int):
    practice = db.get_or_404(BestPractice, practice_id)
    if ButtonForm().validate_on_submit() and practice.status == BestPracticeStatus.PUBLISHED:
        practices.unpublish(practice)
        audit.record(current_user, audit.UNPUBLISH_PRACTICE, practice=practice.id)
        db.session.commit()
        flash(_("“%(title)s” is no longer public.", title=practice.title), "success")
    return redirect(url_for("coordinate.practices_queue"), code=303)
