"""CPU cost of one signature (GET form + POST), in-process, without HTTP or gunicorn.

    .venv/bin/python bench/profile_sign.py                 # SQLite in a temporary folder
    .venv/bin/python bench/profile_sign.py --database-url postgresql://postgres@127.0.0.1:5432/
    .venv/bin/python bench/profile_sign.py --cprofile 30   # plus the 30 top functions

Runs the sign flow through Flask's test client (CSRF on, as in production), measures the
process CPU time of each GET and each POST, and says what that means for throughput: on C
cores, a signature costing X ms of app CPU cannot go faster than C * 1000 / X per second,
whatever the server configuration.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import re
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Database, app_revision, percentile  # noqa: E402

HIDDEN = re.compile(r'<input[^>]*?name="(csrf_token|started|submission_key|version_number|privacy_notice_version|ref)"'
                    r'[^>]*?value="([^"]*)"')


class _Steps:
    def __init__(self):
        self.phase = None
        self.totals = {"GET": {}, "POST": {}}


def _instrument() -> _Steps:
    """Wrap the main steps of the sign view to time them (bench only: patched in this process)."""
    import flask.sessions
    import flask.templating
    import sqlalchemy.orm
    from flask_wtf import csrf

    from manifesto.cities import referrals
    from manifesto.mail import notify, outbox
    from manifesto.signatures import abuse, counts, signing, texts
    from manifesto.web.sign import blank_forms, forms

    steps = _Steps()

    def wrap(owner, name, label):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            if steps.phase is None:
                return original(*args, **kwargs)
            phase = steps.phase
            t0 = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                bucket = steps.totals[phase]
                bucket[label] = bucket.get(label, 0.0) + time.process_time() - t0

        setattr(owner, name, timed)

    wrap(flask.templating, "_render", "render_template (page or e-mail)")
    wrap(forms.SignForm, "__init__", "SignForm() incl. form data parsing")
    wrap(forms.SignForm, "validate_on_submit", "form.validate_on_submit (incl. CSRF check)")
    wrap(texts, "signable_version", "texts.signable_version")
    wrap(forms.SignForm, "to_request", "SignForm.to_request")
    wrap(blank_forms, "sign_form_key", "blank_forms.sign_form_key (GET: a page to keep?)")
    wrap(blank_forms.BlankPages, "get_or_render",
         "BlankPages.get_or_render (GET: the page, its holes filled in)")
    wrap(texts, "current_version", "  texts.current_version")
    wrap(texts, "current_version_number", "  texts.current_version_number")
    wrap(referrals, "attribute", "referrals.attribute")
    wrap(abuse, "sign_flags", "abuse.sign_flags (2 limiter hits)")
    wrap(abuse, "form_started_stamp", "abuse.form_started_stamp")
    wrap(signing, "submit", "signing.submit")
    wrap(signing, "submission_key_taken", "  submission_key_taken")
    wrap(signing, "_create", "  _create (Core inserts, counter, e-mail)")
    wrap(signing, "new_token", "    new_token")
    wrap(signing, "find_duplicate", "  find_duplicate")
    wrap(notify, "_message", "    notify._message (e-mail render)")
    wrap(outbox, "enqueue", "    outbox.enqueue (outbox row)")
    wrap(counts, "adjust", "    counts.adjust (upsert)")
    wrap(sqlalchemy.orm.Session, "flush", "Session.flush (every flush, autoflush too)")
    wrap(sqlalchemy.orm.Session, "commit", "Session.commit (incl. final flush)")
    wrap(flask.sessions.SecureCookieSessionInterface, "open_session", "open_session (cookie)")
    wrap(flask.sessions.SecureCookieSessionInterface, "save_session", "save_session (cookie)")
    wrap(csrf, "generate_csrf", "flask_wtf generate_csrf")
    return steps


@click.command()
@click.option("--database-url", default="sqlite", show_default=True)
@click.option("-n", "--count", type=click.IntRange(10, 100_000), default=500, show_default=True,
              help="Signatures to measure (after 50 warm-up ones).")
@click.option("--preload", type=click.IntRange(0, 5_000_000), default=0, show_default=True)
@click.option("--cprofile", "top", type=click.IntRange(0, 200), default=0,
              help="Also print the TOP functions by cumulative and by own time.")
@click.option("--breakdown", is_flag=True,
              help="Also time the main steps of each request (CPU ms per request, nested steps "
                   "are included in their parents).")
@click.option("--keep", is_flag=True)
def main(database_url, count, preload, top, breakdown, keep):
    """Measure the app's CPU per GET /<lang>/sign and per POST, in one process."""
    import os

    with Database(database_url, keep=keep, label="profile") as database:
        database.upgrade()
        database.load(preload)
        os.environ.update(database.env(SIGN_MIN_SECONDS="0", OUTBOX_DELIVER_AFTER_REQUEST="0",
                                       SIGN_RATE_LIMIT_PER_IP="10000000 per hour",
                                       SIGN_RATE_LIMIT_PER_DOMAIN="10000000 per hour"))
        from manifesto import create_app

        app = create_app()
        client = app.test_client()
        rng = random.Random(1)
        page = client.get("/en/sign").get_data(as_text=True)
        countries = sorted(set(re.findall(r'<option value="([A-Z]{2})"', page)))
        gets, posts, walls = [], [], []
        profiler = cProfile.Profile() if top else None
        steps = _instrument() if breakdown else None

        def one(n: int, record: bool) -> None:
            lang = rng.choice(("en", "fr", "de", "it", "pt", "ru", "es"))
            c0, w0 = time.process_time(), time.perf_counter()
            if record and profiler:
                profiler.enable()
            if steps is not None:
                steps.phase = "GET" if record else None
            response = client.get(f"/{lang}/sign")
            if record and profiler:
                profiler.disable()
            c1 = time.process_time()
            hidden = dict(HIDDEN.findall(response.get_data(as_text=True)))
            kind = rng.choices(("organisation", "mayor", "delegate"), (70, 22, 8))[0]
            data = {**hidden, "kind": kind, "city": f"Town{n % 97}",
                    "country": rng.choice(countries), "contact_name": "Ana Silva",
                    "contact_email": f"ana.{n}@org{n}.example", "consent_privacy": "y",
                    "organisation_name": f"Org {n}", "organisation_type": "ngo",
                    "mayor_name": "Jan Novak", "delegate_name": "Eva Weber",
                    "delegate_role": "Deputy", "mandate": "Council decision",
                    "themes": rng.sample(["mobility", "energy", "skills", "housing"], 2),
                    "listed_publicly": "y"}
            c2 = time.process_time()
            if record and profiler:
                profiler.enable()
            if steps is not None:
                steps.phase = "POST" if record else None
            response = client.post(f"/{lang}/sign", data=data)
            if steps is not None:
                steps.phase = None
            if record and profiler:
                profiler.disable()
            c3, w3 = time.process_time(), time.perf_counter()
            if response.status_code != 303:
                raise click.ClickException(f"POST answered {response.status_code}")
            if record:
                gets.append(c1 - c0)
                posts.append(c3 - c2)
                walls.append(w3 - w0)

        for n in range(50):
            one(n, False)
        for n in range(50, 50 + count):
            one(n, True)

    get_ms = 1000 * sum(gets) / len(gets)
    post_ms = 1000 * sum(posts) / len(posts)
    click.echo(f"{database.label}, preload {preload}, {count} signatures, app {app_revision()}, "
               f"CPU per request "
               f"(test client overhead included, HTML parsing by the bench excluded):")
    click.echo(f"  GET  /<lang>/sign  mean {get_ms:5.2f} ms  p50 {1000 * percentile(gets, 50):5.2f}"
               f"  p95 {1000 * percentile(gets, 95):5.2f}")
    click.echo(f"  POST /<lang>/sign  mean {post_ms:5.2f} ms  p50 {1000 * percentile(posts, 50):5.2f}"
               f"  p95 {1000 * percentile(posts, 95):5.2f}")
    click.echo(f"  one signature      {get_ms + post_ms:5.2f} ms CPU -> at most "
               f"{2000 / (get_ms + post_ms):.0f} signatures/s on 2 cores with nothing else running")
    if steps is not None:
        for phase in ("GET", "POST"):
            click.echo(f"  steps of {phase} (CPU ms per request):")
            for label, total in sorted(steps.totals[phase].items(), key=lambda kv: -kv[1]):
                click.echo(f"    {1000 * total / count:6.2f}  {label}")
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
        root = str(Path(__file__).resolve().parent.parent) + "/"
        click.echo(out.getvalue().replace(root, ""))


if __name__ == "__main__":
    main()
