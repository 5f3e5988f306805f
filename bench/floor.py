"""The floor under the sign benchmark: how many GET + POST pairs per second a bare Flask app
serves on this machine, with the same gunicorn and the same kind of load generator.

The bare app's GET returns a 20 kB page from memory; its POST inserts one row into SQLite (WAL,
synchronous=NORMAL) and answers 303. No session, CSRF, form, template, ORM or counter. What the
sign flow reaches (``sign_load.py``) divided by this floor says how much of the machine the
campaign's own work takes, whatever the machine's speed.

    .venv/bin/python bench/floor.py --workers 2 --clients 4,8 --duration 15
"""

from __future__ import annotations

import http.client
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import GUNICORN, free_port, percentile, print_table, wait_for_quiet  # noqa: E402

APP = textwrap.dedent('''
    import sqlite3, threading
    from flask import Flask, redirect, request

    app = Flask(__name__)
    DB = __file__.replace("floor_app.py", "floor.sqlite3")
    PAGE = "<!doctype html><form method=post><input name=name></form>" + "x" * 20000
    local = threading.local()

    def connection():
        if getattr(local, "db", None) is None:
            local.db = sqlite3.connect(DB, timeout=10, isolation_level=None)
            local.db.execute("pragma journal_mode=wal")
            local.db.execute("pragma synchronous=normal")
        return local.db

    @app.get("/sign")
    def form():
        return PAGE

    @app.post("/sign")
    def sign():
        db = connection()
        db.execute("begin immediate")
        db.execute("insert into signature(name) values (?)", (request.form["name"],))
        db.execute("commit")
        return redirect("/sent", 303)
''')


def _client(port: int, warm_at: float, end_at: float, latencies: list[float]) -> None:
    body = "name=Bench+organisation"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    while time.monotonic() < end_at:
        started = time.monotonic()
        for method, payload in (("GET", None), ("POST", body)):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request(method, "/sign", body=payload, headers=headers if payload else {})
            conn.getresponse().read()
            conn.close()
        if started >= warm_at:
            latencies.append(time.monotonic() - started)


def _run(folder: Path, workers: int, clients: int, duration: float) -> list:
    import sqlite3

    database = folder / "floor.sqlite3"
    database.unlink(missing_ok=True)
    sqlite3.connect(database).execute("create table signature(id integer primary key, name text)")
    port = free_port()
    server = subprocess.Popen(
        [GUNICORN, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--chdir", str(folder), "floor_app:app"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/sign")
                break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        warm_at = time.monotonic() + 2
        end_at = warm_at + duration
        threads = [threading.Thread(target=_client, args=(port, warm_at, end_at, latencies))
                   for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return [f"{workers}w sync", clients, round(len(latencies) / duration),
            f"{percentile(latencies, 50) * 1000:.1f}", f"{percentile(latencies, 95) * 1000:.1f}"]


@click.command(help=__doc__.split("\n\n")[0])
@click.option("--workers", default="2", show_default=True, help="gunicorn sync workers (comma list).")
@click.option("--clients", default="4,8", show_default=True, help="concurrent clients (comma list).")
@click.option("--duration", type=click.FloatRange(1, 600), default=15, show_default=True,
              help="seconds measured per run, after 2 s of warm-up.")
@click.option("--quiet-wait", type=click.FloatRange(0, 600), default=60, show_default=True,
              help="seconds to wait for an idle machine before each run.")
def main(workers: str, clients: str, duration: float, quiet_wait: float) -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="manifesto-floor-") as tmp:
        folder = Path(tmp)
        (folder / "floor_app.py").write_text(APP)
        combos = [(int(w), int(c)) for w in workers.split(",") for c in clients.split(",")]
        with click.progressbar(combos, label="Floor runs") as bar:
            for w, c in bar:
                wait_for_quiet(quiet_wait)
                rows.append(_run(folder, w, c, duration))
    click.echo(f"\nBare Flask floor, {duration:g} s measured per run (latency of GET+POST in ms)")
    print_table(["server", "clients", "pairs/s", "p50", "p95"], rows)


if __name__ == "__main__":
    main()
