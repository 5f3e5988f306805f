"""Public pages' latency as the signatures table grows, on SQLite and on PostgreSQL.

    .venv/bin/python bench/page_speed.py                              # both databases, 0/100k/1M
    .venv/bin/python bench/page_speed.py --database-url sqlite --sizes 0,10000 --requests 50

For each database, for each size (ascending, loaded incrementally with load_signatures.py),
gunicorn is started on the data and each page is fetched ``--requests`` times one after the
other by one keep-alive client (after a warm-up): this measures a page's own latency, not
throughput.
"""

from __future__ import annotations

import http.client
import sys
import time
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DEFAULT_PG,
    Database,
    Server,
    app_revision,
    ms,
    percentile,
    print_table,
    wait_for_quiet,
)

PAGES = (
    "/en/",
    "/en/signatories",
    "/en/signatories?country=FR",
    "/en/signatories?kind=mayor&theme=mobility",
    "/en/signatories?q={q}",
    "/en/signatories?q={q_none}",
    "/en/signatories?page=200",
    "/en/manifesto",
)


def _sizes(value: str) -> list[int]:
    try:
        sizes = sorted({int(v.replace("_", "").lower().replace("k", "000").replace("m", "000000"))
                        for v in value.split(",") if v.strip()})
    except ValueError:
        raise click.BadParameter("sizes like 0,100k,1m") from None
    if not sizes or sizes[0] < 0:
        raise click.BadParameter("sizes like 0,100k,1m")
    return sizes


def measure(port: int, path: str, requests: int, warmup: int, max_seconds: float) -> dict:
    """Sequential GETs on one keep-alive connection; stops early (after at least 5 measured
    requests) once ``max_seconds`` have passed, so that a slow page does not take forever."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times, size = [], 0
    started = time.perf_counter()
    for i in range(warmup + requests):
        if len(times) >= 5 and time.perf_counter() - started > max_seconds:
            break
        t0 = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - t0
        if response.status != 200:
            raise click.ClickException(f"GET {path} answered {response.status}")
        if i >= warmup:
            times.append(elapsed)
        size = len(body)
    conn.close()
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times),
            "bytes": size, "n": len(times)}


@click.command()
@click.option("--database-url", "urls", multiple=True,
              help="sqlite, sqlite:///path or postgresql://user@host:port/[db]; repeat for "
                   f"several [default: sqlite and {DEFAULT_PG} (a throwaway database)].")
@click.option("--sizes", default="0,100k,1m", show_default=True,
              help="Signature counts to measure at, e.g. 0,100k,1m.")
@click.option("--requests", type=click.IntRange(5, 10_000), default=100, show_default=True,
              help="Measured requests per page and size.")
@click.option("--warmup", type=click.IntRange(0, 1000), default=10, show_default=True)
@click.option("--max-seconds", type=click.FloatRange(1, 3600), default=30, show_default=True,
              help="Per page and size: stop measuring after this long (at least 5 requests).")
@click.option("--workers", type=click.IntRange(1, 16), default=3, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Threads per worker; 1 means sync workers.")
@click.option("--q", "q", default="energ", show_default=True,
              help="Search term for the q= page (found in many names).")
@click.option("--q-none", default="xylophone", show_default=True,
              help="Search term found nowhere: the whole list is scanned.")
@click.option("--quiet-wait", type=click.FloatRange(0, 3600), default=60, show_default=True,
              help="Before each size, wait up to this long for the machine to be idle.")
@click.option("--keep", is_flag=True, help="Keep the databases and instance folders.")
def main(urls, sizes, requests, warmup, max_seconds, workers, threads, q, q_none, quiet_wait,
         keep):
    """Latency (p50/p95) of the public pages at growing numbers of signatures."""
    sizes = _sizes(sizes)
    urls = urls or ("sqlite", DEFAULT_PG)
    pages = [p.format(q=q, q_none=q_none) for p in PAGES]
    rows = []
    for url in urls:
        with Database(url, keep=keep, label="pages") as database:
            click.echo(f"== {database.label}")
            database.upgrade()
            loaded = 0
            for size in sizes:
                t0 = time.perf_counter()
                database.load(size - loaded, "--seed", str(size))
                load_s = time.perf_counter() - t0
                loaded = size
                wait_for_quiet(quiet_wait)
                with Server(database, workers=workers, threads=threads,
                            worker_class="gthread" if threads > 1 else "sync",
                            extra_env={"OUTBOX_DELIVER_AFTER_REQUEST": "0"}) as server:
                    for path in pages:
                        r = measure(server.port, path, requests, warmup, max_seconds)
                        rows.append([database.label.split(" ")[0], f"{size:,}", path, ms(r["p50"]),
                                     ms(r["p95"]), ms(r["max"]), r["n"],
                                     f"{r['bytes'] // 1024} KiB"])
                        click.echo(f"   {size:>9,}  {path:<45} p50 {ms(r['p50']):>7} ms  "
                                   f"p95 {ms(r['p95']):>7} ms")
                click.echo(f"   (loading to {size:,} took {load_s:.0f} s)")
    click.echo()
    click.echo(f"Public pages, {requests} sequential requests each after {warmup} warm-up, "
               f"gunicorn {workers}w x {threads}t, app {app_revision()} (latency in ms)")
    print_table(["database", "signatures", "page", "p50", "p95", "max", "n", "size"], rows)


if __name__ == "__main__":
    main()
