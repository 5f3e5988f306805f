"""Coordinators: verify mayors' mandates, review flagged signatures, publish the text."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from manifesto.access import audit
from manifesto.extensions import db
from manifesto.models import Signature
from manifesto.signatures import counts, signing, texts
from manifesto.web.coordinate import bp
from manifesto.web.coordinate.forms import PublishForm, RejectForm
from manifesto.web.forms import ButtonForm
from manifesto.web.security import coordinator_required


def _flag_label(reason: str) -> str:
    labels = {
        "honeypot": _("Filled in the field hidden from people"),
        "no_timestamp": _("The form came back without its time stamp"),
        "too_fast": _("Sent faster than a person can fill in the form"),
        "ip_rate": _("Many signatures from the same network address"),
        "domain_rate": _("Many signatures from the same e-mail domain"),
        "email_cap": _("More e-mails to this address in 24 hours than the limit allows: "
                       "nothing was sent"),
    }
    return labels.get(reason, reason)


@bp.get("/review")
@coordinator_required
def review():
    return _review_page()


def _review_page(reject_form: RejectForm | None = None, reject_for: int | None = None) -> str:
    """The review queue; with ``reject_form``, signature ``reject_for``'s reason box as it was
    sent back (with its errors) instead of an empty one."""
    mandates, flagged = signing.review_queue()
    # One reason box per signature, each with its own field names and ids.
    reject_forms = {
        s.id: RejectForm(prefix=f"s{s.id}", formdata=None) for s in [*mandates, *flagged]
    }
    if reject_form is not None:
        reject_forms[reject_for] = reject_form
    return render_template(
        "coordinate/review.html",
        mandates=mandates,
        flagged=flagged,
        reject_forms=reject_forms,
        reject_for=reject_for,
        same_city=signing.same_city_signatures,
        same_address=signing.same_address_count,
        flag_label=_flag_label,
    )


def _signature(signature_id: int) -> Signature:
    signature = db.session.get(Signature, signature_id)
    if signature is None:
        abort(404)
    return signature


def _decision_done(decision: signing.Decision, done: str, already: str, not_now: str) -> None:
    """Commit what the click did, and say so; a click that another one beat changed nothing."""
    if decision == signing.Decision.DONE:
        db.session.commit()
        flash(done, "success")
    else:
        db.session.rollback()
        if decision == signing.Decision.ALREADY:
            flash(already, "info")
        else:
            flash(not_now, "error")


@bp.post("/signatures/<int:signature_id>/verify")
@coordinator_required
def verify(signature_id: int):
    signature = _signature(signature_id)
    if ButtonForm().validate_on_submit():
        name = signature.signatory.display_name
        _decision_done(
            signing.verify(signature, current_user),
            _("Verified: %(name)s now counts and, if they agreed, is listed.", name=name),
            _("%(name)s was already verified, by you or another coordinator: nothing changed.",
              name=name),
            _("This signature cannot be verified now: it is not confirmed, or it is flagged."),
        )
    return redirect(url_for("coordinate.review"), code=303)


@bp.post("/signatures/<int:signature_id>/reject")
@coordinator_required
def reject(signature_id: int):
    signature = _signature(signature_id)
    form = RejectForm(prefix=f"s{signature.id}")
    valid = form.validate_on_submit()
    if not valid and signature.status in counts.LIVE_STATUSES:
        return _review_page(reject_form=form, reject_for=signature.id), 400
    if valid:
        name = signature.signatory.display_name
        _decision_done(
            signing.reject(signature, current_user, form.reason.data),
            _("Rejected: %(name)s. The signatory is told why.", name=name),
            _("%(name)s was already rejected, by you or another coordinator: nothing changed.",
              name=name),
            _("This signature cannot be rejected now: it was withdrawn."),
        )
    return redirect(url_for("coordinate.review"), code=303)


@bp.post("/signatures/<int:signature_id>/clear-flag")
@coordinator_required
def clear_flag(signature_id: int):
    signature = _signature(signature_id)
    if ButtonForm().validate_on_submit():
        name = signature.signatory.display_name
        _decision_done(
            signing.clear_flag(signature, current_user),
            _("Flag cleared: %(name)s is treated like any other signature.", name=name),
            _("The flag on %(name)s was already cleared, by you or another coordinator: "
              "nothing changed.", name=name),
            _("This signature's flag cannot be cleared now: it was withdrawn or rejected."),
        )
    return redirect(url_for("coordinate.review"), code=303)


@bp.route("/manifesto", methods=["GET", "POST"])
@coordinator_required
def publish():
    languages = current_app.config["LANGUAGES"]
    form = PublishForm.for_languages(languages)()
    current = {lang: texts.current_version(lang) for lang in languages}
    if not form.is_submitted():
        for lang in languages:
            if current[lang] is not None:
                form[f"text_{lang}"].data = current[lang].body
    elif form.validate_on_submit():
        new = {lang: form[f"text_{lang}"].data for lang in languages}
        unchanged = all(
            current[lang] is not None and texts.text_sha256(new[lang]) == current[lang].sha256
            for lang in languages
        )
        if unchanged:
            form.confirm.errors.append(_("No text has changed: there is nothing to publish."))
        else:
            number = texts.publish_version(new, published_by=current_user)
            audit.record(current_user, audit.PUBLISH_MANIFESTO, version=number)
            db.session.commit()
            flash(_("Version %(number)d is published in all seven languages.", number=number),
                  "success")
            return redirect(url_for("public.manifesto"), code=303)
    latest = current.get("en")
    return render_template(
        "coordinate/publish.html",
        form=form,
        languages=languages,
        latest=latest,
    ), (400 if form.errors else 200)
