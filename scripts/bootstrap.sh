# Sourced by scripts/demo and scripts/test: makes a fresh machine ready to run ticketcore.
# Creates .venv, installs the pinned packages (constraints.txt) and ticketcore itself, and
# installs the Debian packages that are missing. Re-running is cheap: it skips what is done.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"

apt_install() {
  # Debian packages, only when missing; CI and these machines run as root (no sudo).
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  apt_install python3 python3-venv
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "bootstrap: ticketcore needs Python 3.11 or newer; $($PYTHON --version) found" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  apt_install python3-venv
fi

stamp_wanted="$(cat constraints.txt pyproject.toml examples/webhook_plugin/pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.bootstrap-stamp 2>/dev/null)" != "$stamp_wanted" ]; then
  echo "bootstrap: preparing .venv (pinned by constraints.txt)" >&2
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  # mysqlclient (Django's MySQL/MariaDB driver, used by the tests) compiles against these.
  apt_install libmariadb-dev pkg-config
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev]" \
    -e examples/webhook_plugin 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" || true
  .venv/bin/python -c "import ticketcore, ticketcore_webhook, flask, django, psycopg, pymysql, MySQLdb, pytest" \
    || { echo "bootstrap: installing Python packages failed" >&2; exit 1; }
  echo "$stamp_wanted" > .venv/.bootstrap-stamp
fi
export PATH="$ROOT/.venv/bin:$PATH"
