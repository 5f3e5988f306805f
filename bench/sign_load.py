"""Drive the whole sign flow over HTTP against gunicorn, then check nothing was lost or doubled.

    .venv/bin/python bench/sign_load.py                                   # SQLite, defaults
    .venv/bin/python bench/sign_load.py --database-url postgresql://postgres@127.0.0.1:5432/
    .venv/bin/python bench/sign_load.py --workers 2,3 --threads 1,4 --clients 4,8,16

Each client keeps its own keep-alive connection and cookie session and loops: GET
``/<lang>/sign`` (hidden fields and CSRF token parsed from the page), POST a valid random
signature, expect a 303 to ``/<lang>/sign/sent``. Comma-separated ``--workers``, ``--threads``
and ``--clients`` run every combination in turn against the same database.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import random
import re
import secrets
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    CpuMeter,
    Database,
    Server,
    app_revision,
    ms,
    percentile,
    print_table,
    wait_for_quiet,
)

LANGUAGES = ("en", "fr", "de", "it", "pt", "ru", "es")
LANGUAGE_WEIGHTS = (34, 18, 14, 10, 7, 6, 11)
HIDDEN = re.compile(rb'<input[^>]*?name="(csrf_token|started|submission_key|version_number|ref)"'
                    rb'[^>]*?value="([^"]*)"')
COUNTRY = re.compile(rb'<option value="([A-Z]{2})"')
ORG_TYPES = ("public_authority", "company", "ngo", "university", "citizens_group", "other")
THEMES = ("mobility", "energy", "digital_inclusion", "data_privacy", "participation",
          "public_services", "accessibility", "skills", "housing", "environment")
FIRST = "Anna Jean Luca Sofia Pedro Jan Eva Ivan Olga Marco Hans Clara Léa Noah João Elena".split()
LAST = "Martin Müller Rossi García Silva Dubois Schmidt Costa Novak Petrov Moreau Weber".split()
WORDS = "Digital Energy Mobility Open Data Civic Numérique Solidarité Zukunft Rede Фонд Lab".split()


def _session_cookie(response: http.client.HTTPResponse, current: str | None) -> str | None:
    for header in response.msg.get_all("Set-Cookie") or ():
        pair = header.split(";", 1)[0]
        if pair.startswith("session="):
            return pair
    return current


def _form_body(rng: random.Random, hidden: dict[str, str], countries: list[str], tag: str,
               n: int) -> str:
    kind = rng.choices(("organisation", "mayor", "delegate"), (70, 22, 8))[0]
    city = rng.choice(WORDS) + rng.choice(("ville", "burg", "stad", "polis", "ino")) + str(n % 50)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    fields = [(k, hidden.get(k, "")) for k in ("csrf_token", "started", "submission_key",
                                               "version_number", "ref")]
    fields += [
        ("kind", kind),
        ("city", city),
        ("country", rng.choice(countries)),
        ("contact_name", f"{first} {last}"),
        ("contact_email", f"{first.lower()}.{tag}.{n}@org{rng.randrange(100000)}.example"),
        ("consent_privacy", "y"),
        ("homepage", ""),
    ]
    if kind == "organisation":
        fields += [
            ("organisation_name", f"{rng.choice(WORDS)} {rng.choice(WORDS)} {city} {n}"),
            ("organisation_type", rng.choice(ORG_TYPES)),
            ("website", f"https://www.{tag}{n}.example" if rng.random() < 0.6 else ""),
        ]
    else:
        fields.append(("mayor_name", f"{rng.choice(FIRST)} {rng.choice(LAST)}"))
        if kind == "delegate":
            fields += [
                ("delegate_name", f"{first} {last}"),
                ("delegate_role", "Deputy Mayor"),
                ("mandate", f"Council decision {n % 300}/2026"),
            ]
    fields += [("themes", t) for t in rng.sample(THEMES, rng.randint(0, 3))]
    if rng.random() < 0.6:
        fields.append(("listed_publicly", "y"))
    return urllib.parse.urlencode(fields)


def _client(port: int, countries: list[str], warm_at: float, end_at: float, seed: int,
            results: list, errors: Counter, lock: threading.Lock, follow: bool) -> None:
    """One visitor after another on one keep-alive connection with one cookie session."""
    rng = random.Random(seed)
    tag = secrets.token_hex(3)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    cookie = None
    n = 0
    local = []
    while time.monotonic() < end_at:
        n += 1
        lang = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        path = f"/{lang}/sign"
        try:
            t0 = time.monotonic()
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            page = response.read()
            cookie = _session_cookie(response, cookie)
            if response.status != 200:
                raise RuntimeError(f"GET {response.status}")
            hidden = {k.decode(): v.decode() for k, v in HIDDEN.findall(page)}
            if "csrf_token" not in hidden:
                raise RuntimeError("GET without csrf_token")
            body = _form_body(rng, hidden, countries, tag, n)
            t1 = time.monotonic()
            conn.request("POST", path, body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie or "",
                "Referer": f"http://127.0.0.1:{port}{path}",
            })
            response = conn.getresponse()
            response.read()
            cookie = _session_cookie(response, cookie)
            t2 = time.monotonic()
            location = response.getheader("Location") or ""
            if response.status != 303 or not location.endswith(f"/{lang}/sign/sent"):
                raise RuntimeError(f"POST {response.status}")
            if follow:  # as a browser would: GET the "check your e-mail" page
                conn.request("GET", urllib.parse.urlsplit(location).path,
                             headers={"Cookie": cookie or ""})
                response = conn.getresponse()
                response.read()
                cookie = _session_cookie(response, cookie)
                if response.status != 200:
                    raise RuntimeError(f"GET sent {response.status}")
                t2 = time.monotonic()
            local.append((t2, t2 - t0, t2 - t1, True))
        except Exception as exc:  # counted, then a fresh connection and session
            t2 = time.monotonic()
            reason = str(exc) if isinstance(exc, RuntimeError) else type(exc).__name__
            with lock:
                errors[reason] += 1
            local.append((t2, 0.0, 0.0, False))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            cookie = None
    conn.close()
    with lock:
        results.extend(local)


def _generator_process(port, countries, warm_at, end_at, clients, seed, queue, follow) -> None:
    """A load-generator process: ``clients`` threads; reports results and its own CPU time."""
    results, errors, lock = [], Counter(), threading.Lock()
    threads = [
        threading.Thread(target=_client, args=(port, countries, warm_at, end_at, seed * 1000 + i,
                                               results, errors, lock, follow), daemon=True)
        for i in range(clients)
    ]
    for t in threads:
        t.start()
    while time.monotonic() < warm_at:
        time.sleep(0.01)
    cpu0 = time.process_time()
    while time.monotonic() < end_at:
        time.sleep(0.01)
    cpu_window = time.process_time() - cpu0
    for t in threads:
        t.join()
    queue.put((results, dict(errors), cpu_window))


def _countries(port: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/en/sign")
    page = conn.getresponse().read()
    conn.close()
    codes = sorted({c.decode() for c in COUNTRY.findall(page)})
    if not codes:
        raise click.ClickException("the sign form offers no countries")
    return codes


def _db_state(database: Database) -> dict[str, int]:
    import sqlalchemy as sa

    engine = database.engine()
    with engine.connect() as conn:
        state = {
            "signatures": conn.scalar(sa.text("SELECT count(*) FROM signature")),
            "max_id": conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM signature")),
            "outbox": conn.scalar(sa.text("SELECT count(*) FROM outbox_message")),
        }
    engine.dispose()
    return state


def _verify(database: Database, before: dict[str, int], accepted: int) -> dict:
    import sqlalchemy as sa

    engine = database.engine()
    m = before["max_id"]
    with engine.connect() as conn:
        new = conn.scalar(sa.text("SELECT count(*) FROM signature WHERE id > :m"), {"m": m})
        outbox_new = conn.scalar(sa.text(
            "SELECT count(*) FROM outbox_message o JOIN signature s ON s.id = o.signature_id "
            "WHERE s.id > :m"), {"m": m})
        not_one = conn.scalar(sa.text(
            "SELECT count(*) FROM (SELECT s.id FROM signature s LEFT JOIN outbox_message o "
            "ON o.signature_id = s.id WHERE s.id > :m GROUP BY s.id HAVING count(o.id) <> 1) x"),
            {"m": m})
        outbox_total = conn.scalar(sa.text("SELECT count(*) FROM outbox_message"))
        tokens = conn.scalar(sa.text(
            "SELECT count(*) FROM signature_token WHERE signature_id > :m"), {"m": m})
        flagged = conn.scalar(sa.text(
            "SELECT count(*) FROM signature WHERE id > :m AND flagged"), {"m": m})
    engine.dispose()
    drift = database.flask("counts", "reconcile", "--check", check=False)
    return {
        "accepted": accepted,
        "new_signatures": new,
        "outbox_new": outbox_new,
        "outbox_delta": outbox_total - before["outbox"],
        "signatures_not_one_outbox": not_one,
        "tokens": tokens,
        "flagged": flagged,
        "counters_ok": drift.returncode == 0,
        "ok": new == accepted and outbox_new == new and not_one == 0
        and outbox_total - before["outbox"] == new and drift.returncode == 0,
    }


def run_one(database: Database, workers: int, threads: int, worker_class: str, clients: int,
            procs: int, duration: float, warmup: float, server_env: dict[str, str],
            profile_dir: Path | None = None, quiet_wait: float = 0, follow: bool = False) -> dict:
    before = _db_state(database)
    if quiet_wait:
        busy = wait_for_quiet(quiet_wait)
        click.echo(f"   machine busy before the run: {busy:.2f} cores")
    with Server(database, workers=workers, threads=threads, worker_class=worker_class,
                extra_env=server_env) as server:
        countries = _countries(server.port)
        procs = max(1, min(procs, clients))
        start = time.monotonic() + 0.5
        warm_at, end_at = start + warmup, start + warmup + duration
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        share = [clients // procs + (1 if i < clients % procs else 0) for i in range(procs)]
        children = [ctx.Process(target=_generator_process,
                                args=(server.port, countries, warm_at, end_at, share[i],
                                      secrets.randbits(20), queue, follow))
                    for i in range(procs)]
        for child in children:
            child.start()
        meter = CpuMeter(server)
        while time.monotonic() < warm_at:
            time.sleep(0.01)
        spies = start_py_spy(server, duration, profile_dir) if profile_dir else []
        meter.start()
        while time.monotonic() < end_at:
            time.sleep(0.05)
        cpu = meter.stop()
        results, errors, loadgen_cpu = [], Counter(), 0.0
        for _ in children:
            r, e, c = queue.get(timeout=duration + 120)
            results.extend(r)
            errors.update(e)
            loadgen_cpu += c
        for child in children:
            child.join()
        for spy in spies:
            spy.wait(timeout=60)
    if spies:
        report_py_spy(profile_dir)
    accepted_total = sum(1 for r in results if r[3])
    window = [r for r in results if warm_at <= r[0] <= end_at]
    ok = [r for r in window if r[3]]
    totals = [r[1] for r in ok]
    posts = [r[2] for r in ok]
    check = _verify(database, before, accepted_total)
    return {
        "server": f"{workers}w x {threads}t {worker_class}" if worker_class == "gthread"
        else f"{workers}w {worker_class}",
        "clients": clients,
        "procs": procs,
        "rate": len(ok) / duration,
        "p50": percentile(totals, 50),
        "p95": percentile(totals, 95),
        "p99": percentile(totals, 99),
        "post_p50": percentile(posts, 50),
        "post_p95": percentile(posts, 95),
        "post_p99": percentile(posts, 99),
        "errors": sum(1 for r in window if not r[3]),
        "error_kinds": dict(errors),
        "server_cores": cpu["server_cores"],
        "app_ms_per_sig": 1000 * cpu["server_cores"] * duration / max(1, len(ok)),
        "pg_ms_per_sig": 1000 * cpu["postgres_cores"] * duration / max(1, len(ok)),
        "postgres_cores": cpu["postgres_cores"],
        "loadgen_cores": loadgen_cpu / duration,
        "machine_busy": cpu["machine_busy_pct"],
        "other_cores": max(0.0, cpu["machine_busy_cores"] - cpu["server_cores"]
                           - cpu["postgres_cores"] - loadgen_cpu / duration),
        "check": check,
    }


def start_py_spy(server: Server, duration: float, folder: Path) -> list:
    import shutil
    import subprocess

    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not spy:
        raise click.ClickException("py-spy is not installed: .venv/bin/pip install py-spy")
    folder.mkdir(parents=True, exist_ok=True)
    procs = []
    for pid in server.all_pids()[1:]:  # the workers, not the master
        procs.append(subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--duration", str(int(duration)), "--rate", "250", "--idle",
             "--format", "raw", "--nonblocking", "--output", str(folder / f"worker-{pid}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return procs


def report_py_spy(folder: Path, top: int = 25) -> None:
    """Self and inclusive sample shares per function:line, from py-spy's collapsed stacks."""
    self_count, incl_count, total = Counter(), Counter(), 0
    for path in folder.glob("worker-*.txt"):
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = [f for f in stack.split(";") if f and not f.startswith("process ")
                      and not f.startswith("thread ")]
            if not frames:
                continue
            total += n
            self_count[_short(frames[-1])] += n
            for frame in {_short(f) for f in frames}:
                incl_count[frame] += n
    if not total:
        click.echo("py-spy recorded nothing")
        return
    idle = sum(n for f, n in self_count.items() if any(w in f for w in (
        "wait (threading", "select (selectors", "accept (", "_wait_for_tstate_lock",
        "sleep (gunicorn", "run_for_one", "poll (")))
    click.echo(f"py-spy: {total} samples in {folder} ({idle} idle/waiting)")
    click.echo("  top self (function (file:line), share of busy samples):")
    busy = max(1, total - idle)
    for frame, n in self_count.most_common(top + 10)[:top]:
        click.echo(f"    {100 * n / busy:5.1f}%  {frame}")
    click.echo("  top inclusive, app code and templates:")
    shown = 0
    for frame, n in incl_count.most_common():
        if ("/work/main/manifesto" in frame or "/templates/" in frame
                or "manifesto/" in frame) and shown < top:
            click.echo(f"    {100 * n / busy:5.1f}%  {frame}")
            shown += 1


def _short(frame: str) -> str:
    root = str(Path(__file__).resolve().parent.parent) + "/"
    return frame.replace(root, "").replace(
        str(Path(sys.executable).parent.parent) + "/lib/python3.11/site-packages/", "")


def _ints(value: str) -> list[int]:
    try:
        numbers = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter("give whole numbers separated by commas") from None
    if not numbers or min(numbers) < 1:
        raise click.BadParameter("give whole numbers of at least 1")
    return numbers


@click.command()
@click.option("--database-url", default="sqlite", show_default=True,
              help="sqlite (a temporary file), sqlite:///path, or postgresql://user@host:port/[db] "
                   "(no db name: a throwaway database, dropped afterwards).")
@click.option("--workers", default="3", show_default=True, help="gunicorn workers (comma list).")
@click.option("--threads", default="1", show_default=True,
              help="Threads per worker (comma list); 1 means sync workers (measured best here: "
                   "the app is CPU-bound, threads only add GIL and SQLite lock waits).")
@click.option("--worker-class", type=click.Choice(["auto", "sync", "gthread"]), default="auto",
              show_default=True, help="auto: sync for 1 thread, gthread for more.")
@click.option("--clients", default="4", show_default=True, help="Concurrent clients (comma list).")
@click.option("--procs", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Load-generator processes the clients are spread over.")
@click.option("--duration", type=click.FloatRange(1, 600), default=20, show_default=True,
              help="Measured seconds, after the warm-up.")
@click.option("--warmup", type=click.FloatRange(0, 60), default=3, show_default=True)
@click.option("--preload", type=click.IntRange(0, 5_000_000), default=0, show_default=True,
              help="Signatures loaded with load_signatures.py before the server starts.")
@click.option("--rate-limits", type=click.Choice(["off", "app"]), default="off", show_default=True,
              help="off: per-IP and per-domain limits set so high that nothing is flagged (every "
                   "client comes from 127.0.0.1), the limiter still counts each hit; app: the "
                   "app's defaults (most bench signatures then get flagged ip_rate).")
@click.option("--py-spy", "profile_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Sample every gunicorn worker with py-spy (pip install py-spy) during the "
                   "measured window; raw stacks go to this folder and the top costs are printed.")
@click.option("--quiet-wait", type=click.FloatRange(0, 3600), default=60, show_default=True,
              help="Before each run, wait up to this many seconds for the machine to be idle "
                   "(other jobs under 0.3 cores); 0 to start at once.")
@click.option("--follow", is_flag=True,
              help="Also GET the page the 303 points to, as a browser would (counted in the "
                   "signature's latency; 'POST' latency then includes it too).")
@click.option("--keep", is_flag=True, help="Keep the database and the instance folder.")
def main(database_url, workers, threads, worker_class, clients, procs, duration, warmup, preload,
         rate_limits, profile_dir, quiet_wait, follow, keep):
    """Load-test the sign form (GET + POST + 303) over HTTP against gunicorn."""
    workers_list, threads_list, clients_list = _ints(workers), _ints(threads), _ints(clients)
    server_env = {"SIGN_MIN_SECONDS": "0", "OUTBOX_DELIVER_AFTER_REQUEST": "0"}
    if rate_limits == "off":
        server_env.update(SIGN_RATE_LIMIT_PER_IP="10000000 per hour",
                          SIGN_RATE_LIMIT_PER_DOMAIN="10000000 per hour")
    rows, results = [], []
    with Database(database_url, keep=keep, label="sign") as database:
        click.echo(f"Database: {database.label}; preparing schema")
        database.upgrade()
        database.load(preload)  # with 0 it only publishes the shipped manifesto text
        for w in workers_list:
            for t in threads_list:
                kind = worker_class if worker_class != "auto" else ("sync" if t == 1 else "gthread")
                for c in clients_list:
                    click.echo(f"-- {w} workers x {t} threads ({kind}), {c} clients, "
                               f"{warmup:.0f}+{duration:.0f} s ...")
                    r = run_one(database, w, t, kind, c, procs, duration, warmup, server_env,
                                profile_dir / f"{w}w{t}t{c}c" if profile_dir else None,
                                quiet_wait, follow)
                    results.append(r)
                    chk = r["check"]
                    rows.append([
                        r["server"], r["clients"], f"{r['rate']:.0f}", ms(r["p50"]), ms(r["p95"]),
                        ms(r["p99"]), ms(r["post_p50"]), ms(r["post_p95"]), r["errors"],
                        f"{r['server_cores']:.2f}", f"{r['app_ms_per_sig']:.1f}",
                        f"{r['postgres_cores']:.2f}",
                        f"{r['loadgen_cores']:.2f}", f"{r['other_cores']:.2f}",
                        "ok" if chk["ok"] else "MISMATCH",
                    ])
                    click.echo(f"   {r['rate']:.0f} signatures/s, p95 {ms(r['p95'])} ms, "
                               f"errors {r['errors']} {r['error_kinds'] or ''}, check: "
                               f"{chk['accepted']} accepted, {chk['new_signatures']} new rows, "
                               f"{chk['outbox_new']} outbox rows, "
                               f"{chk['signatures_not_one_outbox']} without exactly one, "
                               f"{chk['flagged']} flagged, counters "
                               f"{'agree' if chk['counters_ok'] else 'DRIFT'}")
        click.echo()
        click.echo(f"Sign flow{' (following the 303)' if follow else ''} on {database.label}, "
                   f"preload {preload}, {duration:.0f} s measured, "
                   f"app {app_revision()} (latency in ms; 'cores' = CPU seconds per second)")
        print_table(
            ["server", "clients", "sig/s", "p50", "p95", "p99", "POST p50", "POST p95", "errors",
             "app cores", "app ms/sig", "pg cores", "loadgen cores", "other cores", "db check"],
            rows,
        )
        if keep:
            click.echo(f"Kept: instance {database.instance}"
                       + (f", database {database.url}" if database.url else ""))
    if any(not r["check"]["ok"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
