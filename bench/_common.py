"""Shared by the bench scripts: a throwaway database, a gunicorn server, CPU clocks, percentiles.

Nothing here imports the app: the scripts drive it from the outside, as a deployment would,
through ``flask --app wsgi`` and ``gunicorn wsgi:app`` run from the venv.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
FLASK = str(VENV_BIN / "flask")
GUNICORN = str(VENV_BIN / "gunicorn")
CLK_TCK = os.sysconf("SC_CLK_TCK")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/"


# --- numbers ----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of ``values`` (need not be sorted); 0 for an empty list."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        click.echo("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def app_revision() -> str:
    """The app's commit, with ``+dirty`` when app files differ from it: figures go with code."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "manifesto", "templates", "config.py",
             "wsgi.py", "migrations"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


# --- CPU clocks from /proc ----------------------------------------------------------------------


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(p) for p in text)
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    return (total - idle) / CLK_TCK, total / CLK_TCK


def wait_for_quiet(max_wait: float, threshold: float = 0.3, window: float = 3.0) -> float:
    """Wait (up to ``max_wait`` s) until the machine used under ``threshold`` cores for
    ``window`` seconds, so that other people's jobs disturb a measurement less.
    Returns the busy cores of the last window."""
    deadline = time.monotonic() + max_wait
    while True:
        b0, _ = machine_cpu()
        time.sleep(window)
        b1, _ = machine_cpu()
        busy = (b1 - b0) / window
        if busy < threshold or time.monotonic() >= deadline:
            return busy


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes on this machine (read-only: for CPU accounting)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class CpuMeter:
    """CPU seconds used between ``start()`` and ``stop()`` by: the server's workers, the
    PostgreSQL processes, this process (the load generator), and the whole machine."""

    def __init__(self, server: Server | None, extra_pids: list[int] | None = None):
        self.server = server
        self.extra_pids = extra_pids or []

    def _sample(self) -> dict[str, float]:
        server_pids = self.server.all_pids() if self.server else []
        busy, total = machine_cpu()
        return {
            "server": sum(process_cpu(p) for p in server_pids),
            "postgres": sum(process_cpu(p) for p in postgres_pids()),
            "loadgen": sum(process_cpu(p) for p in [os.getpid(), *self.extra_pids]),
            "busy": busy,
            "total": total,
            "wall": time.monotonic(),
        }

    def start(self) -> None:
        self.before = self._sample()

    def stop(self) -> dict[str, float]:
        after = self._sample()
        d = {k: after[k] - self.before[k] for k in after}
        wall = d["wall"] or 1e-9
        return {
            "wall": wall,
            "server_cores": d["server"] / wall,
            "postgres_cores": d["postgres"] / wall,
            "loadgen_cores": d["loadgen"] / wall,
            "machine_busy_pct": 100 * d["busy"] / (d["total"] or 1e-9),
            "machine_busy_cores": d["busy"] / wall,
        }


# --- the database ---------------------------------------------------------------------------------


def _pg_connect_url(url: str) -> str:
    """psycopg wants postgresql://, without SQLAlchemy's +driver."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix):]
    return url


def _pg_execute(admin_url: str, statement: str, *params) -> list:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        cur = conn.execute(statement, params or None)
        return cur.fetchall() if cur.description else []


class Database:
    """Where a bench run writes: SQLite in a temporary instance folder, or PostgreSQL.

    ``url`` ``None``/``"sqlite"``: the app's default SQLite file in a new temporary instance
    folder. ``sqlite:///path``: that file. ``postgresql://user@host:port/`` (no database name):
    a throwaway database is created and dropped afterwards. ``postgresql://…/name``: that
    database, created (and dropped afterwards) if it does not exist yet, else used and kept.
    """

    def __init__(self, url: str | None, keep: bool = False, label: str = "bench"):
        self.keep = keep
        self.created_pg = None
        self.admin_url = None
        self.url = None
        url = (url or "").strip()
        if url in ("", "sqlite"):
            self.kind = "sqlite"  # the app's default: <instance>/manifesto.sqlite3
        elif url.startswith("sqlite"):
            self.kind = "sqlite"
            self.url = self.sqlalchemy_url = url
        elif url.startswith(("postgres://", "postgresql")):
            self.kind = "postgresql"
            plain = _pg_connect_url(url)
            if "/" not in plain.split("://", 1)[1]:
                plain += "/"
            base, _, name = plain.rpartition("/")
            if "?" in name:
                raise click.UsageError("write the PostgreSQL URL as postgresql://user@host:port/[dbname]")
            self.admin_url = base + "/postgres"
            if not name:
                name = f"manifesto_{label}_{os.getpid()}_{secrets.token_hex(3)}"
            self.name = name
            self.url = f"{base}/{name}"
            self.sqlalchemy_url = "postgresql+psycopg://" + self.url.split("://", 1)[1]
        else:
            raise click.UsageError(f"unsupported database URL: {url}")
        self.instance = Path(tempfile.mkdtemp(prefix=f"manifesto-{label}-"))
        if self.kind == "sqlite" and self.url is None:
            self.sqlalchemy_url = "sqlite:///" + str(self.instance / "manifesto.sqlite3")

    def __enter__(self) -> Database:
        if self.kind == "postgresql":
            try:
                exists = _pg_execute(
                    self.admin_url, "SELECT 1 FROM pg_database WHERE datname = %s", self.name
                )
                if not exists:
                    _pg_execute(self.admin_url, f'CREATE DATABASE "{self.name}"')
                    self.created_pg = self.name
            except Exception as exc:  # psycopg.OperationalError and friends
                shutil.rmtree(self.instance, ignore_errors=True)
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise click.ClickException(f"cannot reach PostgreSQL at {self.admin_url}: {reason}")
        return self

    def __exit__(self, *exc) -> None:
        if self.created_pg and not self.keep:
            try:
                _pg_execute(self.admin_url, f'DROP DATABASE IF EXISTS "{self.created_pg}" WITH (FORCE)')
            except Exception as exc:
                click.echo(f"warning: could not drop {self.created_pg}: {exc}", err=True)
        if not self.keep:
            shutil.rmtree(self.instance, ignore_errors=True)

    @property
    def label(self) -> str:
        if self.kind == "sqlite":
            return "SQLite"
        return f"PostgreSQL ({self.name})"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env.update(
            MANIFESTO_CONFIG="development",
            MANIFESTO_INSTANCE_PATH=str(self.instance),
            SECRET_KEY=env.get("BENCH_SECRET_KEY") or "bench-" + secrets.token_hex(16),
        )
        if self.url:
            env["DATABASE_URL"] = self.url
        env.update(extra)
        return env

    def flask(self, *args: str, check: bool = True, quiet: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [FLASK, "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=quiet,
            text=True,
        )
        if check and result.returncode:
            detail = (result.stderr or result.stdout or "").strip().splitlines()
            raise click.ClickException(
                f"flask {' '.join(args)} failed: {detail[-1] if detail else result.returncode}"
            )
        return result

    def upgrade(self) -> None:
        self.flask("db", "upgrade")

    def load(self, count: int, *extra: str) -> None:
        """Append ``count`` synthetic signatures with bench/load_signatures.py (output shown).

        With 0 it still publishes the shipped manifesto text, which the sign form needs."""
        result = subprocess.run(
            [PYTHON, str(BENCH / "load_signatures.py"), "--count", str(count), *extra],
            cwd=ROOT,
            env=self.env(),
        )
        if result.returncode:
            raise click.ClickException(f"load_signatures.py exited with {result.returncode}")

    def engine(self):
        import sqlalchemy as sa

        return sa.create_engine(self.sqlalchemy_url)


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving ``wsgi:app`` on 127.0.0.1, started and stopped by the bench."""

    def __init__(
        self,
        database: Database,
        workers: int = 2,
        threads: int = 1,
        worker_class: str = "sync",
        extra_env: dict[str, str] | None = None,
        extra_args: list[str] | None = None,
    ):
        self.database = database
        self.workers = workers
        self.threads = threads
        self.worker_class = worker_class
        self.extra_env = extra_env or {}
        self.extra_args = extra_args or []
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = database.instance / f"gunicorn-{self.port}.log"

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"{self.workers}w x {self.threads}t gthread"
        return f"{self.workers}w {self.worker_class}"

    def __enter__(self) -> Server:
        args = [
            GUNICORN,
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers),
            "--worker-class", self.worker_class,
            "--threads", str(self.threads),
            "--backlog", "2048",
            "--timeout", "60",
            "--graceful-timeout", "10",
            "--log-level", "warning",
            *self.extra_args,
            "wsgi:app",
        ]
        env = self.database.env(**self.extra_env)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise click.ClickException(
                    f"gunicorn exited with {self.proc.returncode}; see {self.log_path}:\n"
                    + self.log_path.read_text()[-2000:]
                )
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200 and len(children(self.proc.pid)) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise click.ClickException(f"gunicorn did not answer /healthz within {timeout:.0f} s")

    def all_pids(self) -> list[int]:
        if not self.proc:
            return []
        return [self.proc.pid, *children(self.proc.pid)]

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def get(conn: http.client.HTTPConnection, path: str, headers: dict | None = None) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()
