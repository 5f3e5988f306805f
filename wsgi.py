"""Entry point for ``flask --app wsgi`` and for gunicorn (``gunicorn wsgi:app``)."""

import sys

from config import ConfigError
from manifesto import create_app

try:
    app = create_app()
except ConfigError as exc:
    sys.stderr.write(f"manifesto: {exc}\n")
    raise SystemExit(1) from None
