"""Simultaneous clicks through a real server (issue 17, point 2): each status change is won by
exactly one request, which alone moves the public counts, writes the audit entry and queues the
e-mail; the others get the page a second click deserves, never a 5xx; identical signatures
sent at once make one row. After each storm ``counts reconcile --check`` finds nothing."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from manifesto.cities import outreach, pipeline, targets
from manifesto.core.emails import canonical_email
from manifesto.demo import AMBASSADOR_EMAIL
from manifesto.extensions import db
from manifesto.models import (
    AmbassadorCity,
    AuditEvent,
    ConsentAction,
    ConsentRecord,
    OutboxMessage,
    OutreachActivity,
    PipelineEvent,
    PipelineStage,
    Signatory,
    Signature,
    SignatureStatus,
    Target,
    TargetMetric,
)
from manifesto.signatures.signing import MAX_SIGNER_EMAILS
from tests.server.conftest import csrf_token
from tests.support.signing import form_fields

COORDINATOR = "coordinator@manifesto.example"
COORDINATOR_IP = "10.0.0.1"  # one browser: its tabs share the session and the address


def new_ip() -> str:
    return "10.{}.{}.{}".format(*secrets.token_bytes(3))


def client_from(server, ip: str | None = None, cookies=None):
    """A client of its own (one browser), from its own address (X-Forwarded-For)."""
    return server.client(headers={"X-Forwarded-For": ip or new_ip()}, cookies=cookies)


def sign_form(client, **fields) -> dict:
    page = client.get("/en/sign")
    assert page.status_code == 200
    return {**form_fields(page.text), **fields}


def organisation(tag: str) -> dict:
    """A signatory no other test uses: its own name, e-mail domain and country's count."""
    return {
        "kind": "organisation", "organisation_name": f"Races {tag}",
        "organisation_type": "ngo", "city": "Porto", "country": "PT",
        "contact_name": "Rita", "contact_email": f"rita@races-{tag}.example",
        "consent_privacy": "y", "listed_publicly": "y",
    }


def mayor(tag: str, country: str = "IT") -> dict:
    return {
        "kind": "mayor", "mayor_name": "Sindaco Races", "city": f"Races {tag}",
        "country": country, "contact_name": "Ufficio", "contact_email": f"sindaco@races-{tag}.example",
        "consent_privacy": "y", "listed_publicly": "y",
    }


def sign(server, fields: dict) -> int:
    with client_from(server) as client:
        response = client.post("/en/sign", data=sign_form(client, **fields))
        assert response.status_code == 303, response.text[:500]
    return signature_of(server, fields["contact_email"])


def signature_of(server, email: str) -> int:
    with server.app.app_context():
        ids = db.session.scalars(
            sa.select(Signature.id).join(Signatory)
            .where(Signatory.email_canonical == canonical_email(email))).all()
        db.session.remove()
    assert len(ids) == 1, ids
    return ids[0]


def rows(server, model, *where) -> int:
    with server.app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
        db.session.remove()
    return n


def emails(server, signature_id: int, kind: str) -> int:
    return rows(server, OutboxMessage, OutboxMessage.signature_id == signature_id,
                OutboxMessage.kind == kind)


def audit_entries(server, action: str, signature_id: int) -> int:
    with server.app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()
        n = sum(1 for e in events if (e.detail or {}).get("signature") == signature_id)
        db.session.remove()
    return n


def status_of(server, signature_id: int) -> tuple[SignatureStatus, bool]:
    with server.app.app_context():
        row = db.session.execute(sa.select(Signature.status, Signature.flagged)
                                 .where(Signature.id == signature_id)).one()
        db.session.remove()
    return row.status, row.flagged


def links(server, signature_id: int, path: str) -> list[str]:
    """The paths of the ``/en/<path>/<token>`` links e-mailed for the signature, newest first."""
    with server.app.app_context():
        bodies = db.session.scalars(
            sa.select(OutboxMessage.body_text).where(OutboxMessage.signature_id == signature_id)
            .order_by(OutboxMessage.id.desc())).all()
        db.session.remove()
    found = [m.group(1) for body in bodies
             if (m := re.search(re.escape(server.url) + r"(/en/" + path + r"/[\w-]+)", body))]
    assert found, bodies
    return found


def link(server, signature_id: int, path: str) -> str:
    return links(server, signature_id, path)[0]


def public_counts(http) -> dict:
    answer = http.get("/api/v1/counts")
    assert answer.status_code == 200
    return answer.json()


def confirm(server, signature_id: int) -> str:
    """Confirm once, as a person would; returns the path of the signatory's own page."""
    url = link(server, signature_id, "confirm")
    with client_from(server) as client:
        response = client.form(url)
        assert response.status_code == 303, response.text[:300]
    return response.headers["location"]


def no_5xx(responses) -> None:
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]


@pytest.fixture(scope="module")
def coordinator_cookies(server):
    """One coordinator's session (logged in once: the login rate limit counts every login)."""
    with client_from(server, ip=COORDINATOR_IP) as client:
        client.get(client.login(COORDINATOR).headers["location"])  # (its message shown)
        return [(c.name, c.value, c.domain, c.path) for c in client.cookies.jar]


def coordinator_clicks(server, cookies, n: int, burst, path: str, data: dict | None = None):
    """n clicks at once on one review form, from n tabs of one coordinator's browser; returns
    each click's answer and the message the review page then showed it."""
    clients = [client_from(server, ip=COORDINATOR_IP) for _ in range(n)]
    for client in clients:
        for name, value, domain, cookie_path in cookies:
            client.cookies.set(name, value, domain=domain, path=cookie_path)
    token = csrf_token(clients[0].get("/en/coordinate/review").text)
    try:
        answers = burst(n, lambda i: clients[i].post(path, data={"csrf_token": token,
                                                                   **(data or {})}))
        no_5xx(answers)
        assert all(a.status_code == 303 for a in answers), [(a.status_code, a.url, a.text[:300]) for a in answers]
        messages = []
        for client, answer in zip(clients, answers):
            page = client.get(answer.headers["location"]).text
            messages.append(" ".join(re.findall(r'<p class="flash flash-\w+">([^<]*)</p>', page)))
        return answers, messages
    finally:
        for client in clients:
            client.close()


# --- the signatory's clicks -----------------------------------------------------------------


def test_eight_simultaneous_confirmations_through_four_links_count_it_once(server, http, burst):
    fields = organisation(secrets.token_hex(4))
    signature_id = sign(server, fields)
    with client_from(server) as client:
        for _ in range(3):  # "send me a new link": four links to the same signature
            sent = client.form("/en/sign/sent", {"email": fields["contact_email"]},
                               to="/en/sign/resend")
            assert sent.status_code == 303
    urls = links(server, signature_id, "confirm")
    assert len(urls) == 4
    before = public_counts(http)
    clients = [client_from(server) for _ in range(8)]
    tokens = [csrf_token(c.get(urls[i % 4]).text) for i, c in enumerate(clients)]
    try:
        answers = burst(8, lambda i: clients[i].post(urls[i % 4],
                                                     data={"csrf_token": tokens[i]}))
    finally:
        for client in clients:
            client.close()
    no_5xx(answers)
    won = [a for a in answers if a.status_code == 303]
    assert len(won) == 1 and "/en/signature/" in won[0].headers["location"]
    lost = [a for a in answers if a is not won[0]]
    assert all(a.status_code == 200 and "Already confirmed" in a.text for a in lost)
    after = public_counts(http)
    assert after["counted"]["organisations"] == before["counted"]["organisations"] + 1
    assert (after["by_country"]["PT"]["organisations"]
            == before["by_country"].get("PT", {"organisations": 0})["organisations"] + 1)
    assert status_of(server, signature_id) == (SignatureStatus.CONFIRMED, False)
    server.reconcile_check()


def test_six_simultaneous_withdrawals_take_one_off_the_count(server, http, burst):
    fields = organisation(secrets.token_hex(4))
    fields["country"] = "LU"  # a country only this signature counts in
    signature_id = sign(server, fields)
    own_page = confirm(server, signature_id)
    before = public_counts(http)
    assert before["by_country"]["LU"]["organisations"] >= 1
    clients = [client_from(server) for _ in range(6)]
    tokens = [csrf_token(c.get(own_page).text) for c in clients]
    try:
        answers = burst(6, lambda i: clients[i].post(
            own_page + "/withdraw", data={"csrf_token": tokens[i], "understood": "y"}))
    finally:
        for client in clients:
            client.close()
    no_5xx(answers)
    assert all(a.status_code == 303 and a.headers["location"].endswith("/signature/withdrawn")
               for a in answers), [(a.status_code, a.headers.get("location")) for a in answers]
    assert "Your signature is withdrawn" in http.get(answers[-1].headers["location"]).text
    after = public_counts(http)
    assert after["counted"]["organisations"] == before["counted"]["organisations"] - 1
    assert (after["by_country"].get("LU", {"organisations": 0})["organisations"]
            == before["by_country"]["LU"]["organisations"] - 1)
    assert all(n >= 0 for status in after["by_status"].values() for n in status.values())
    assert status_of(server, signature_id)[0] == SignatureStatus.WITHDRAWN
    assert rows(server, ConsentRecord, ConsentRecord.signature_id == signature_id,
                ConsentRecord.action == ConsentAction.WITHDRAWN) == 1
    server.reconcile_check()


def test_ten_simultaneous_identical_signatures_make_one(server, burst):
    fields = organisation(secrets.token_hex(4))
    clients = [client_from(server) for _ in range(10)]
    forms = [sign_form(c, **fields) for c in clients]  # ten forms: ten submission keys
    try:
        answers = burst(10, lambda i: clients[i].post("/en/sign", data=forms[i]))
    finally:
        for client in clients:
            client.close()
    no_5xx(answers)
    assert all(a.status_code == 303 and a.headers["location"].endswith("/sign/sent")
               for a in answers), [a.status_code for a in answers]
    signature_id = signature_of(server, fields["contact_email"])  # one row, asserted there
    assert rows(server, Signatory, Signatory.email_canonical
                == canonical_email(fields["contact_email"])) == 1
    # The first e-mail, then a new link for each repeat, up to the cap per signer.
    assert emails(server, signature_id, "confirm") == MAX_SIGNER_EMAILS
    server.reconcile_check()


# --- a coordinator's clicks -----------------------------------------------------------------


def test_four_simultaneous_verify_clicks_count_the_mayor_once(server, http, burst,
                                                             coordinator_cookies):
    signature_id = sign(server, mayor(secrets.token_hex(4)))
    confirm(server, signature_id)
    before = public_counts(http)
    _answers, messages = coordinator_clicks(
        server, coordinator_cookies, 4, burst,
        f"/en/coordinate/signatures/{signature_id}/verify")
    assert sum("Verified:" in m for m in messages) == 1, messages
    assert sum("was already verified" in m for m in messages) == 3, messages
    after = public_counts(http)
    assert after["counted"]["mayors"] == before["counted"]["mayors"] + 1
    assert status_of(server, signature_id) == (SignatureStatus.VERIFIED, False)
    assert audit_entries(server, "verify", signature_id) == 1
    assert emails(server, signature_id, "verified") == 1
    server.reconcile_check()


def test_four_simultaneous_reject_clicks_reject_once(server, http, burst, coordinator_cookies):
    signature_id = sign(server, mayor(secrets.token_hex(4)))
    confirm(server, signature_id)
    before = public_counts(http)
    _answers, messages = coordinator_clicks(
        server, coordinator_cookies, 4, burst,
        f"/en/coordinate/signatures/{signature_id}/reject",
        {f"s{signature_id}-reason": "The mandate is not attached."})
    assert sum("Rejected:" in m for m in messages) == 1, messages
    assert sum("was already rejected" in m for m in messages) == 3, messages
    assert public_counts(http)["by_status"] == {
        **before["by_status"],
        "confirmed": {**before["by_status"]["confirmed"],
                      "mayor": before["by_status"]["confirmed"]["mayor"] - 1},
        "rejected": {**before["by_status"]["rejected"],
                     "mayor": before["by_status"]["rejected"]["mayor"] + 1},
    }
    assert audit_entries(server, "reject", signature_id) == 1
    assert emails(server, signature_id, "rejected") == 1
    server.reconcile_check()


def test_four_simultaneous_clear_flag_clicks_clear_it_once(server, http, burst,
                                                          coordinator_cookies):
    fields = organisation(secrets.token_hex(4))
    signature_id = sign(server, {**fields, "homepage": "http://spam.example"})  # a bot, held
    assert status_of(server, signature_id) == (SignatureStatus.PENDING, True)
    assert emails(server, signature_id, "confirm") == 0
    before = public_counts(http)
    _answers, messages = coordinator_clicks(
        server, coordinator_cookies, 4, burst,
        f"/en/coordinate/signatures/{signature_id}/clear-flag")
    assert sum("Flag cleared:" in m for m in messages) == 1, messages
    assert sum("was already cleared" in m for m in messages) == 3, messages
    after = public_counts(http)
    assert (after["by_status"]["pending"]["organisation"]
            == before["by_status"]["pending"]["organisation"] + 1)
    assert status_of(server, signature_id) == (SignatureStatus.PENDING, False)
    assert audit_entries(server, "clear_flag", signature_id) == 1
    assert emails(server, signature_id, "confirm") == 1  # the link held back from the "bot"
    server.reconcile_check()


# --- the other compare-and-sets: a city's stage, a target, an activity ------------------------


def in_server(server, work):
    """``work()`` in an app context on the server's database; what it returns, committed."""
    with server.app.app_context():
        try:
            result = work()
            db.session.commit()
            return result
        finally:
            db.session.remove()


def audit_entries_about(server, action: str, key: str, value: int) -> int:
    def count():
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action))
        return sum(1 for e in events if (e.detail or {}).get(key) == value)
    return in_server(server, count)


def test_four_simultaneous_moves_of_a_candidate_city_move_it_once(server, burst,
                                                                 coordinator_cookies):
    city_id = in_server(server, lambda: pipeline.add_candidate(
        f"Races {secrets.token_hex(4)}", "PT", None).id)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    _answers, messages = coordinator_clicks(
        server, coordinator_cookies, 4, burst, f"/en/coordinate/cities/{city_id}/move",
        {"from_stage": "candidate", "interview_date": yesterday, "interviewer": "Ana Races",
         "interview_notes": ""})
    assert sum("moved to the next stage" in m for m in messages) == 1, messages
    assert sum("moved by someone else in the meantime" in m for m in messages) == 3, messages
    stage, moves = in_server(server, lambda: (
        db.session.get(AmbassadorCity, city_id).stage,
        db.session.scalar(sa.select(sa.func.count()).select_from(PipelineEvent)
                          .where(PipelineEvent.ambassador_city_id == city_id,
                                 PipelineEvent.from_stage.is_not(None)))))
    assert (stage, moves) == (PipelineStage.INTERVIEWED, 1)
    assert audit_entries_about(server, "move_city", "city", city_id) == 1


def test_four_simultaneous_publish_clicks_publish_a_target_once(server, http, burst,
                                                               coordinator_cookies):
    languages = server.app.config["LANGUAGES"]
    tag = secrets.token_hex(4)
    target_id = in_server(server, lambda: targets.create(targets.TargetValues(
        metric=TargetMetric.ACTIVITIES, value=7, start_date=date(2026, 1, 1),
        deadline=date(2030, 12, 31), titles={code: f"Races {tag}" for code in languages},
    ), languages=languages).id)
    assert f"Races {tag}" not in http.get("/en/targets").text
    _answers, messages = coordinator_clicks(
        server, coordinator_cookies, 4, burst, f"/en/coordinate/targets/{target_id}/publish")
    assert messages == ["The target is published."] * 4, messages  # a second click: no error
    assert in_server(server, lambda: db.session.get(Target, target_id).published) is True
    assert audit_entries_about(server, "publish_target", "target", target_id) == 1
    assert f"Races {tag}" in http.get("/en/targets").text


@pytest.fixture(scope="module")
def ambassador_cookies(server):
    with client_from(server) as client:
        client.get(client.login(AMBASSADOR_EMAIL).headers["location"])
        return [(c.name, c.value, c.domain, c.path) for c in client.cookies.jar]


def test_four_simultaneous_deletes_of_an_activity_delete_it_once(server, burst,
                                                                ambassador_cookies):
    def add():
        city = db.session.scalar(sa.select(AmbassadorCity).where(AmbassadorCity.name == "Lisbon"))
        return outreach.create(city, None, {
            "date": date(2026, 11, 2), "type": "workshop", "title": f"Races {secrets.token_hex(4)}",
            "language": "pt", "audience_reached": 40}).id
    activity_id = in_server(server, add)
    ip = new_ip()
    clients = [client_from(server, ip=ip) for _ in range(4)]
    for client in clients:
        for name, value, domain, cookie_path in ambassador_cookies:
            client.cookies.set(name, value, domain=domain, path=cookie_path)
    path = f"/en/ambassador/activities/{activity_id}/delete"
    token = csrf_token(clients[0].get(path).text)
    try:
        answers = burst(4, lambda i: clients[i].post(path, data={"csrf_token": token}))
    finally:
        for client in clients:
            client.close()
    no_5xx(answers)
    assert sorted(a.status_code for a in answers) == [303, 404, 404, 404]  # gone for the rest
    assert rows(server, OutreachActivity, OutreachActivity.id == activity_id) == 0
