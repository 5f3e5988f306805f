"""Settings for the three ways the app runs, all read from the environment.

``create_app()`` picks the class named by ``MANIFESTO_CONFIG`` (``development`` by default,
``testing`` or ``production``). Each class is instantiated with the app's instance folder so
that defaults that live there (the SQLite file, the development secret key) resolve to real
paths without the module touching the disk at import time.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path
from urllib.parse import urlsplit

LANGUAGES = ("en", "fr", "de", "it", "pt", "ru", "es")


# Webmail providers shared by many unrelated people: no per-domain limit for them.
PUBLIC_MAIL_DOMAINS = frozenset(
    """gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com icloud.com
    me.com aol.com proton.me protonmail.com gmx.de gmx.net gmx.com web.de t-online.de
    orange.fr wanadoo.fr free.fr laposte.net sfr.fr libero.it virgilio.it tiscali.it
    sapo.pt yandex.ru mail.ru rambler.ru terra.es telefonica.net""".split()
)


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message is one line meant for the operator."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    return number


def parse_site_url(value: str) -> str:
    """``SITE_URL`` as ``scheme://host[:port]``, lower-case, without a trailing slash."""
    problem = ConfigError(
        "SITE_URL must be a scheme, a host and an optional port, such as "
        f"https://manifesto.example.org, not {value!r}"
    )
    parts = urlsplit(value.strip())
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
    except ValueError:
        raise problem from None
    if (parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username is not None):
        raise problem
    return f"{parts.scheme}://{parts.netloc.lower()}"


def site_settings(site_url: str, extra_hosts: tuple[str, ...] = ()) -> dict:
    """What follows from ``SITE_URL``: the hosts a request may name (any other gets a 400,
    Flask's ``TRUSTED_HOSTS``) and the scheme of the links the app writes."""
    url = parse_site_url(site_url)
    parts = urlsplit(url)
    hosts = [parts.hostname]
    hosts += [h for h in extra_hosts if h not in hosts]
    return {"SITE_URL": url, "TRUSTED_HOSTS": hosts, "PREFERRED_URL_SCHEME": parts.scheme}


def normalise_database_url(url: str) -> str:
    """Let operators write the usual ``postgres://`` URL and still get psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    LANGUAGES = LANGUAGES
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = 5000
    # Anonymous public answers (pages, badge, API) kept in each worker's memory for at most
    # this many seconds (0: off); see manifesto/web/response_cache.py.
    RESPONSE_CACHE_SECONDS = 5
    # Memory-mapped reads of the SQLite file, up to this many bytes (0: off). Random reads
    # (a dashboard's lookups) take half the time.
    SQLITE_MMAP_SIZE = 1 << 30

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=2)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session: no "expired" on a long read

    # argon2id cost; argon2-cffi's defaults (t=3, m=64 MiB, p=4) are above OWASP's minimum.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4

    def __init__(self, instance_path: str | os.PathLike[str]):
        self.INSTANCE_PATH = Path(instance_path)
        url = os.environ.get("DATABASE_URL", "").strip()
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(url) if url else self.default_database_url()
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or self.default_secret_key()
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", self.secure_cookies_by_default())
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        if self.SESSION_COOKIE_SECURE:
            # Browsers accept a __Host- cookie only if it is Secure, for "/" and without a
            # Domain: no subdomain or plain-HTTP page can set or overwrite it.
            self.SESSION_COOKIE_NAME = "__Host-session"
            self.REMEMBER_COOKIE_NAME = "__Host-remember_token"
        # Strict-Transport-Security on every response (0: not sent); production serves HTTPS.
        self.HSTS_SECONDS = _int("HSTS_SECONDS", self.default_hsts_seconds(), minimum=0)
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 120))
        self.SITE_NAME = os.environ.get("SITE_NAME", "Inclusive Smart Cities Manifesto")
        self.CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "contact@inclusive-smart-cities.example")
        # The one source of every absolute URL the app writes (e-mails, API links, hreflang,
        # badge snippets); requests naming another host are refused (400). TRUSTED_HOSTS adds
        # other names the site answers to (comma-separated, e.g. www.manifesto.example.org).
        extra_hosts = tuple(
            h.strip().lower() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()
        )
        self.EXTRA_TRUSTED_HOSTS = extra_hosts + self.default_trusted_hosts()
        for name, value in site_settings(
            os.environ.get("SITE_URL", "").strip() or self.default_site_url(),
            self.EXTRA_TRUSTED_HOSTS,
        ).items():
            setattr(self, name, value)
        # Behind a reverse proxy: how many proxies to trust for X-Forwarded-For and
        # X-Forwarded-Proto (0 = none). X-Forwarded-Host is never trusted unless
        # PROXY_FIX_FORWARDED_HOST says so (and even then only a trusted host passes).
        self.PROXY_FIX_HOPS = _int("PROXY_FIX_HOPS", 0)
        self.PROXY_FIX_FORWARDED_HOST = _bool("PROXY_FIX_FORWARDED_HOST")
        # Abuse signals: they flag a signature for a coordinator, they never refuse it.
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.SIGN_RATE_LIMIT_PER_IP = os.environ.get("SIGN_RATE_LIMIT_PER_IP", "10 per hour")
        self.SIGN_RATE_LIMIT_PER_DOMAIN = os.environ.get(
            "SIGN_RATE_LIMIT_PER_DOMAIN", "20 per hour"
        )
        self.RESEND_RATE_LIMIT_PER_IP = os.environ.get("RESEND_RATE_LIMIT_PER_IP", "10 per hour")
        # E-mails from signing (confirmation, new link, "already signed") to one address in 24
        # hours, whatever the organisation; beyond it a new signature is held for review, unsent.
        self.SIGN_EMAILS_PER_ADDRESS_PER_DAY = _int("SIGN_EMAILS_PER_ADDRESS_PER_DAY", 5, minimum=1)
        # Login attempts, counted in the database before the password is checked (a success
        # takes its attempt back); beyond one of these, logging in is refused for a while (429),
        # right password or not. Per account and client address: a storm from one address
        # cannot lock the owner out from another; per account, from every address together;
        # per client address, whatever the account.
        self.LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_IP = os.environ.get(
            "LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_IP", "5 per 15 minutes"
        )
        self.LOGIN_RATE_LIMIT_PER_ACCOUNT = os.environ.get(
            "LOGIN_RATE_LIMIT_PER_ACCOUNT", "50 per 15 minutes"
        )
        self.LOGIN_RATE_LIMIT_PER_IP = os.environ.get("LOGIN_RATE_LIMIT_PER_IP", "30 per 15 minutes")
        # Password-reset e-mails (counted in the database, first); beyond these the request
        # quietly sends nothing.
        self.RESET_RATE_LIMIT_PER_IP = os.environ.get("RESET_RATE_LIMIT_PER_IP", "10 per hour")
        self.RESET_RATE_LIMIT_PER_ADDRESS = os.environ.get(
            "RESET_RATE_LIMIT_PER_ADDRESS", "3 per hour"
        )
        # "Lost your link?" e-mails (counted in the database, first); beyond these the request
        # quietly sends nothing.
        self.LOST_LINK_RATE_LIMIT_PER_IP = os.environ.get("LOST_LINK_RATE_LIMIT_PER_IP",
                                                          "10 per hour")
        self.LOST_LINK_RATE_LIMIT_PER_ADDRESS = os.environ.get(
            "LOST_LINK_RATE_LIMIT_PER_ADDRESS", "3 per hour"
        )
        self.SIGN_MIN_SECONDS = _int("SIGN_MIN_SECONDS", 5)
        self.RESPONSE_CACHE_SECONDS = _int("RESPONSE_CACHE_SECONDS", self.RESPONSE_CACHE_SECONDS, minimum=0)
        # Requests with a larger body are refused with 413 before anything reads them (the
        # largest legitimate one, a CSV import of outreach activities, stays far below).
        self.MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024, minimum=1024)
        self.MAX_FORM_MEMORY_SIZE = self.MAX_CONTENT_LENGTH
        # Privacy: the key of the hashes kept instead of addresses (derived from SECRET_KEY if
        # unset), and how long each kind of data is kept (``flask --app wsgi privacy purge``).
        self.IP_HASH_KEY = os.environ.get("IP_HASH_KEY") or None
        self.IP_HASH_RETENTION_DAYS = _int("IP_HASH_RETENTION_DAYS", 30, minimum=1)
        self.RETENTION_UNCONFIRMED_DAYS = _int("RETENTION_UNCONFIRMED_DAYS", 30, minimum=1)
        self.RETENTION_CLOSED_DAYS = _int("RETENTION_CLOSED_DAYS", 30, minimum=1)
        self.RETENTION_EMAIL_DAYS = _int("RETENTION_EMAIL_DAYS", 30, minimum=1)
        self.RETENTION_DEACTIVATED_ACCOUNT_DAYS = _int(
            "RETENTION_DEACTIVATED_ACCOUNT_DAYS", 365, minimum=1
        )
        exempt = os.environ.get("SIGN_RATE_LIMIT_EXEMPT_DOMAINS")
        self.SIGN_RATE_LIMIT_EXEMPT_DOMAINS = (
            frozenset(d.strip().lower() for d in exempt.split(",") if d.strip())
            if exempt is not None
            else PUBLIC_MAIL_DOMAINS
        )
        self.read_mail_settings()

    def read_mail_settings(self) -> None:
        """SMTP for the outbox; without a server, mail is written to ``instance/mail``."""
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "").strip() or self.default_mail_server()
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS")  # STARTTLS, usually on port 587
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL")  # implicit TLS, usually on port 465
        if self.MAIL_USE_TLS and self.MAIL_USE_SSL:
            raise ConfigError("set MAIL_USE_TLS (STARTTLS) or MAIL_USE_SSL (implicit TLS), not both")
        default_port = 465 if self.MAIL_USE_SSL else 587 if self.MAIL_USE_TLS else 25
        self.MAIL_PORT = _int("MAIL_PORT", default_port, minimum=1)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None  # never print or log it
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or self.default_sender()
        self.MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 30, minimum=1)
        self.OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
        self.OUTBOX_RETRY_SECONDS = _int("OUTBOX_RETRY_SECONDS", 30, minimum=1)  # doubles each try
        # A worker holds a claimed message this long; another may take it after (a crash).
        self.OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300, minimum=1)
        # Message-IDs the SMTP server accepted, written before the database is told: a worker
        # killed in between does not make the next one send the message twice ("" turns it off).
        self.OUTBOX_SENT_JOURNAL = os.environ.get(
            "OUTBOX_SENT_JOURNAL", str(self.INSTANCE_PATH / "outbox-sent.journal"))
        self.OUTBOX_DELIVER_AFTER_REQUEST = _bool(
            "OUTBOX_DELIVER_AFTER_REQUEST", self.deliver_after_request_by_default()
        )

    def default_mail_server(self) -> str | None:
        return None

    def default_sender(self) -> str:
        domain = self.CONTACT_EMAIL.rpartition("@")[2] or "manifesto.invalid"
        return str(Address(self.SITE_NAME, "no-reply", domain))

    def deliver_after_request_by_default(self) -> bool:
        """Send the outbox right after the response that filled it, with no worker running."""
        return False

    def default_hsts_seconds(self) -> int:
        return 0

    def default_database_url(self) -> str:
        return "sqlite:///" + str(self.INSTANCE_PATH / "manifesto.sqlite3")

    def default_secret_key(self) -> str:
        """Development keeps one random key in the instance folder, made on first start."""
        path = self.INSTANCE_PATH / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.INSTANCE_PATH.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        # Owner-only: the key signs sessions and CSRF tokens.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key

    def secure_cookies_by_default(self) -> bool:
        return False

    def default_site_url(self) -> str:
        return "http://127.0.0.1:5000"  # where ./scripts/run serves by default

    def default_trusted_hosts(self) -> tuple[str, ...]:
        return ("localhost", "127.0.0.1")  # the same machine, by either name


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = False  # the Werkzeug debugger stays opt-in: FLASK_DEBUG=1

    def deliver_after_request_by_default(self) -> bool:
        return self.MAIL_SERVER is None  # .eml files and the link in the console, no worker


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    WTF_CSRF_ENABLED = False
    RESPONSE_CACHE_SECONDS = 0  # tests read their own writes at once; test_response_cache.py
    # Cheap but still argon2id: the suite hashes many passwords.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1

    def default_database_url(self) -> str:
        return "sqlite://"

    def default_secret_key(self) -> str:
        return "testing-secret-key-not-for-production"

    def default_site_url(self) -> str:
        return "http://localhost"  # the test client's host


class ProductionConfig(Config):
    ENV_NAME = "production"

    def default_database_url(self) -> str:
        return super().default_database_url()

    def default_secret_key(self) -> str:
        raise ConfigError(
            "SECRET_KEY is not set: production refuses to start without it "
            "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
        )

    def default_mail_server(self) -> str | None:
        raise ConfigError(
            "MAIL_SERVER is not set: production refuses to start without it "
            "(signatures could never be confirmed)"
        )

    def secure_cookies_by_default(self) -> bool:
        return True

    def default_site_url(self) -> str:
        raise ConfigError(
            "SITE_URL is not set: production refuses to start without it "
            "(the site's address, such as https://manifesto.example.org: every link the app "
            "writes starts with it, and requests for any other host are refused)"
        )

    def default_trusted_hosts(self) -> tuple[str, ...]:
        return ()

    def default_hsts_seconds(self) -> int:
        return 365 * 24 * 3600


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class_from_env() -> type[Config]:
    name = os.environ.get("MANIFESTO_CONFIG", "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"MANIFESTO_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}"
        ) from None
