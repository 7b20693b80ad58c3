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
