"""Reliability of the sign flow and the outbox under load, crashes and a database outage.

    .venv/bin/python bench/reliability.py                                   # every scenario, SQLite
    .venv/bin/python bench/reliability.py --scenario kill --database-url postgresql://postgres@127.0.0.1:5432/
    .venv/bin/python bench/reliability.py --scenario pg-outage --database-url postgresql://postgres@127.0.0.1:5432/

Each scenario starts gunicorn (gthread workers), one ``flask --app wsgi outbox worker`` and an
SMTP sink (aiosmtpd, in this process), then runs many concurrent signers over HTTP. Every signer
uses an address of its own, so every accepted POST can be found in the database and in the sink.
A POST that fails (connection error, timeout, 5xx) is sent again with the same form (same
submission_key, CSRF token and cookie) until --retry-budget seconds have passed; a few accepted
POSTs are replayed on purpose (--replay). When the load stops, the script waits for the outbox
to drain and then checks: every accepted address exactly once in signatory.contact_email, one
outbox row per signature, every row sent, exactly one e-mail per row in the sink (same
Message-ID, same recipient), no Message-ID twice, and ``counts reconcile --check``.

Scenarios:

* ``load``: the load alone.
* ``kill``: SIGKILL one gunicorn worker (the master starts another) and the outbox worker at
  1/3 and 2/3 of the run; the outbox worker is started again --outbox-restart seconds later.
  OUTBOX_LEASE_SECONDS is low (--lease) so that what the killed worker had claimed is sent.
* ``pg-outage`` (PostgreSQL only): the local PostgreSQL cluster is stopped (pg_ctlcluster …
  stop -m fast) for --outage seconds (at most 15) under a lighter load and started again; the
  script records what pages and /healthz answer meanwhile and how long the app takes to
  recover by itself. PostgreSQL is always started again in a ``finally`` block.
* ``races``: --race-signatures organisations and as many mayors signed over HTTP, each with
  --race-links confirmation links (the first and new ones asked for); then, one signature at a
  time, --race-clients clients at once: confirm (through the signature's links), a
  coordinator's verify clicks (mayors, one browser's tabs), the signatory's withdraw clicks.
  Checks: one winner per change, the public counts (API) moved by exactly the number of
  signatures, one audit entry and one e-mail per event, one consent record per withdrawal,
  no 5xx, ``counts reconcile --check``. No outbox worker: e-mails are counted as outbox rows.
"""

from __future__ import annotations

import argparse
import email.parser
import html
import http.client
import json
import multiprocessing as mp
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_PG,
    FLASK,
    ROOT,
    CpuMeter,
    Database,
    Server,
    children,
    free_port,
    percentile,
    print_table,
    wait_for_quiet,
)
from sign_load import (  # noqa: E402
    HIDDEN,
    LANGUAGE_WEIGHTS,
    LANGUAGES,
    _countries,
    _form_body,
    _session_cookie,
)

SCENARIOS = ("load", "kill", "pg-outage", "races")
OUTAGE_MAX = 15.0
OUTAGE_PAGES = ("/en/", "/en/signatories", "/fr/sign", "/en/manifesto", "/api/v1/counts")


# --- what a response was -------------------------------------------------------------------------


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionError, http.client.RemoteDisconnected, http.client.IncompleteRead,
                        http.client.BadStatusLine)):
        return "connection"
    if isinstance(exc, OSError):
        return "connection"
    return type(exc).__name__


def body_class(status: int, body: bytes, content_type: str | None) -> str:
    """What an error answer looked like: the app's friendly page, JSON, or something raw."""
    if status < 400:
        return "ok"
    if b"Traceback (most recent call last)" in body or b'File "/' in body:
        return "TRACEBACK"
    if b"error-page" in body and b"status-code" in body:
        return f"friendly-{status}"
    if content_type and "json" in content_type and b'"error"' in body:
        return f"json-{status}"
    if b"Internal Server Error" in body:
        return f"raw-{status}"
    return f"other-{status}"


# --- the signers (run in load-generator processes) -----------------------------------------------


def _request(conn: http.client.HTTPConnection, method: str, path: str, cookie: str | None,
             body: str | None = None, port: int = 0):
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers.update({"Content-Type": "application/x-www-form-urlencoded",
                        "Referer": f"http://127.0.0.1:{port}{path}"})
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response, data


def _with_email(body: str, address: str) -> str:
    fields = [(k, address if k == "contact_email" else v)
              for k, v in urllib.parse.parse_qsl(body, keep_blank_values=True)]
    return urllib.parse.urlencode(fields)


def _signer(cid: int, port: int, countries: list[str], start_at: float, end_at: float, cfg: dict,
            out: list, lock: threading.Lock) -> None:
    """One signer after another on one keep-alive connection (a new one after an error).

    Each record: the address, the form's submission_key, every GET and POST attempt as
    (monotonic start, monotonic end, wall start, status or None, error kind or body class,
    connection reused, Retry-After), and the outcome."""
    rng = random.Random(cfg["seed"] * 100_003 + cid)
    timeout = cfg["timeout"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    cookie = None
    local = []
    n = 0
    while time.monotonic() < start_at:
        time.sleep(0.01)
    time.sleep(rng.random() * 0.5)  # do not all arrive in the same millisecond
    while time.monotonic() < end_at:
        n += 1
        lang = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
        path = f"/{lang}/sign"
        address = f"s{cid}x{n}@c{cid}.{cfg['tag']}.example"
        rec = {"cid": cid, "email": address, "lang": lang, "t0": time.monotonic(),
               "get": [], "post": [], "outcome": None, "key": None, "replay": None}
        page = None
        for attempt in range(2):
            reused = conn.sock is not None
            t, wall = time.monotonic(), time.time()
            try:
                response, data = _request(conn, "GET", path, cookie)
            except Exception as exc:
                kind = error_kind(exc)
                rec["get"].append((t, time.monotonic(), wall, None, kind, reused, None))
                conn.close()
                if reused and kind == "connection" and attempt == 0:
                    continue  # a keep-alive connection that died while idle: as a browser does
                break
            cookie = _session_cookie(response, cookie)
            cls = body_class(response.status, data, response.getheader("Content-Type"))
            rec["get"].append((t, time.monotonic(), wall, response.status, cls, reused,
                               response.getheader("Retry-After")))
            if response.status == 200:
                page = data
            break
        hidden = {k.decode(): v.decode() for k, v in HIDDEN.findall(page or b"")}
        if page is None or "csrf_token" not in hidden:
            rec["outcome"] = "get_failed" if page is None else "get_no_form"
            local.append(rec)
            time.sleep(0.2 + rng.random() * 0.3)
            continue
        rec["key"] = hidden.get("submission_key")
        body = _with_email(_form_body(rng, hidden, countries, cfg["tag"], n), address)
        deadline = time.monotonic() + cfg["retry_budget"]
        backoff = 0.5
        while True:
            reused = conn.sock is not None
            t, wall = time.monotonic(), time.time()
            try:
                response, data = _request(conn, "POST", path, cookie, body, port)
            except Exception as exc:
                rec["post"].append((t, time.monotonic(), wall, None, error_kind(exc), reused, None))
                conn.close()
            else:
                cookie = _session_cookie(response, cookie)
                location = response.getheader("Location") or ""
                status = response.status
                cls = body_class(status, data, response.getheader("Content-Type"))
                if status == 303 and not location.endswith(f"/{lang}/sign/sent"):
                    cls = "bad-location"
                rec["post"].append((t, time.monotonic(), wall, status, cls, reused,
                                    response.getheader("Retry-After")))
                if status == 303 and cls == "ok":
                    rec["outcome"] = "accepted"
                    break
                if status < 500 and status not in (408, 429):
                    rec["outcome"] = f"rejected-{status}"
                    break
            if time.monotonic() + backoff > deadline:
                rec["outcome"] = "failed"
                break
            time.sleep(backoff)
            backoff = min(backoff * 2, 4.0)
        if rec["outcome"] == "accepted" and rng.random() < cfg["replay"]:
            # The same form posted again (a double click, a browser's retry): must not sign twice.
            t = time.monotonic()
            try:
                response, data = _request(conn, "POST", path, cookie, body, port)
                rec["replay"] = (t, time.monotonic(), response.status)
            except Exception as exc:
                rec["replay"] = (t, time.monotonic(), error_kind(exc))
                conn.close()
        local.append(rec)
    conn.close()
    with lock:
        out.extend(local)


def _loadgen_process(port, countries, client_ids, start_at, end_at, cfg, queue) -> None:
    records, lock = [], threading.Lock()
    threads = [threading.Thread(target=_signer, daemon=True,
                                args=(cid, port, countries, start_at, end_at, cfg, records, lock))
               for cid in client_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put(records)


class LoadGenerator:
    """``signers`` threads spread over ``procs`` processes (spawned, so no inherited threads)."""

    def __init__(self, port, countries, signers, procs, duration, cfg, lead=3.0):
        self.ctx = mp.get_context("spawn")
        self.queue = self.ctx.Queue()
        self.start_at = time.monotonic() + lead
        self.end_at = self.start_at + duration
        procs = max(1, min(procs, signers))
        ids = [list(range(signers))[i::procs] for i in range(procs)]
        self.procs = [self.ctx.Process(target=_loadgen_process,
                                       args=(port, countries, ids[i], self.start_at, self.end_at,
                                             cfg, self.queue))
                      for i in range(procs)]
        for p in self.procs:
            p.start()

    def results(self, timeout: float) -> list[dict]:
        records = []
        for _ in self.procs:
            records.extend(self.queue.get(timeout=timeout))
        for p in self.procs:
            p.join(timeout=30)
        return records


# --- the SMTP sink, the outbox worker, the prober ------------------------------------------------


class SmtpSink:
    """aiosmtpd in a thread of this process: keeps every message's envelope and headers."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        headers = email.parser.BytesHeaderParser().parsebytes(envelope.original_content
                                                              or envelope.content)
        with self.lock:
            self.messages.append({
                "t": time.monotonic(),
                "rcpt": [r.lower() for r in envelope.rcpt_tos],
                "message_id": (headers.get("Message-ID") or "").strip(),
                "to": (headers.get("To") or "").strip(),
                "subject": (headers.get("Subject") or "").strip(),
            })
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=True, ready_timeout=10)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


class OutboxWorker:
    """``flask --app wsgi outbox worker``; every process it ran logs to one file."""

    def __init__(self, database: Database, env: dict[str, str], interval: float, log_path: Path):
        self.database = database
        self.env = env
        self.interval = interval
        self.log_path = log_path
        self.log = open(log_path, "a")
        self.proc: subprocess.Popen | None = None
        self.pids: list[int] = []

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [FLASK, "--app", "wsgi", "outbox", "worker", "--interval", str(self.interval)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.pids.append(self.proc.pid)

    def kill(self) -> int:
        pid = self.proc.pid
        if self.proc.poll() is None:
            os.kill(pid, signal.SIGKILL)
        self.proc.wait()
        return pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Prober(threading.Thread):
    """GET each path every ``interval`` seconds on a fresh connection; keeps every answer."""

    def __init__(self, port: int, paths: tuple[str, ...], interval: float):
        super().__init__(daemon=True)
        self.port, self.paths, self.interval = port, paths, interval
        self.records: list[tuple] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for path in self.paths:
                t = time.monotonic()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                try:
                    response, data = _request(conn, "GET", path, None)
                    cls = body_class(response.status, data, response.getheader("Content-Type"))
                    self.records.append((t, time.monotonic(), path, response.status, cls,
                                         response.getheader("Retry-After"), data[:200]))
                except Exception as exc:
                    self.records.append((t, time.monotonic(), path, None, error_kind(exc), None, b""))
                finally:
                    conn.close()
            self.halt.wait(self.interval)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)


# --- PostgreSQL on this machine ---------------------------------------------------------------------


class PgCluster:
    """The Debian-managed cluster (pg_lsclusters / pg_ctlcluster) listening on ``port``."""

    def __init__(self, port: int):
        self.port = port
        self.version = self.name = None
        try:
            lines = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                                   check=True).stdout.splitlines()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise click.ClickException(f"pg_lsclusters failed ({exc}): cannot stop PostgreSQL "
                                       "safely on this machine")
        for line in lines:
            fields = line.split()
            if len(fields) >= 4 and fields[2] == str(port):
                self.version, self.name, self.status = fields[0], fields[1], fields[3]
        if not self.version:
            raise click.ClickException(f"no local PostgreSQL cluster on port {port} "
                                       f"(pg_lsclusters: {lines})")

    @property
    def label(self) -> str:
        return f"{self.version}/{self.name} on port {self.port}"

    def _ctl(self, action: str, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(["pg_ctlcluster", self.version, self.name, action, *extra],
                              capture_output=True, text=True, timeout=120)

    def stop(self) -> None:
        result = self._ctl("stop", "-m", "fast")
        if result.returncode:
            raise click.ClickException(f"pg_ctlcluster stop failed: {result.stderr.strip()}")

    def start(self) -> subprocess.CompletedProcess:
        return self._ctl("start")

    def answers(self) -> bool:
        result = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                                 "-Atc", "select 1"], capture_output=True, text=True, timeout=20)
        return result.returncode == 0 and result.stdout.strip() == "1"

    def ensure_up(self, attempts: int = 10) -> bool:
        """Start the cluster if it is not answering, and check that it does."""
        for n in range(attempts):
            if self.answers():
                return True
            result = self.start()
            if result.returncode and n >= 2:
                subprocess.run(["service", "postgresql", "start"], capture_output=True, timeout=120)
            time.sleep(1)
        return self.answers()


# --- one run ------------------------------------------------------------------------------------------


def _scalar_rows(database: Database, sql: str, **params) -> list:
    import sqlalchemy as sa

    engine = database.engine()
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))
    finally:
        engine.dispose()


def _max_ids(database: Database) -> dict[str, int]:
    rows = _scalar_rows(database, "SELECT (SELECT coalesce(max(id), 0) FROM signature), "
                                  "(SELECT coalesce(max(id), 0) FROM outbox_message)")
    return {"signature": rows[0][0], "outbox": rows[0][1]}


def _outbox_state(database: Database, after: int) -> dict[str, int]:
    rows = _scalar_rows(database, "SELECT status, count(*) FROM outbox_message WHERE id > :m "
                                  "GROUP BY status", m=after)
    return {str(status).lower().rsplit(".", 1)[-1]: n for status, n in rows}


def _stranded(database: Database, pid: int) -> int:
    """Messages a killed outbox worker had claimed and not sent."""
    prefix = f"{socket.gethostname()}:{pid}"[:51] + "/"
    rows = _scalar_rows(database, "SELECT count(*) FROM outbox_message WHERE claimed_by LIKE :p "
                                  "AND status = 'pending'", p=prefix + "%")
    return rows[0][0]


def _wall(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _scan_log(path: Path, limit: int = 8) -> dict:
    """Tracebacks and ERROR/CRITICAL lines of a log, grouped once numbers are blanked out."""
    if not path.exists():
        return {"lines": 0, "tracebacks": 0, "errors": {}}
    text = path.read_text(errors="replace")
    patterns: Counter = Counter()
    for line in text.splitlines():
        if any(w in line for w in ("ERROR", "CRITICAL", "Traceback", "Error:", "WARNING")):
            core = re.sub(r"^\[[^\]]*\] \[\d+\] ", "", line)
            core = re.sub(r"\d+", "N", core)[:160]
            patterns[core] += 1
    return {"lines": text.count("\n"), "tracebacks": text.count("Traceback (most recent call last)"),
            "errors": dict(patterns.most_common(limit))}


class Timeline:
    def __init__(self):
        self.events: list[tuple[float, str]] = []
        self.t0 = time.monotonic()

    def add(self, what: str, at: float | None = None) -> float:
        at = time.monotonic() if at is None else at
        self.events.append((at, what))
        click.echo(f"   [{at - self.t0:6.1f} s] {what}")
        return at


def _kill_gunicorn_worker(server: Server, timeline: Timeline, rng: random.Random) -> dict:
    workers = children(server.proc.pid)
    victim = rng.choice(workers)
    t = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    timeline.add(f"SIGKILL gunicorn worker {victim}", t)
    respawn = None
    deadline = t + 60
    while time.monotonic() < deadline:
        now_workers = children(server.proc.pid)
        if victim not in now_workers and len(now_workers) >= server.workers:
            respawn = time.monotonic() - t
            break
        time.sleep(0.05)
    timeline.add(f"gunicorn master has {server.workers} workers again "
                 f"({'%.2f s' % respawn if respawn is not None else 'NOT within 60 s'})")
    return {"pid": victim, "at": t, "respawn_s": respawn}


def _watch_accepting(admin_url: str, found: dict, halt: threading.Event) -> None:
    """Note the first moment PostgreSQL accepts a connection again (tried every 0.1 s)."""
    import psycopg

    while not halt.is_set():
        t = time.monotonic()
        try:
            with psycopg.connect(admin_url, connect_timeout=1) as conn:
                conn.execute("SELECT 1")
            found["at"] = t
            return
        except Exception:
            halt.wait(max(0.0, 0.1 - (time.monotonic() - t)))


def _run_outage(cluster: PgCluster, outage: float, timeline: Timeline, admin_url: str) -> dict:
    info = {"cluster": cluster.label}
    try:
        info["stop_begin"] = timeline.add(f"stopping PostgreSQL {cluster.label} (-m fast)")
        cluster.stop()
        info["down"] = timeline.add("PostgreSQL stopped")
        time.sleep(max(0.0, outage - (time.monotonic() - info["stop_begin"])))
    finally:
        info["start_begin"] = timeline.add("starting PostgreSQL")
        found, halt = {}, threading.Event()
        watcher = threading.Thread(target=_watch_accepting, args=(admin_url, found, halt), daemon=True)
        watcher.start()
        result = cluster.start()
        watcher.join(timeout=15)
        halt.set()
        if "at" in found:
            info["accepting"] = timeline.add("PostgreSQL accepted its first connection", found["at"])
        info["start_rc"] = result.returncode
        info["up"] = timeline.add(f"pg_ctlcluster start returned {result.returncode}")
        if not cluster.ensure_up():
            timeline.add("PostgreSQL does NOT answer after restart attempts")
            info["ready"] = None
        else:
            info["ready"] = timeline.add("PostgreSQL answers select 1")
    return info


def run_scenario(scenario: str, database_url: str, args) -> dict:
    signers = args.signers if scenario != "pg-outage" else args.outage_signers
    duration = args.duration if scenario != "pg-outage" else args.outage_duration
    lease = args.lease
    cfg = {"tag": f"r{os.getpid()}{random.randrange(10**6):06d}", "seed": random.randrange(10**6),
           "timeout": args.timeout, "retry_budget": args.retry_budget, "replay": args.replay}
    result: dict = {"scenario": scenario, "signer_count": signers, "duration": duration,
                    "gunicorn": f"{args.workers} workers x {args.threads} threads gthread, "
                                f"worker-connections {args.worker_connections}, keep-alive "
                                f"{args.keep_alive} s, backlog 2048, timeout 60 s",
                    "outbox_config": f"1 worker, --interval {args.outbox_interval}, "
                              f"OUTBOX_LEASE_SECONDS={lease}, OUTBOX_RETRY_SECONDS=5",
                    "app": app_digest(), "retry_budget": args.retry_budget}
    cluster = None
    if scenario == "pg-outage":
        port = urllib.parse.urlsplit(database_url).port or 5432
        cluster = PgCluster(port)
        if not cluster.answers():
            raise click.ClickException(f"PostgreSQL {cluster.label} does not answer before the run")
    with Database(database_url, keep=args.keep, label=f"rel{scenario.replace('-', '')}") as database:
        result["database"] = database.label
        click.echo(f"== {scenario} on {database.label}: {signers} signers, {duration:.0f} s")
        database.upgrade()
        database.load(0)  # publishes the shipped manifesto text, which the sign form needs
        before = _max_ids(database)
        log_dir = args.log_dir / f"{scenario}-{database.kind}-{time.strftime('%H%M%S')}"
        log_dir.mkdir(parents=True, exist_ok=True)
        result["log_dir"] = str(log_dir)
        sink = SmtpSink().start()
        mail_env = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port),
                    "OUTBOX_LEASE_SECONDS": str(lease), "OUTBOX_RETRY_SECONDS": "5"}
        server_env = {"SIGN_MIN_SECONDS": "0", "OUTBOX_DELIVER_AFTER_REQUEST": "0",
                      "SIGN_RATE_LIMIT_PER_IP": "100000000 per hour",
                      "SIGN_RATE_LIMIT_PER_DOMAIN": "100000000 per hour",
                      "RESEND_RATE_LIMIT_PER_IP": "100000000 per hour", **mail_env}
        timeline = Timeline()
        kills, outage = [], None
        try:
            if args.quiet_wait:
                busy = wait_for_quiet(args.quiet_wait)
                click.echo(f"   machine busy before the run: {busy:.2f} cores")
            with Server(database, workers=args.workers, threads=args.threads,
                        worker_class="gthread", extra_env=server_env,
                        extra_args=["--worker-connections", str(args.worker_connections),
                                    "--keep-alive", str(args.keep_alive)]) as server:
                click.echo(f"   gunicorn: {result['gunicorn']}; outbox: {result['outbox_config']}; "
                           f"SMTP sink 127.0.0.1:{sink.port}")
                countries = _countries(server.port)
                worker = OutboxWorker(database, database.env(**mail_env), args.outbox_interval,
                                      log_dir / "outbox.log")
                worker.start()
                health = Prober(server.port, ("/healthz",), 0.5)
                pages = Prober(server.port, OUTAGE_PAGES, 1.0) if scenario == "pg-outage" else None
                try:
                    load = LoadGenerator(server.port, countries, signers, args.procs, duration, cfg)
                    timeline.t0 = load.start_at
                    meter = CpuMeter(server, extra_pids=[p.pid for p in load.procs])
                    while time.monotonic() < load.start_at:
                        time.sleep(0.01)
                    meter.start()
                    health.start()
                    if pages:
                        pages.start()
                    timeline.add(f"load starts: {signers} signers in {len(load.procs)} processes")
                    rng = random.Random(cfg["seed"])
                    if scenario == "kill":
                        at = args.kill_at or [duration / 3, 2 * duration / 3]
                        for offset in at:
                            while time.monotonic() < load.start_at + offset:
                                time.sleep(0.01)
                            kill = _kill_gunicorn_worker(server, timeline, rng)
                            pid = worker.kill()
                            kill["outbox_pid"] = pid
                            kill["outbox_killed_at"] = timeline.add(f"SIGKILL outbox worker {pid}")
                            kill["stranded"] = _stranded(database, pid)
                            timeline.add(f"{kill['stranded']} message(s) left claimed by it")
                            time.sleep(args.outbox_restart)
                            worker.start()
                            timeline.add(f"outbox worker started again (pid {worker.proc.pid})")
                            kills.append(kill)
                    elif scenario == "pg-outage":
                        while time.monotonic() < load.start_at + args.outage_at:
                            time.sleep(0.01)
                        outage = _run_outage(cluster, args.outage, timeline, database.admin_url)
                    while time.monotonic() < load.end_at:
                        time.sleep(0.05)
                    cpu = meter.stop()
                    timeline.add("load ends; waiting for the signers' last requests")
                    records = load.results(timeout=args.retry_budget + args.timeout * 3 + 60)
                    timeline.add(f"{len(records)} signer records collected")
                    drained_at, state = None, {}
                    deadline = time.monotonic() + args.drain_timeout
                    while time.monotonic() < deadline:
                        state = _outbox_state(database, before["outbox"])
                        if not state.get("pending"):
                            drained_at = time.monotonic()
                            break
                        if not worker.alive():
                            timeline.add(f"outbox worker exited with {worker.proc.returncode}; "
                                         "starting another")
                            worker.start()
                        time.sleep(0.5)
                    result["drain_s"] = drained_at - load.end_at if drained_at else None
                    timeline.add("outbox drained" if drained_at else
                                 f"outbox NOT drained after {args.drain_timeout:.0f} s: {state}")
                finally:
                    for prober in (health, pages):
                        if prober is not None and prober.is_alive():
                            prober.stop()
                    worker.stop()
                shutil.copy(server.log_path, log_dir / "gunicorn.log")
        finally:
            sink.stop()
            if cluster is not None and not cluster.ensure_up():
                click.echo("!! PostgreSQL does not answer: run pg_ctlcluster "
                           f"{cluster.version} {cluster.name} start", err=True)
        result.update(cpu={k: round(v, 3) for k, v in cpu.items()})
        result.update(analyse(database, before, records, sink, load, duration, timeline, kills,
                              outage, health.records, pages.records if pages else [], log_dir,
                              worker.pids))
        result["timeline"] = [(round(t - timeline.t0, 2), what) for t, what in timeline.events]
        if args.keep:
            click.echo(f"   kept: instance {database.instance}"
                       + (f", database {database.url}" if database.url else ""))
    return result


# --- races: many clients make the same status change at once (issue 17, point 2) ---------------

RACE_PASSWORD = "bench-races-password"
RACE_COORDINATOR = "coordinator@manifesto.example"
_RACE_HIDDEN = re.compile(r'<input id="(\w+)" name="(\w+)" type="hidden" value="([^"]*)"')
_RACE_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _race_burst(calls: list) -> list:
    """Run every call in a thread of its own, all released at the same instant; returns each
    call's (status, location, body) or ("error", kind, "")."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            r = calls[i]()
            results[i] = (r.status_code, r.headers.get("location", ""), r.text)
        except Exception as exc:  # noqa: BLE001 - counted as an error of the run
            results[i] = ("error", error_kind(exc), "")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    return results


def run_races(database_url: str, args) -> dict:
    """Signatures made over HTTP, then, for each, many clients at once: confirm (through
    several confirmation links of the same signature), a coordinator's verify clicks (mayors),
    the signatory's withdraw clicks. Checks that each change is won once: the counters moved by
    exactly the number of signatures (public API), one audit entry, one e-mail and one consent
    record per event, no 5xx, and ``counts reconcile --check``."""
    import httpx
    import sqlalchemy as sa

    n, clients, links = args.race_signatures, args.race_clients, args.race_links
    result: dict = {"scenario": "races", "signatures": n, "clients": clients, "links": links,
                    "gunicorn": f"{args.workers} workers x {args.threads} threads gthread",
                    "app": app_digest()}
    server_env = {"SIGN_MIN_SECONDS": "0", "OUTBOX_DELIVER_AFTER_REQUEST": "0",
                  "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(free_port()),  # nobody: rows stay
                  "RESPONSE_CACHE_SECONDS": "0",  # the counts are read after each storm
                  "SIGN_RATE_LIMIT_PER_IP": "100000000 per hour",
                  "SIGN_RATE_LIMIT_PER_DOMAIN": "100000000 per hour",
                  "RESEND_RATE_LIMIT_PER_IP": "100000000 per hour"}
    with Database(database_url, keep=args.keep, label="relraces") as database:
        result["database"] = database.label
        click.echo(f"== races on {database.label}: {n} organisations and {n} mayors, "
                   f"{clients} clients at once on each, {links} confirmation links each")
        database.upgrade()
        database.flask("demo", "--password", RACE_PASSWORD)
        engine = database.engine()

        def scalar(sql: str, **params):
            with engine.connect() as conn:
                return conn.execute(sa.text(sql), params).scalar()

        def bodies(signature_id: int) -> list[str]:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(
                    "SELECT body_text FROM outbox_message WHERE signature_id = :id "
                    "AND kind = 'confirm' ORDER BY id"), {"id": signature_id}).scalars())

        if args.quiet_wait:
            busy = wait_for_quiet(args.quiet_wait)
            click.echo(f"   machine busy before the run: {busy:.2f} cores")
        with Server(database, workers=args.workers, threads=args.threads,
                    worker_class="gthread", extra_env=server_env) as server:
            base = f"http://127.0.0.1:{server.port}"

            def client(**kw) -> httpx.Client:
                return httpx.Client(base_url=base, timeout=args.timeout, **kw)

            def counted() -> tuple[int, int]:
                with client() as c:
                    got = c.get("/api/v1/counts").json()["counted"]
                return got["organisations"], got["mayors"]

            tag = secrets.token_hex(3)
            made: dict[str, list[int]] = {"organisation": [], "mayor": []}
            with client() as c:
                for i in range(n):
                    for kind in ("organisation", "mayor"):
                        email = f"{kind}{i}@races-{tag}.example"
                        fields = {"kind": kind, "country": "PT", "contact_name": "Rita",
                                  "contact_email": email, "consent_privacy": "y",
                                  "listed_publicly": "y"}
                        if kind == "organisation":
                            fields.update(organisation_name=f"Races {tag} {i}",
                                          organisation_type="ngo", city="Porto")
                        else:
                            fields.update(mayor_name="Presidente", city=f"Races {tag} {i}")
                        page = c.get("/en/sign").text
                        hidden = {name: html.unescape(v) for _i, name, v in _RACE_HIDDEN.findall(page)}
                        r = c.post("/en/sign", data={**hidden, **fields})
                        assert r.status_code == 303, (r.status_code, r.text[:300])
                        for _ in range(links - 1):  # "send me a new link"
                            page = c.get("/en/sign/sent").text
                            token = _RACE_CSRF.search(page).group(1)
                            c.post("/en/sign/resend", data={"csrf_token": token, "email": email})
                        made[kind].append(scalar(
                            "SELECT signature.id FROM signature JOIN signatory ON "
                            "signatory.id = signature.signatory_id WHERE email_canonical = :e",
                            e=email))
            every = made["organisation"] + made["mayor"]
            statuses: Counter = Counter()
            phases = {}

            def storm(name: str, make_calls) -> None:
                winners = errors = 0
                t = time.monotonic()
                for calls, won in make_calls():
                    answers = _race_burst(calls)
                    statuses.update(str(a[0]) for a in answers)
                    errors += sum(1 for a in answers if a[0] == "error" or a[0] >= 500)
                    winners += sum(1 for a in answers if won(a))
                phases[name] = {"winners": winners, "errors": errors,
                                "seconds": round(time.monotonic() - t, 1)}

            # Confirm: the clients share the signature's links, all posted at once.
            def confirm_calls():
                for signature_id in every:
                    urls = [re.search(r"(/en/confirm/[\w-]+)", b).group(1)
                            for b in bodies(signature_id)]
                    cs = [client() for _ in range(clients)]
                    prepared = []
                    for i, c in enumerate(cs):
                        url = urls[i % len(urls)]
                        token = _RACE_CSRF.search(c.get(url).text).group(1)
                        prepared.append((c, url, token))
                    yield ([(lambda c=c, url=url, token=token:
                             c.post(url, data={"csrf_token": token}))
                            for c, url, token in prepared],
                           lambda a: a[0] == 303 and "/signature/" in a[1])
                    for c in cs:
                        c.close()

            before = counted()
            storm("confirm", confirm_calls)
            after_confirm = counted()

            # Verify: one coordinator's browser, many tabs, the same button at once.
            with client() as login:
                page = login.get("/en/login").text
                r = login.post("/en/login", data={"csrf_token": _RACE_CSRF.search(page).group(1),
                                                  "email": RACE_COORDINATOR,
                                                  "password": RACE_PASSWORD})
                assert r.status_code == 302, r.status_code
                login.get(r.headers["location"])
                cookies = [(k.name, k.value, k.domain, k.path) for k in login.cookies.jar]
                review = login.get("/en/coordinate/review").text
                coordinator_token = _RACE_CSRF.search(review).group(1)

            def verify_calls():
                for signature_id in made["mayor"]:
                    cs = [client() for _ in range(clients)]
                    for c in cs:
                        for name, value, domain, path in cookies:
                            c.cookies.set(name, value, domain=domain, path=path)
                    url = f"/en/coordinate/signatures/{signature_id}/verify"
                    yield ([(lambda c=c: c.post(url, data={"csrf_token": coordinator_token}))
                            for c in cs], lambda a: False)
                    for c in cs:
                        c.close()

            storm("verify", verify_calls)
            after_verify = counted()
            # (before the withdrawals: they delete the e-mails not sent yet, and no worker runs)
            ids = ",".join(str(i) for i in every) or "0"
            mayor_ids = ",".join(str(i) for i in made["mayor"]) or "0"
            emails = {kind: scalar(f"SELECT count(*) FROM outbox_message WHERE kind = '{kind}' "
                                   f"AND signature_id IN ({ids})")
                      for kind in ("confirm", "verified")}

            # Withdraw: the signatory's own page open in many tabs, the button clicked in each.
            def withdraw_calls():
                for signature_id in every:
                    own = re.search(r"(/en/signature/[\w-]+)", bodies(signature_id)[0]).group(1)
                    cs = [client() for _ in range(clients)]
                    prepared = [(c, _RACE_CSRF.search(c.get(own).text).group(1)) for c in cs]
                    yield ([(lambda c=c, token=token: c.post(
                        own + "/withdraw", data={"csrf_token": token, "understood": "y"}))
                        for c, token in prepared],
                        lambda a: a[0] == 303 and a[1].endswith("/signature/withdrawn"))
                    for c in cs:
                        c.close()

            storm("withdraw", withdraw_calls)
            after_withdraw = counted()
            shutil.copy(server.log_path, args.log_dir / f"races-{database.kind}-gunicorn.log")

        with engine.connect() as conn:
            details = conn.execute(sa.text(
                "SELECT detail FROM audit_event WHERE action = 'verify'")).scalars().all()
        verified = Counter((d if isinstance(d, dict) else json.loads(d)).get("signature")
                           for d in details)
        audit = [verified.get(i, 0) for i in made["mayor"]]
        engine.dispose()
        result.update(
            phases=phases,
            statuses=dict(statuses),
            counted={"before": before, "after_confirm": after_confirm,
                     "after_verify": after_verify, "after_withdraw": after_withdraw},
            confirm_emails=emails["confirm"],
            verified_emails=emails["verified"],
            audit_verify=sum(audit),
            audit_verify_max=max(audit, default=0),
            consent_withdrawn=scalar(f"SELECT count(*) FROM consent_record WHERE action = "
                                     f"'withdrawn' AND signature_id IN ({ids})"),
            withdrawn=scalar(f"SELECT count(*) FROM signature WHERE status = 'withdrawn' "
                             f"AND id IN ({ids})"),
        )
        reconcile = database.flask("counts", "reconcile", "--check", check=False)
        result["reconcile_ok"] = reconcile.returncode == 0
        result["reconcile"] = (reconcile.stdout or reconcile.stderr).strip().splitlines()[-1:]
        o0, m0 = before
        result["checks"] = checks = {
            "confirm: one winner per signature": phases["confirm"]["winners"] == 2 * n,
            "counts after confirm (+orgs)": after_confirm == (o0 + n, m0),
            "counts after verify (+mayors)": after_verify == (o0 + n, m0 + n),
            "counts after withdraw (back)": after_withdraw == (o0, m0),
            "one audit entry per verification": sum(audit) == n and max(audit, default=0) == 1,
            "one 'verified' e-mail per mayor": result["verified_emails"] == n,
            "confirm e-mails: the links asked for, no more": result["confirm_emails"] == 2 * n * links,
            "withdraw: one winner and one consent record each":
                phases["withdraw"]["winners"] == 2 * n * clients
                and result["consent_withdrawn"] == 2 * n and result["withdrawn"] == 2 * n,
            "no 5xx, no connection error": all(p["errors"] == 0 for p in phases.values()),
            "counts reconcile --check": result["reconcile_ok"],
        }
        result["ok"] = all(checks.values())
    return result


def print_races(r: dict) -> None:
    click.echo(f"   {r['database']}: {r['signatures']} organisations + {r['signatures']} mayors, "
               f"{r['clients']} clients at once each, {r['links']} confirmation links each; "
               f"gunicorn {r['gunicorn']}")
    rows = [[name, p["winners"], p["errors"], p["seconds"]] for name, p in r["phases"].items()]
    print_table(["storm", "'done' answers", "5xx/errors", "s"], rows)
    c = r["counted"]
    click.echo(f"   counted (organisations, mayors): before {c['before']}, after confirm "
               f"{c['after_confirm']}, after verify {c['after_verify']}, after withdraw "
               f"{c['after_withdraw']}")
    click.echo(f"   answers by status: {r['statuses']}")
    click.echo(f"   e-mails: confirm {r['confirm_emails']}, verified {r['verified_emails']}; "
               f"audit 'verify' {r['audit_verify']} (max {r['audit_verify_max']} per signature); "
               f"consent withdrawn {r['consent_withdrawn']}; reconcile: {r['reconcile']}")
    for name, ok in r["checks"].items():
        click.echo(f"   {'ok  ' if ok else 'FAIL'} {name}")


def _duplicates(mails: list[dict], mid_count: Counter, kills: list[dict], t0: float,
                outage: dict | None = None) -> list[dict]:
    """Each Message-ID received more than once: when, relative to the outbox kills."""
    found = []
    for mid, n in mid_count.items():
        if n < 2:
            continue
        times = sorted(m["t"] for m in mails if m["message_id"] == mid)
        entry = {"message_id": mid, "copies": n, "received_at_s": [round(t - t0, 3) for t in times],
                 "rcpt": next(m["rcpt"] for m in mails if m["message_id"] == mid)}
        if kills:
            nearest = min(kills, key=lambda k: abs(k["outbox_killed_at"] - times[0]))
            entry["first_copy_vs_outbox_kill_ms"] = round(1000 * (times[0] - nearest["outbox_killed_at"]), 1)
            entry["killed_outbox_pid"] = nearest["outbox_pid"]
        if outage:
            entry["first_copy_vs_pg_stop_ms"] = round(1000 * (times[0] - outage["stop_begin"]), 1)
        found.append(entry)
    return found[:10]


def app_digest() -> str:
    """A short digest of the app's files (no git here: others edit the tree meanwhile)."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("manifesto", "templates", "migrations"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".txt", ".sql"):
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    for name in ("config.py", "wsgi.py"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()[:10]


# --- the checks -----------------------------------------------------------------------------------


def analyse(database, before, records, sink, load, duration, timeline, kills, outage, health,
            pages, log_dir, outbox_pids) -> dict:
    r: dict = {}
    t0 = load.start_at
    by_email = {rec["email"]: rec for rec in records}
    posted = [rec for rec in records if rec["post"]]
    accepted = [rec for rec in posted if rec["outcome"] == "accepted"]
    first_try = [rec for rec in accepted if len(rec["post"]) == 1]
    after_retry = [rec for rec in accepted if len(rec["post"]) > 1]
    not_accepted = [rec for rec in posted if rec["outcome"] != "accepted"]
    in_window = [rec for rec in first_try if rec["post"][0][1] <= load.end_at]
    totals = [rec["post"][0][1] - rec["get"][-1][0] for rec in in_window]
    posts = [rec["post"][0][1] - rec["post"][0][0] for rec in in_window]
    gets = [ev for rec in records for ev in rec["get"]]
    attempts = [ev for rec in records for ev in rec["post"]]

    def kinds(events):
        c = Counter()
        for ev in events:
            if ev[3] is None:
                c[ev[4]] += 1  # connection, refused, timeout
            elif ev[3] >= 500:
                c[f"{ev[3]} {ev[4]}"] += 1
            elif ev[4] != "ok" or ev[3] not in (200, 303):
                c[f"{ev[3]} {ev[4]}"] += 1
        return dict(c)

    r["requests"] = {"get": len(gets), "post_attempts": len(attempts),
                     "get_errors": kinds(gets), "post_errors": kinds(attempts),
                     "stale_keepalive_get_retries": sum(
                         1 for rec in records if len(rec["get"]) == 2 and rec["get"][0][3] is None)}
    all_events = gets + attempts
    r["errors"] = {
        "connection": sum(1 for ev in all_events if ev[3] is None and ev[4] in ("connection", "refused")),
        "timeout": sum(1 for ev in all_events if ev[3] is None and ev[4] == "timeout"),
        "5xx": sum(1 for ev in all_events if ev[3] is not None and ev[3] >= 500),
        "other": sum(1 for ev in all_events if (ev[3] is None and ev[4] not in ("connection", "refused", "timeout"))
                     or (ev[3] is not None and ev[3] < 500 and ev[4] != "ok")),
    }
    failures = sorted(((ev, stage) for rec in records for stage in ("get", "post") for ev in rec[stage]
                       if ev[3] is None or ev[3] >= 500), key=lambda x: x[0][0])
    r["failure_samples"] = [
        {"stage": stage, "at_s": round(ev[0] - t0, 2), "took_ms": round(1000 * (ev[1] - ev[0])),
         "status": ev[3], "kind": ev[4], "reused_connection": ev[5], "retry_after": ev[6]}
        for ev, stage in failures[:40]]
    r["signers"] = {
        "records": len(records), "get_failed": sum(1 for rec in records if not rec["post"]),
        "posted": len(posted), "accepted": len(accepted), "accepted_first_try": len(first_try),
        "accepted_after_retry": len(after_retry), "not_accepted": len(not_accepted),
        "not_accepted_outcomes": dict(Counter(rec["outcome"] for rec in not_accepted)),
    }
    r["rate"] = sum(1 for rec in accepted if rec["post"][-1][1] <= load.end_at) / duration
    r["latency_ms"] = {"p50": 1000 * percentile(totals, 50), "p95": 1000 * percentile(totals, 95),
                       "p99": 1000 * percentile(totals, 99),
                       "post_p50": 1000 * percentile(posts, 50),
                       "post_p95": 1000 * percentile(posts, 95), "samples": len(totals)}

    # --- the database
    sigs = _scalar_rows(database, """
        SELECT s.id, s.submission_key, s.created_at, s.flagged, p.contact_email
        FROM signature s JOIN signatory p ON p.id = s.signatory_id WHERE s.id > :m""",
        m=before["signature"])
    outbox = _scalar_rows(database, """
        SELECT id, signature_id, kind, to_address, message_id, status, attempts, last_error
        FROM outbox_message WHERE id > :m""", m=before["outbox"])
    signatories = _scalar_rows(database, "SELECT count(*) FROM signatory WHERE contact_email LIKE :p",
                               p=f"%.{records[0]['email'].split('.', 1)[1]}" if records else "%")[0][0]
    email_rows: dict[str, list] = defaultdict(list)
    for row in sigs:
        email_rows[(row[4] or "").lower()].append(row)
    lost = [rec["email"] for rec in accepted if not email_rows.get(rec["email"])]
    doubled = {e: len(rows) for e, rows in email_rows.items() if len(rows) > 1}
    unknown = [e for e in email_rows if e not in by_email]
    wrong_key = [rec["email"] for rec in posted if email_rows.get(rec["email"])
                 and email_rows[rec["email"]][0][1] != rec["key"]]
    failed_in_db = [rec for rec in not_accepted if email_rows.get(rec["email"])]
    # Retries and replays of a form whose first POST had already been recorded.
    replayed_retries = 0
    for rec in after_retry:
        rows = email_rows.get(rec["email"])
        if rows and _wall(rows[0][2]) is not None and _wall(rows[0][2]) < rec["post"][-1][2]:
            replayed_retries += 1
    replays = [rec["replay"] for rec in records if rec["replay"]]
    r["db"] = {
        "signatures": len(sigs), "signatories": signatories,
        "accepted_exactly_once": sum(1 for rec in accepted if len(email_rows.get(rec["email"], ())) == 1),
        "lost_accepted": len(lost), "lost_examples": lost[:5],
        "duplicated_emails": len(doubled), "duplicated_examples": list(doubled.items())[:5],
        "unknown_emails": len(unknown), "wrong_submission_key": len(wrong_key),
        "failed_but_in_db": len(failed_in_db), "failed_not_in_db": len(not_accepted) - len(failed_in_db),
        "flagged": sum(1 for row in sigs if row[3]),
        "retries_that_replayed_a_recorded_post": replayed_retries,
        "replays": len(replays), "replays_303": sum(1 for x in replays if x[2] == 303),
        "replay_answers": dict(Counter(str(x[2]) for x in replays)),
    }
    drift = database.flask("counts", "reconcile", "--check", check=False)
    r["db"]["counters_ok"] = drift.returncode == 0
    if drift.returncode:
        r["db"]["counters_output"] = (drift.stdout + drift.stderr).strip()[-1500:]

    # --- the outbox and the sink
    sig_emails = {row[0]: (row[4] or "").lower() for row in sigs}
    per_signature = Counter(row[1] for row in outbox)
    statuses = Counter(str(row[5]).lower().rsplit(".", 1)[-1] for row in outbox)
    with sink.lock:
        mails = list(sink.messages)
    mid_count = Counter(m["message_id"] for m in mails)
    outbox_by_mid = {row[4]: row for row in outbox}
    missing = [row for row in outbox if mid_count[row[4]] == 0]
    per_kind_rcpt = Counter()
    rcpt_mismatch = 0
    for m in mails:
        row = outbox_by_mid.get(m["message_id"])
        if row is None:
            continue
        expected = (row[3] or sig_emails.get(row[1], "")).lower()
        if m["rcpt"] != [expected] or sig_emails.get(row[1]) != expected:
            rcpt_mismatch += 1
        per_kind_rcpt[(expected, row[2])] += 1
    mails_per_signature = Counter(outbox_by_mid[m["message_id"]][1] for m in mails
                                  if m["message_id"] in outbox_by_mid)
    r["outbox"] = {
        "rows": len(outbox), "statuses": dict(statuses),
        "signatures_without_exactly_one_row": sum(1 for row in sigs if per_signature[row[0]] != 1),
        "rows_without_signature": sum(1 for row in outbox if row[1] not in sig_emails),
        "attempts_over_1": sum(1 for row in outbox if (row[6] or 0) > 1),
        "last_errors": dict(Counter(row[7] for row in outbox if row[7]).most_common(5)),
        "kinds": dict(Counter(row[2] for row in outbox)),
    }
    r["mail"] = {
        "received": len(mails), "distinct_message_ids": len(mid_count),
        "message_ids_twice": sum(1 for n in mid_count.values() if n > 1),
        "extra_copies": sum(n - 1 for n in mid_count.values() if n > 1),
        "unknown_message_ids": sum(1 for mid in mid_count if mid not in outbox_by_mid),
        "outbox_rows_never_received": len(missing),
        "sent_rows_never_received": sum(1 for row in missing if "sent" in str(row[5]).lower()),
        "recipient_mismatch": rcpt_mismatch,
        "same_signer_and_kind_twice": sum(1 for n in per_kind_rcpt.values() if n > 1),
        "signatures_without_mail": sum(1 for row in sigs if mails_per_signature[row[0]] == 0),
        "signatures_with_several_mails": sum(1 for row in sigs if mails_per_signature[row[0]] > 1),
        "duplicates": _duplicates(mails, mid_count, kills, t0, outage),
    }

    # --- crashes, outage, logs
    if kills:
        r["kills"] = []
        for kill in kills:
            window_end = kill["at"] + (kill["respawn_s"] or 5) + 2
            hit = [(rec, ev, stage) for rec in records for stage in ("get", "post")
                   for ev in rec[stage] if kill["at"] - 0.05 <= ev[1] <= window_end
                   and (ev[3] is None or ev[3] >= 500)]
            r["kills"].append({
                "at_s": round(kill["at"] - t0, 1), "gunicorn_pid": kill["pid"],
                "new_worker_forked_s": kill["respawn_s"] and round(kill["respawn_s"], 2),
                "outbox_killed_at_s": round(kill["outbox_killed_at"] - t0, 2),
                "outbox_pid": kill["outbox_pid"], "outbox_claimed_unsent": kill["stranded"],
                "failed_requests": len(hit),
                "failed_by_stage": dict(Counter(f"{stage} {ev[4] if ev[3] is None else ev[3]}"
                                                f"{' (reused conn.)' if ev[5] else ' (new conn.)'}"
                                                for _rec, ev, stage in hit)),
                "their_signers_finally": dict(Counter(rec["outcome"] for rec, _ev, st in hit
                                                      if st == "post")),
            })
    if outage:
        r["outage"] = _outage_report(outage, records, health, pages, t0)
    r["health"] = {"answers": dict(Counter(str(h[3] or h[4]) for h in health))}
    r["logs"] = {"gunicorn": _scan_log(log_dir / "gunicorn.log"),
                 "outbox": _scan_log(log_dir / "outbox.log"), "outbox_pids": outbox_pids}

    checks = {
        "every accepted signer exactly once in DB": r["db"]["accepted_exactly_once"] == len(accepted)
        and not lost,
        "no duplicate signature": not doubled and not unknown and not wrong_key,
        "one outbox row per signature": r["outbox"]["signatures_without_exactly_one_row"] == 0
        and len(outbox) == len(sigs) and r["outbox"]["rows_without_signature"] == 0,
        "every outbox row sent": statuses.get("sent", 0) == len(outbox),
        "no e-mail lost (each signature's row received, right recipient)":
        r["mail"]["signatures_without_mail"] == 0 and not missing
        and r["mail"]["recipient_mismatch"] == 0 and r["mail"]["unknown_message_ids"] == 0,
        "no e-mail twice": r["mail"]["message_ids_twice"] == 0
        and r["mail"]["same_signer_and_kind_twice"] == 0
        and r["mail"]["signatures_with_several_mails"] == 0 and len(mails) == len(sigs),
        # A replay must find the first signature (303); during an outage a friendly 503 is fine.
        "replays answered 303 (or 503 while the database was down)": all(
            x[2] in (303, 503) for x in replays if isinstance(x[2], int)),
        "counters reconcile": r["db"]["counters_ok"],
        "no traceback in logs": r["logs"]["gunicorn"]["tracebacks"] == 0
        and r["logs"]["outbox"]["tracebacks"] == 0,
    }
    if outage:
        checks["outage answers friendly (no 500/traceback)"] = not r["outage"]["unfriendly"]
        checks["app recovered by itself"] = r["outage"]["healthz_200_after_s"] is not None \
            and r["outage"]["first_accepted_after_s"] is not None
    r["checks"] = checks
    r["ok"] = all(checks.values())
    return r


def _outage_report(outage: dict, records: list, health: list, pages: list, t0: float) -> dict:
    start = outage["stop_begin"]
    # PostgreSQL is back when it accepts a connection (before pg_ctlcluster start returns).
    up = outage.get("accepting") or outage["up"]
    ready = outage.get("ready") or outage["up"]
    out = {"cluster": outage["cluster"],
           "stop_took_s": round(outage["down"] - start, 2) if outage.get("down") else None,
           "down_for_s": round(outage["start_begin"] - start, 2),
           "start_took_s": round(up - outage["start_begin"], 2),
           "stopped_at_s": round(start - t0, 2), "stopped_done_at_s": round(outage["down"] - t0, 2),
           "start_issued_at_s": round(outage["start_begin"] - t0, 2),
           "accepting_at_s": round(up - t0, 2), "start_returned_at_s": round(outage["up"] - t0, 2)}
    during = lambda t: start <= t <= up  # noqa: E731

    def summary(events):
        return dict(Counter(f"{st if st is not None else kind}"
                            f"{'' if st is None or kind == 'ok' else ' ' + kind}"
                            f"{' Retry-After ' + ra if ra else ''}"
                            for st, kind, ra in events))

    out["healthz_during"] = summary([(h[3], h[4], None) for h in health if during(h[0])])
    bodies = Counter(h[6].decode(errors="replace") for h in health if during(h[0]) and h[3] != 200)
    out["healthz_bodies"] = dict(bodies.most_common(3))
    out["healthz_max_latency_ms"] = round(1000 * max((h[1] - h[0] for h in health if during(h[0])),
                                                     default=0), 1)
    first_bad = next((h for h in health if h[0] >= start and h[3] != 200), None)
    out["healthz_first_non_200_after_stop_s"] = round(first_bad[1] - start, 2) if first_bad else None
    ok_after = next((h for h in health if h[0] >= up and h[3] == 200), None)
    out["healthz_200_after_s"] = round(ok_after[1] - up, 2) if ok_after else None
    out["pages_during"] = {
        path: summary([(p[3], p[4], p[5]) for p in pages if p[2] == path and during(p[0])])
        for path in OUTAGE_PAGES}
    get_events = [ev for rec in records for ev in rec["get"] if during(ev[0])]
    post_events = [ev for rec in records for ev in rec["post"] if during(ev[0])]
    out["signer_get_during"] = summary([(ev[3], ev[4], ev[6]) for ev in get_events])
    out["signer_post_during"] = summary([(ev[3], ev[4], ev[6]) for ev in post_events])
    accepted_after = sorted(rec["post"][-1][1] for rec in records
                            if rec["outcome"] == "accepted" and rec["post"][-1][1] >= up)
    out["first_accepted_after_s"] = round(accepted_after[0] - up, 2) if accepted_after else None
    new_after = sorted(rec["post"][-1][1] for rec in records if rec["outcome"] == "accepted"
                       and len(rec["post"]) == 1 and rec["post"][0][0] >= up)
    out["first_new_signing_accepted_after_s"] = round(new_after[0] - up, 2) if new_after else None
    out["select_1_after_accepting_s"] = round(ready - up, 2)
    changes, last = [], object()
    for h in health:
        answer = h[3] or h[4]
        if answer != last and start - 5 <= h[0] <= up + 10:
            changes.append((round(h[0] - t0, 2), round(h[1] - t0, 2), answer))
            last = answer
    out["healthz_changes"] = changes
    out["posts_accepted_while_stopping"] = sum(
        1 for rec in records for ev in rec["post"]
        if ev[3] == 303 and start <= ev[0] <= outage["down"])
    window = [ev for rec in records for stage in ("get", "post") for ev in rec[stage]
              if start - 1 <= ev[0] <= up + 30]
    unfriendly = Counter(f"{ev[3]} {ev[4]}" for ev in window
                         if ev[3] is not None and ev[3] >= 500 and not ev[4].startswith("friendly-503"))
    unfriendly.update(f"{p[2]} {p[3]} {p[4]}" for p in pages
                      if p[3] is not None and p[3] >= 500 and not p[4].startswith(("friendly-503", "json-503")))
    unfriendly.update(f"/healthz {h[3]} {h[4]}" for h in health if h[3] is not None and h[3] not in (200, 503))
    no_retry_after = sum(1 for ev in window if ev[3] == 503 and not ev[6])
    out["unfriendly"] = dict(unfriendly)
    out["503_without_retry_after"] = no_retry_after
    out["connection_errors_or_timeouts"] = dict(Counter(ev[4] for ev in window if ev[3] is None))
    return out


# --- reporting ------------------------------------------------------------------------------------


def _fmt(d) -> str:
    if isinstance(d, dict):
        return ", ".join(f"{k}: {v}" for k, v in d.items()) or "none"
    if isinstance(d, float):
        return f"{d:.2f}"
    return str(d)


def print_run(r: dict) -> None:
    click.echo()
    click.echo(f"Scenario {r['scenario']} on {r['database']}: {r['signer_count']} signers, "
               f"{r['duration']:.0f} s, app files digest {r['app']}")
    click.echo(f"  gunicorn: {r['gunicorn']}; outbox: {r['outbox_config']}; logs: {r['log_dir']}")
    s, db, ob, mail, lat = r["signers"], r["db"], r["outbox"], r["mail"], r["latency_ms"]
    rows = [
        ["signing attempts (GET ok, POST sent)", s["posted"]],
        ["GET failed (no POST made)", s["get_failed"]],
        ["accepted (303)", f"{s['accepted']} ({s['accepted_first_try']} first try, "
                           f"{s['accepted_after_retry']} after retry)"],
        ["not accepted", f"{s['not_accepted']} {_fmt(s['not_accepted_outcomes'])} "
                         f"(in DB: {db['failed_but_in_db']}, not in DB: {db['failed_not_in_db']})"],
        ["throughput (accepted/s)", f"{r['rate']:.1f}"],
        ["latency GET+POST p50 / p95 / p99 ms", f"{lat['p50']:.0f} / {lat['p95']:.0f} / {lat['p99']:.0f}"],
        ["latency POST p50 / p95 ms", f"{lat['post_p50']:.0f} / {lat['post_p95']:.0f}"],
        ["requests GET / POST attempts", f"{r['requests']['get']} / {r['requests']['post_attempts']}"],
        ["errors: connection / 5xx / timeout / other",
         f"{r['errors']['connection']} / {r['errors']['5xx']} / {r['errors']['timeout']} / {r['errors']['other']}"],
        ["GET errors by kind", _fmt(r["requests"]["get_errors"])],
        ["POST errors by kind", _fmt(r["requests"]["post_errors"])],
        ["stale keep-alive GETs retried", r["requests"]["stale_keepalive_get_retries"]],
        ["signatures in DB (this run)", f"{db['signatures']} (signatories {db['signatories']})"],
        ["accepted signers exactly once in DB", f"{db['accepted_exactly_once']} of {s['accepted']}"],
        ["lost / duplicated / unknown e-mails", f"{db['lost_accepted']} / {db['duplicated_emails']} / "
                                                f"{db['unknown_emails']}"],
        ["retries that replayed a recorded POST", db["retries_that_replayed_a_recorded_post"]],
        ["deliberate replays (answers)", f"{db['replays']} ({_fmt(db['replay_answers'])})"],
        ["flagged", db["flagged"]],
        ["outbox rows / statuses", f"{ob['rows']} ({_fmt(ob['statuses'])})"],
        ["signatures without exactly 1 outbox row", ob["signatures_without_exactly_one_row"]],
        ["outbox rows retried (attempts > 1)", f"{ob['attempts_over_1']} {_fmt(ob['last_errors'])}"],
        ["outbox drained after load end (s)", _fmt(r.get("drain_s"))],
        ["mails received / distinct Message-IDs", f"{mail['received']} / {mail['distinct_message_ids']}"],
        ["Message-ID twice / same signer+kind twice", f"{mail['message_ids_twice']} / "
                                                      f"{mail['same_signer_and_kind_twice']}"],
        ["outbox rows never received (of them 'sent')", f"{mail['outbox_rows_never_received']} "
                                                        f"({mail['sent_rows_never_received']})"],
        ["unknown Message-IDs / recipient mismatch", f"{mail['unknown_message_ids']} / "
                                                     f"{mail['recipient_mismatch']}"],
        ["counts reconcile --check", "ok" if db["counters_ok"] else "DRIFT"],
        ["/healthz answers", _fmt(r["health"]["answers"])],
        ["app / pg / other cores (other: outbox worker, others' jobs)"
         + (" [kill: killed workers' CPU is lost, app figure too low]" if r.get("kills") else ""),
         f"{r['cpu']['server_cores']:.2f} / "
                                               f"{r['cpu']['postgres_cores']:.2f} / "
                                               f"{max(0, r['cpu']['machine_busy_cores'] - r['cpu']['server_cores'] - r['cpu']['postgres_cores'] - r['cpu']['loadgen_cores']):.2f}"],
        ["gunicorn log: tracebacks / error lines", f"{r['logs']['gunicorn']['tracebacks']} / "
                                                   f"{sum(r['logs']['gunicorn']['errors'].values())}"],
        ["outbox log: tracebacks / error lines", f"{r['logs']['outbox']['tracebacks']} / "
                                                 f"{sum(r['logs']['outbox']['errors'].values())}"],
    ]
    for kill in r.get("kills", []):
        rows.append([f"kill at {kill['at_s']} s",
                     f"gunicorn worker {kill['gunicorn_pid']} (new one forked after "
                     f"{kill['new_worker_forked_s']} s), outbox worker "
                     f"{kill['outbox_pid']} ({kill['outbox_claimed_unsent']} claimed unsent); "
                     f"{kill['failed_requests']} requests failed: {_fmt(kill['failed_by_stage'])}; "
                     f"their signers: {_fmt(kill['their_signers_finally'])}"])
    if "outage" in r:
        o = r["outage"]
        rows += [
            ["outage", f"{o['cluster']}: stop issued at {o['stopped_at_s']} s, stopped at "
                       f"{o['stopped_done_at_s']} s, start issued at {o['start_issued_at_s']} s, "
                       f"accepting connections at {o['accepting_at_s']} s, pg_ctlcluster start "
                       f"returned at {o['start_returned_at_s']} s"],
            ["/healthz changes (sent at s, answered at s, answer)", o["healthz_changes"]],
            ["POSTs accepted while PostgreSQL was stopping", o["posts_accepted_while_stopping"]],
            ["/healthz during outage", f"{_fmt(o['healthz_during'])} (max {o['healthz_max_latency_ms']} ms)"],
            ["/healthz body", _fmt(o["healthz_bodies"])],
            ["/healthz first non-200 after stop (s)", _fmt(o["healthz_first_non_200_after_stop_s"])],
            ["/healthz first 200 after PG accepts (s, poll 0.5 s)", _fmt(o["healthz_200_after_s"])],
            ["first accepted signature after PG accepts (s)", _fmt(o["first_accepted_after_s"])],
            ["first new (non-retry) signature after (s)", _fmt(o["first_new_signing_accepted_after_s"])],
            ["signers' GET /sign during outage", _fmt(o["signer_get_during"])],
            ["signers' POST during outage", _fmt(o["signer_post_during"])],
        ]
        rows += [[f"page {path} during outage", _fmt(v)] for path, v in o["pages_during"].items()]
        rows += [["non-friendly 5xx (outage +30 s)", _fmt(o["unfriendly"])],
                 ["503 without Retry-After", o["503_without_retry_after"]],
                 ["connection errors / timeouts (outage)", _fmt(o["connection_errors_or_timeouts"])]]
    width = max(len(a) for a, _b in rows)
    for a, b in rows:
        click.echo(f"  {a:<{width}}  {b}")
    for f in r["failure_samples"][:12]:
        click.echo(f"  failed request: {f}")
    for dup in mail["duplicates"]:
        click.echo(f"  e-mail sent twice: {dup}")
    for name in ("gunicorn", "outbox"):
        if r["logs"][name]["errors"]:
            click.echo(f"  {name} log lines (numbers blanked):")
            for line, n in r["logs"][name]["errors"].items():
                click.echo(f"    {n:6d} x {line}")
    click.echo("  checks: " + "; ".join(f"{k}: {'ok' if v else 'FAIL'}" for k, v in r["checks"].items()))
    click.echo(f"  RESULT: {'PASS' if r['ok'] else 'FAIL'}")


def print_overview(results: list[dict]) -> None:
    click.echo()
    click.echo("Overview")
    rows = []
    for r in results:
        if "error" in r:
            rows.append([r["scenario"], r.get("database", "?"), "ERROR: " + r["error"][:60]] + [""] * 10)
            continue
        if r["scenario"] == "races":
            rows.append(["races", r["database"].split(" (")[0], r["clients"], "", "", "",
                         "", "", sum(p["errors"] for p in r["phases"].values()),
                         2 * r["signatures"], "", f"{r['confirm_emails']}+{r['verified_emails']}",
                         "PASS" if r["ok"] else "FAIL"])
            continue
        s, db, mail, e = r["signers"], r["db"], r["mail"], r["errors"]
        rows.append([r["scenario"], r["database"].split(" (")[0], r["signer_count"],
                     f"{r['rate']:.1f}", f"{r['latency_ms']['p50']:.0f}/{r['latency_ms']['p95']:.0f}",
                     s["accepted"], f"{s['accepted_after_retry']}", f"{s['not_accepted']}"
                     f" ({db['failed_but_in_db']} in DB)",
                     f"{e['connection']}/{e['5xx']}/{e['timeout']}", db["signatures"],
                     f"{db['lost_accepted']}/{db['duplicated_emails']}",
                     f"{mail['received']}/{mail['extra_copies']}/{mail['outbox_rows_never_received']}",
                     "PASS" if r["ok"] else "FAIL"])
    print_table(["scenario", "db", "signers", "acc/s", "p50/p95 ms", "accepted", "after retry",
                 "not accepted", "conn/5xx/timeout", "signatures", "lost/dup", "mails/extra/missing",
                 "result"], rows)


def _json_default(value):
    if isinstance(value, (bytes, bytearray)):
        return value.decode(errors="replace")
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Reliability of the sign flow and the outbox: load, crashes, a PostgreSQL outage.",
        epilog="Scenarios: load (the load alone), kill (SIGKILL a gunicorn worker and the outbox "
               "worker twice), pg-outage (stop the local PostgreSQL for --outage s; PostgreSQL "
               "URLs only), races (many clients confirm, verify and withdraw the same signatures "
               "at once). 'all' runs load and kill, and pg-outage when the URL is PostgreSQL.")
    parser.add_argument("--scenario", choices=(*SCENARIOS, "all"), default="all")
    parser.add_argument("--database-url", default="sqlite",
                        help="sqlite (a temporary file), sqlite:///path, or postgresql://user@host:port/[db] "
                             f"(no db name: a throwaway database). PostgreSQL default: {DEFAULT_PG}")
    parser.add_argument("--signers", type=int, default=200, help="Concurrent signers (load, kill).")
    parser.add_argument("--duration", type=float, default=60, help="Seconds of load (load, kill).")
    parser.add_argument("--procs", type=int, default=4, help="Load-generator processes.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn gthread workers.")
    parser.add_argument("--threads", type=int, default=8, help="Threads per gunicorn worker.")
    parser.add_argument("--worker-connections", type=int, default=1000,
                        help="Connections each gthread worker holds (keep-alive ones included).")
    parser.add_argument("--keep-alive", type=int, default=10, help="gunicorn keep-alive seconds.")
    parser.add_argument("--timeout", type=float, default=30, help="Client socket timeout, seconds.")
    parser.add_argument("--retry-budget", type=float, default=20,
                        help="A failed POST is sent again (same form) until this many seconds "
                             "have passed (0.5 s back-off, doubling up to 4 s); 0: never.")
    parser.add_argument("--replay", type=float, default=0.02,
                        help="Share of accepted POSTs sent a second time on purpose.")
    parser.add_argument("--lease", type=int, default=10, help="OUTBOX_LEASE_SECONDS.")
    parser.add_argument("--outbox-interval", type=float, default=0.5)
    parser.add_argument("--outbox-restart", type=float, default=2,
                        help="kill: seconds before the killed outbox worker is started again.")
    parser.add_argument("--kill-at", type=lambda v: [float(x) for x in v.split(",")],
                        help="kill: seconds into the load (default: 1/3 and 2/3 of --duration).")
    parser.add_argument("--outage", type=float, default=10, help=f"pg-outage: seconds down (≤ {OUTAGE_MAX:.0f}).")
    parser.add_argument("--outage-at", type=float, default=12, help="pg-outage: seconds into the load.")
    parser.add_argument("--outage-signers", type=int, default=20)
    parser.add_argument("--outage-duration", type=float, default=40)
    parser.add_argument("--race-signatures", type=int, default=5,
                        help="races: organisations, and as many mayors, raced over.")
    parser.add_argument("--race-clients", type=int, default=16,
                        help="races: clients making the same change at once.")
    parser.add_argument("--race-links", type=int, default=4,
                        help="races: confirmation links per signature (the first and new ones).")
    parser.add_argument("--drain-timeout", type=float, default=600,
                        help="Seconds to wait for the outbox to drain after the load.")
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="Wait up to this many seconds for the machine to be idle first; 0: no.")
    parser.add_argument("--log-dir", type=Path, default=Path("/tmp/manifesto-reliability"),
                        help="gunicorn and outbox logs of each run are copied here.")
    parser.add_argument("--json", type=Path, help="Write every figure to this file.")
    parser.add_argument("--keep", action="store_true", help="Keep the database and instance folder.")
    args = parser.parse_args()
    if args.outage > OUTAGE_MAX:
        parser.error(f"--outage is at most {OUTAGE_MAX:.0f} s: other people's tests use PostgreSQL")
    if args.outage_at + args.outage >= args.outage_duration:
        parser.error("--outage-at + --outage must end before --outage-duration")
    is_pg = args.database_url.startswith(("postgres", "postgresql"))
    if args.scenario == "all":
        scenarios = [s for s in SCENARIOS if s != "pg-outage" or is_pg]
    else:
        scenarios = [args.scenario]
    if "pg-outage" in scenarios and not is_pg:
        parser.error("pg-outage needs a PostgreSQL --database-url")

    def terminate(signum, frame):  # SIGTERM runs the finally blocks (PostgreSQL restart) too
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for scenario in scenarios:
        try:
            if scenario == "races":
                r = run_races(args.database_url, args)
            else:
                r = run_scenario(scenario, args.database_url, args)
        except click.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            r = {"scenario": scenario, "error": exc.format_message()}
        results.append(r)
        if "error" not in r:
            (print_races if scenario == "races" else print_run)(r)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=_json_default))
    print_overview(results)
    if args.json:
        click.echo(f"Figures written to {args.json}")
    if any("error" in r or not r["ok"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
