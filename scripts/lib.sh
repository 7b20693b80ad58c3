# Shared by scripts/start and scripts/test. Sourced, not run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Python 3.11 or newer, as Debian 12 and RHEL 9 ship it.
find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  die "Python 3.11 以上が見つかりません (python3.11 を入れてください)"
}

# The virtual environment, (re)built whenever pyproject.toml or constraints.txt change.
ensure_venv() {
  local stamp="$VENV/.installed" want
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  say "Python 環境を準備しています (.venv)"
  # python-ldap (directory sign-in) is built against Debian's LDAP and SASL headers.
  ensure_debian_packages "libldap2-dev:/usr/include/ldap.h" "libsasl2-dev:/usr/include/sasl/sasl.h" \
    "gcc:/usr/bin/gcc" "python3-dev:/usr/include/python3.11/Python.h"
  [ -x "$PY" ] || "$(find_python)" -m venv "$VENV"
  local log="$VENV/pip-install.log"
  if ! { "$PY" -m pip install --disable-pip-version-check --upgrade pip &&
         "$PY" -m pip install --disable-pip-version-check -c "$ROOT/constraints.txt" -e "$ROOT[dev]"; } \
       >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "Python パッケージを入れられませんでした (詳細: $log)"
  fi
  echo "$want" > "$stamp"
}

# Debian packages the tests need; installed when missing if we are root.
ensure_debian_packages() {
  local missing=()
  for spec in "$@"; do
    local pkg="${spec%%:*}" probe="${spec#*:}"
    [ -e "$probe" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" != 0 ]; then
    die "次の Debian パッケージが必要です: ${missing[*]} (root で 'apt-get install ${missing[*]}' を実行してください)"
  fi
  say "Debian パッケージを入れています: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# PostgreSQL refuses to run as root: run it as the 'postgres' user Debian's package creates.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A private PostgreSQL server in $1 (a new folder), on a Unix socket there; exports
# DATABASE_URL and PG_BIN. stop_postgres "$1" ends it.
start_postgres() {
  local work="$1"
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || die "PostgreSQL サーバが見つかりません (Debian の postgresql パッケージ)"
  mkdir -p "$work/pg" "$work/pgsock"
  if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$work"; chmod 755 "$work"; fi
  as_pg "$PG_BIN/initdb" -D "$work/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-k $work/pgsock -p 54329 -c listen_addresses='' -c fsync=off" start >/dev/null
  export DATABASE_URL="postgres://postgres@/madoguchi?host=$work/pgsock&port=54329"
}

stop_postgres() {
  local work="$1"
  if [ -f "$work/pg/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
}
