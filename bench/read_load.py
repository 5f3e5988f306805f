"""The coordinators' dashboard and the public read side (pages and API) under load, with a
million signatures and 100,000 outreach activities loaded.

    .venv/bin/python bench/read_load.py                          # SQLite, 1M + 100k
    .venv/bin/python bench/read_load.py --database-url postgresql://postgres@127.0.0.1:5432/
    .venv/bin/python bench/read_load.py --signatures 100k --activities 10k --duration 10
    .venv/bin/python bench/read_load.py --database-url sqlite:////tmp/r.sqlite3 --keep   # then:
    .venv/bin/python bench/read_load.py --database-url sqlite:////tmp/r.sqlite3 --no-load

It loads the data (bench/load_signatures.py, then activities of 40 ambassador cities spread over
three years), loads the demo accounts, starts gunicorn, logs in as the demo coordinator and:

1. GETs the dashboard one request at a time with a rotating set of filters (no filter, a month,
   a year, a country, a country and a year, the last 30 days): p50 and p95;
2. for each public page and API answer, runs wrk (``--clients`` connections, one thread; or
   as many Python client processes with ``--client python``) for ``--duration`` seconds:
   requests per second and p95. The workers are gthread by default (keep-alive).

``--response-cache 0`` turns off the app's few seconds of caching of anonymous public answers
(manifesto/web/response_cache.py), to measure what each rendering costs.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    Database,
    Server,
    app_revision,
    ms,
    percentile,
    print_table,
    wait_for_quiet,
)

PASSWORD = "bench-password-2026"
WRK = shutil.which("wrk")
WRK_REPORT = Path(__file__).resolve().parent / "wrk" / "report.lua"
DASHBOARD_FILTERS = (
    "", "?start=2025-01-01&end=2025-12-31", "?country=FR", "?start=2026-03-01&end=2026-03-31",
    "?country=DE&start=2024-06-01&end=2025-05-31", "?start=2026-10-22&end=2026-11-20",
    "?start=2024-02-10&end=2026-07-19", "?country=PT",
)
READ_PATHS = (
    "/en/", "/fr/targets", "/de/signatories", "/en/badge.svg", "/api/v1/counts",
    "/api/v1/targets", "/api/v1/history", "/api/v1/signatories?per_page=50",
)


def _count(value: str) -> int:
    value = value.lower().replace("_", "")
    for suffix, factor in (("m", 1_000_000), ("k", 1_000)):
        if value.endswith(suffix):
            return int(float(value[:-1]) * factor)
    return int(value)


def load_activities(database: Database, count: int, seed: int = 7) -> None:
    """``count`` activities for 40 ambassador cities (bench- referral codes), three years."""
    import sqlalchemy as sa

    engine = database.engine()
    rng = random.Random(seed)
    countries = ["FR", "DE", "IT", "ES", "PT", "BE", "NL", "AT", "PL", "SE"]
    types = ["interview", "event", "workshop", "webinar", "mayor_meeting", "media",
             "newsletter", "other"]
    languages = ["en", "fr", "de", "it", "es", "pt", "ru"]
    started = time.perf_counter()
    with engine.begin() as conn:
        city_ids = []
        for i in range(40):
            city_ids.append(conn.execute(sa.text(
                "INSERT INTO ambassador_city (name, country, stage, languages, countries, "
                "referral_code, created_at) VALUES (:n, :c, 'ambassador', '[]', '[]', :r, "
                ":t) RETURNING id"),
                {"n": f"Bench City {i}", "c": countries[i % len(countries)],
                 "r": f"bench-city-{i}", "t": "2023-11-21 00:00:00"}).scalar_one())
    first = date(2023, 11, 21)
    with click.progressbar(range(0, count, 5000), label="Activities") as bar:
        for start in bar:
            rows = [{
                "city": rng.choice(city_ids), "d": first + timedelta(days=rng.randrange(1096)),
                "type": rng.choice(types), "title": f"Bench activity {start + i}",
                "lang": rng.choice(languages), "reach": rng.randrange(0, 2000),
                "mayors": rng.randrange(0, 6), "orgs": rng.randrange(0, 20),
                "code": f"bench-a{start + i}", "t": "2026-11-21 00:00:00",
            } for i in range(min(5000, count - start))]
            with engine.begin() as conn:
                conn.execute(sa.text(
                    "INSERT INTO outreach_activity (ambassador_city_id, date, type, title, "
                    "description, language, audience_reached, mayors_engaged, "
                    "organisations_engaged, referral_code, created_at) VALUES (:city, :d, :type, "
                    ":title, '', :lang, :reach, :mayors, :orgs, :code, :t)"), rows)
    engine.dispose()
    click.echo(f"Inserted {count:,} activities for 40 cities in "
               f"{time.perf_counter() - started:.1f} s")


def login(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/en/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    from urllib.parse import urlencode

    body = urlencode({"csrf_token": token, "email": "coordinator@manifesto.example",
                      "password": PASSWORD})
    conn.request("POST", "/en/login", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    if response.status not in (302, 303) or "/login" in (response.getheader("Location") or ""):
        raise click.ClickException(f"login answered {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def dashboard_latency(port: int, cookie: str, requests: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    for i in range(requests + len(DASHBOARD_FILTERS)):
        path = "/en/coordinate/dashboard" + DASHBOARD_FILTERS[i % len(DASHBOARD_FILTERS)]
        t0 = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise click.ClickException(f"GET {path} answered {response.status}")
        if i >= len(DASHBOARD_FILTERS):  # the first round warms the caches
            times.append(time.perf_counter() - t0)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times),
            "n": len(times), "bytes": len(body)}


def _client(port: int, path: str, until: float, queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, errors = [], 0
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            errors += 1
        times.append(time.perf_counter() - t0)
    queue.put((times, errors))


def throughput_wrk(port: int, path: str, connections: int, duration: float) -> dict:
    """wrk (C, one thread per core) as the load: it leaves the server nearly all the CPU."""
    result = subprocess.run(
        [WRK, "--threads", "1", "--connections", str(connections), "--duration",
         f"{duration:.0f}s", "--timeout", "10s", "--script", str(WRK_REPORT),
         f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WRK ")), None)
    if result.returncode or line is None:
        raise click.ClickException(f"wrk failed on {path}: {result.stderr.strip() or result.stdout}")
    data = json.loads(line[4:])
    return {"rps": data["requests"] / data["seconds"], "p95": data["p95"] / 1e6,
            "errors": data["errors"] + data["bad_status"]}


def throughput(port: int, path: str, clients: int, duration: float) -> dict:
    queue = multiprocessing.Queue()
    until = time.perf_counter() + duration
    procs = [multiprocessing.Process(target=_client, args=(port, path, until, queue))
             for _ in range(clients)]
    for p in procs:
        p.start()
    times, errors = [], 0
    for _ in procs:
        t, e = queue.get()
        times += t
        errors += e
    for p in procs:
        p.join()
    return {"rps": len(times) / duration, "p95": percentile(times, 95), "errors": errors}


@click.command()
@click.option("--database-url", default=None,
              help="sqlite (default) or postgresql://user@host:port/[db] (a throwaway database "
                   "without a name).")
@click.option("--signatures", default="1m", show_default=True)
@click.option("--activities", default="100k", show_default=True)
@click.option("--no-load", is_flag=True,
              help="Use the data already in --database-url (a database kept with --keep).")
@click.option("--workers", type=click.IntRange(1, 16), default=2, show_default=True)
@click.option("--worker-class", type=click.Choice(["sync", "gthread"]), default="gthread",
              show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Threads per gthread worker.")
@click.option("--client", type=click.Choice(["wrk", "python"]), default="wrk" if WRK else "python",
              show_default=True, help="The load: wrk (apt-get install wrk) or Python processes.")
@click.option("--clients", type=click.IntRange(1, 256), default=8, show_default=True,
              help="wrk connections, or Python client processes.")
@click.option("--duration", type=click.FloatRange(1, 600), default=10, show_default=True)
@click.option("--response-cache", type=click.IntRange(0, 3600), default=None,
              help="RESPONSE_CACHE_SECONDS for the server [default: the app's, 5].")
@click.option("--dashboard-requests", type=click.IntRange(8, 10_000), default=80,
              show_default=True)
@click.option("--quiet-wait", type=click.FloatRange(0, 3600), default=30, show_default=True)
@click.option("--keep", is_flag=True, help="Keep the database and the instance folder.")
def main(database_url, signatures, activities, no_load, workers, worker_class, threads, client,
         clients, duration, response_cache, dashboard_requests, quiet_wait, keep):
    """Dashboard latency and public read throughput with SIGNATURES and ACTIVITIES loaded."""
    if client == "wrk" and not WRK:
        raise click.UsageError("wrk is not installed (apt-get install wrk), or use --client python")
    extra_env = {} if response_cache is None else {"RESPONSE_CACHE_SECONDS": str(response_cache)}
    with Database(database_url, keep=keep or no_load, label="read") as database:
        database.upgrade()
        if not no_load:
            database.flask("demo", "--password", PASSWORD)
            database.load(_count(signatures))
            load_activities(database, _count(activities))
        with Server(database, workers=workers, worker_class=worker_class, threads=threads,
                    extra_env=extra_env) as server:
            cookie = login(server.port)
            wait_for_quiet(quiet_wait)
            dash = dashboard_latency(server.port, cookie, dashboard_requests)
            cache = response_cache if response_cache is not None else "app default"
            click.echo(f"\nApp {app_revision()}, {database.label}, {signatures} signatures, "
                       f"{activities} activities, gunicorn {server.label}, {client} with "
                       f"{clients} clients, response cache {cache}\n")
            print_table(["page", "p50", "p95", "max", "n", "bytes"],
                        [["dashboard (8 filter sets)", ms(dash["p50"]), ms(dash["p95"]),
                          ms(dash["max"]), dash["n"], dash["bytes"]]])
            rows = []
            measure = throughput_wrk if client == "wrk" else throughput
            with click.progressbar(READ_PATHS, label="Read paths",
                                   item_show_func=lambda p: p or "") as paths:
                for path in paths:
                    wait_for_quiet(quiet_wait)
                    result = measure(server.port, path, clients, duration)
                    rows.append([path, f"{result['rps']:.0f}", ms(result["p95"]),
                                 result["errors"]])
            click.echo("")
            print_table(["path", "req/s", "p95", "errors"], rows)


if __name__ == "__main__":
    main()
