"""Signing: the form, "check your e-mail", confirmation, and the signatory's own page."""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from manifesto.cities import referrals
from manifesto.core.i18n import current_language
from manifesto.extensions import db
from manifesto.models import ConsentMethod
from manifesto.personal_data import privacy
from manifesto.signatures import abuse, signing, texts
from manifesto.web.forms import ButtonForm
from manifesto.web.headers import SECRET_LINK
from manifesto.web.security import requesting_client
from manifesto.web.sign import blank_forms, bp
from manifesto.web.sign.forms import LostLinkForm, ResendForm, SignForm, WithdrawForm


@bp.after_request
def private_pages(response: Response) -> Response:
    """Every signing page, error pages included: a form with a token, or a secret link."""
    response.headers.update(SECRET_LINK)
    return response


def _form_page(form: SignForm, version: texts.VersionRef, notice_version: int) -> str:
    return render_template("sign/form.html", form=form, version=version,
                           notice_version=notice_version)


class Sign(MethodView):
    """``/<lang>/sign``: GET shows the form, POST signs. One endpoint, ``sign.sign``, for both
    (every link and the form's action name it; the menu marks it as the page one is on)."""

    init_every_request = False

    def get(self):
        """The blank form, for the current versions of the Manifesto and of the privacy notice
        (``blank_forms``: rendered once, filled in for each visitor)."""
        language = current_language()
        version = texts.signable_version(language, texts.current_version_number(language))
        if version is None:
            abort(404)
        notice_version = privacy.current_version(language)
        return blank_forms.sign_form(
            blank_forms.sign_form_key(language, version.number, notice_version),
            render=lambda holes: _form_page(
                blank_forms.blank_sign_form(holes, manifesto_version=version.number,
                                            notice_version=notice_version),
                version, notice_version),
        )

    def post(self):
        """Sign the versions the page showed (its hidden fields; the current ones if they say
        none that exists), or show the form again with what is wrong."""
        form = SignForm()
        language = current_language()
        manifesto_number, notice_number = form.shown_versions()
        version = texts.signable_version(language, manifesto_number)
        if version is None:
            abort(404)
        notice_version = privacy.shown_version(language, notice_number)
        if not form.validate_on_submit():
            # The page carries what it shows, whatever the POST said.
            form.version_number.data = str(version.number)
            form.privacy_notice_version.data = str(notice_version)
            return _form_page(form, version, notice_version)
        client = requesting_client()
        req = form.to_request(
            language=language, version=version, notice_version=notice_version, client=client,
            referral=referrals.attribute(form.ref.data),
            flag_reasons=abuse.sign_flags(form.homepage.data, form.started.data,
                                          form.contact_email.data, client),
        )
        try:
            _outcome, signature_id = signing.submit(req)
            db.session.commit()
        except IntegrityError:
            # The same form posted twice at once: the other request recorded it.
            db.session.rollback()
            signature_id = signing.submission_key_taken(req.submission_key)
            if signature_id is None:
                raise
        session["sign_sent_to"] = req.contact_email
        # Flagged (for whatever reason, never said): received, and no e-mail until reviewed.
        session["sign_under_review"] = signing.held_for_review(signature_id)
        return redirect(url_for("sign.sent"), code=303)


bp.add_url_rule("/sign", view_func=Sign.as_view("sign"))


@bp.get("/sign/sent")
def sent():
    address = session.get("sign_sent_to")
    form = ResendForm(email=address) if address else ResendForm()
    return render_template("sign/sent.html", address=address, form=form,
                           under_review=session.get("sign_under_review", False),
                           lost_form=LostLinkForm(formdata=None))


@bp.post("/sign/resend")
def resend():
    form = ResendForm()
    if form.validate_on_submit():
        if abuse.resend_allowed(requesting_client()):
            signing.resend_confirmations(form.email.data, current_language())
            db.session.commit()
        # The same answer whether or not the address signed: nothing to enumerate.
        flash(
            _("If a signature with this address is waiting for confirmation, we have sent a new "
              "link to it."),
            "success",
        )
        session["sign_sent_to"] = form.email.data
        session.pop("sign_under_review", None)
        return redirect(url_for("sign.sent"), code=303)
    return render_template("sign/sent.html", address=None, form=form,
                           lost_form=LostLinkForm(formdata=None)), 400


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    form = ButtonForm()
    if request.method == "POST" and form.validate_on_submit():
        result, manage = signing.confirm(token)
        if result == signing.ConfirmResult.CONFIRMED:
            db.session.commit()
            flash(_("Thank you: your signature is confirmed."), "success")
            return redirect(url_for("sign.my_signature", token=manage), code=303)
        db.session.rollback()
    else:
        result, _token = signing.check_confirm_token(token)
    if result == signing.ConfirmResult.CONFIRMED:  # GET with a good link: show the button
        return render_template("sign/confirm.html", form=form)
    status = 200 if result == signing.ConfirmResult.ALREADY else 404
    return render_template("sign/link_problem.html", problem=result.value, form=ResendForm()), status


class _Gone(Exception):
    """The own link of a withdrawn signature: answered by ``gone``."""

    def __init__(self, withdrawn_at):
        self.withdrawn_at = withdrawn_at


@bp.errorhandler(_Gone)
def gone(error: _Gone):
    """410 Gone: when it was withdrawn and how to sign again, nothing of who signed."""
    return render_template("sign/withdrawn.html", withdrawn_at=error.withdrawn_at), 410


def _signature_or_404(token: str):
    """The signature of this own link; 410 Gone if it was withdrawn, 404 if the link is
    unknown."""
    signature = signing.manage_link_signature(token)
    if signature is None:
        withdrawn_at = signing.withdrawn_on(token)
        if withdrawn_at is None:
            abort(404)
        raise _Gone(withdrawn_at)
    return signature


def _my_page(signature, token: str, form: WithdrawForm) -> str:
    return render_template(
        "sign/my_signature.html",
        signature=signature,
        signatory=signature.signatory,
        token=token,
        form=form,
    )


@bp.get("/signature/<token>")
def my_signature(token: str):
    return _my_page(_signature_or_404(token), token, WithdrawForm())


@bp.get("/signature/<token>/data.json")
def my_data(token: str):
    signature = _signature_or_404(token)
    body = json.dumps(signing.export(signature), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="manifesto-signature.json"'
    return response


@bp.post("/signature/<token>/withdraw")
def withdraw(token: str):
    link = signing.find_token(token, signing.TokenPurpose.MANAGE)
    if link is None:
        abort(404)
    signature = link.signature
    if signature.status == signing.SignatureStatus.WITHDRAWN:
        return redirect(url_for("sign.withdrawn"), code=303)  # a second click: it is done
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _my_page(signature, token, form), 400
    if privacy.withdraw_signature(signature, ConsentMethod.OWN_PAGE):
        db.session.commit()
    else:  # a simultaneous click withdrew it (or a coordinator rejected it) first
        db.session.rollback()
    return redirect(url_for("sign.withdrawn"), code=303)


@bp.get("/signature/withdrawn")
def withdrawn():
    return render_template("sign/withdrawn.html")


@bp.route("/signature/lost", methods=["GET", "POST"])
def lost():
    """"Lost your link?": the links to one's own pages, by e-mail. The answer is the same page
    whether or not the address signed, and whether or not the limits let an e-mail go."""
    form = LostLinkForm()
    if form.validate_on_submit():
        signing.send_own_links(form.lost_email.data, current_language(), requesting_client())
        db.session.commit()
        return redirect(url_for("sign.lost_sent"), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("sign/lost.html", lost_form=form), status


@bp.get("/signature/lost/sent")
def lost_sent():
    return render_template("sign/lost_sent.html")
