"""Coordinators' privacy pages: the notice's versions, what is held about an e-mail address
(find, download, erase), and the retention periods. Every action on a person's data is
written to the audit log, naming the person by a keyed hash of the address only."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from manifesto.access import accounts, audit
from manifesto.core.i18n import language_name
from manifesto.extensions import db
from manifesto.personal_data import privacy, retention
from manifesto.signatures import texts
from manifesto.web.coordinate import bp
from manifesto.web.coordinate.forms import EraseSubjectForm, NoticeForm, SubjectForm
from manifesto.web.security import coordinator_required

RETENTION_SETTINGS = (
    "IP_HASH_RETENTION_DAYS",
    "RETENTION_UNCONFIRMED_DAYS",
    "RETENTION_CLOSED_DAYS",
    "RETENTION_EMAIL_DAYS",
    "RETENTION_DEACTIVATED_ACCOUNT_DAYS",
)


def _overview(subject_form: SubjectForm | None = None, status: int = 200):
    languages = current_app.config["LANGUAGES"]
    notices = {lang: privacy.versions(lang)[0] for lang in languages}
    return render_template(
        "coordinate/privacy.html",
        notices=notices,
        languages=languages,
        subject_form=subject_form or SubjectForm(formdata=None),
        retention={name: current_app.config[name] for name in RETENTION_SETTINGS},
        due=retention.due(),
    ), status


@bp.get("/privacy")
@coordinator_required
def privacy_overview():
    return _overview()


@bp.route("/privacy/notice/<lang>", methods=["GET", "POST"])
@coordinator_required
def privacy_notice(lang: str):
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    current = privacy.current_notice(lang)
    form = NoticeForm()
    if not form.is_submitted():
        form.body.data = current.body
    elif form.validate_on_submit():
        if texts.text_sha256(form.body.data) == current.sha256:
            form.body.errors.append(_("The text has not changed: there is nothing to publish."))
        else:
            number = privacy.publish_notice(lang, form.body.data, current_user)
            audit.record(current_user, audit.PUBLISH_NOTICE, language=lang, version=number)
            db.session.commit()
            flash(_("Version %(number)s of the privacy notice is in force in %(language)s.",
                    number=number, language=language_name(lang)), "success")
            return redirect(url_for("coordinate.privacy_overview"), code=303)
    return render_template("coordinate/privacy_notice.html", form=form, lang=lang,
                           current=current), (400 if form.errors else 200)


def _found(subject: privacy.Subject) -> dict:
    return {"signatures": len(subject.signatures), "accounts": len(subject.accounts),
            "emails": len(subject.emails)}


@bp.post("/privacy/subject")
@coordinator_required
def privacy_subject():
    form = SubjectForm()
    if not form.validate_on_submit():
        return _overview(form, 400)
    subject = privacy.find_subject(form.email.data)
    audit.record(current_user, audit.SUBJECT_SEARCH,
                 subject=privacy.subject_reference(form.email.data), found=_found(subject))
    db.session.commit()
    return render_template(
        "coordinate/privacy_subject.html", subject=subject,
        erase_form=EraseSubjectForm(formdata=None, email=subject.email),
        reference=privacy.subject_reference(subject.email), role_labels=accounts.ROLE_LABELS,
    )


@bp.post("/privacy/subject/export")
@coordinator_required
def privacy_subject_export():
    form = SubjectForm()
    if not form.validate_on_submit():
        return _overview(form, 400)
    subject = privacy.find_subject(form.email.data)
    audit.record(current_user, audit.SUBJECT_EXPORT,
                 subject=privacy.subject_reference(form.email.data), found=_found(subject))
    db.session.commit()
    body = json.dumps(privacy.export_subject(subject), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="manifesto-personal-data.json"'})


@bp.post("/privacy/subject/erase")
@coordinator_required
def privacy_subject_erase():
    form = EraseSubjectForm()
    subject_form = SubjectForm()
    if not subject_form.validate_on_submit():
        return _overview(subject_form, 400)
    subject = privacy.find_subject(subject_form.email.data)
    if not form.validate():
        return render_template(
            "coordinate/privacy_subject.html", subject=subject, erase_form=form,
            reference=privacy.subject_reference(subject.email), role_labels=accounts.ROLE_LABELS,
        ), 400
    reference = privacy.subject_reference(subject.email)
    erased = privacy.erase_subject(subject, current_user)
    audit.record(current_user, audit.SUBJECT_ERASE, subject=reference, erased={
        "signatures": erased.signatures, "accounts": erased.accounts, "emails": erased.emails})
    db.session.commit()
    flash(_("Erased for person %(reference)s: signatures %(signatures)s, accounts %(accounts)s, "
            "e-mails %(emails)s.", reference=reference, signatures=erased.signatures,
            accounts=erased.accounts, emails=erased.emails), "success")
    if erased.kept_self:
        flash(_("Your own account was kept: another coordinator must erase it."), "error")
    return redirect(url_for("coordinate.privacy_overview"), code=303)
