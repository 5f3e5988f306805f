# Sourced by scripts/run, scripts/test and scripts/lock: puts uv (the version pinned below) in
# .tools/ and gives "sync", which makes .venv hold exactly what uv.lock says, never newer.
# Only Python 3.11+ with venv is needed; uv itself comes from PyPI, and uses this machine's
# Python (it never downloads one).
UV_VERSION=0.13.9
python=${PYTHON:-python3}
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=.venv
if [ "$(.tools/bin/uv --version 2>/dev/null)" != "uv $UV_VERSION" ]; then
  "$python" -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
uv() { .tools/bin/uv "$@"; }
# sync [uv sync options]: install from the lock file; --locked fails if pyproject.toml and
# uv.lock disagree instead of quietly resolving anew.
sync() { uv sync --quiet --locked --python "$python" "$@"; }
