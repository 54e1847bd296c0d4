#!/usr/bin/env bash
# Before `make test`: MariaDB and Redis must answer, or the integration tests fail (make test
# runs them with MESSENGER_REQUIRE_SERVICES=1, so a missing service is never a silent skip).
#
# Both reachable: nothing to do. Otherwise, where this user may (root, or sudo without a
# password), start them the way CI does (scripts/services.sh: installs and starts both);
# where not, or if that fails, exit 1 with ONE line saying what is missing and the command
# that installs it.
#
# Where the services are looked for (the URLs the tests use):
#   MESSENGER_TEST_DATABASE_URL  default mysql+aiomysql://root@127.0.0.1:3306
#   MESSENGER_TEST_REDIS_URL     default redis://127.0.0.1:6379/0
# Testing knobs (normally unset):
#   SERVICES_AUTOSTART=0         never try to start anything
#   SERVICES_SCRIPT              the script that starts them (default scripts/services.sh)
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVICES_SCRIPT="${SERVICES_SCRIPT:-$HERE/services.sh}"
INSTALL_HINT="sudo bash scripts/services.sh"
LOG="${TMPDIR:-/tmp}/messenger-services.$(id -u).log"

# host:port of a URL such as mysql+aiomysql://user:pw@host:3306/db (default port given).
host_port() {
    local rest="${1#*://}"
    rest="${rest%%/*}"
    rest="${rest##*@}"
    local host="${rest%%:*}" port="$2"
    [[ "$rest" == *:* ]] && port="${rest##*:}"
    printf '%s:%s' "${host:-127.0.0.1}" "$port"
}

DB_AT="$(host_port "${MESSENGER_TEST_DATABASE_URL:-mysql+aiomysql://root@127.0.0.1:3306}" 3306)"
REDIS_AT="$(host_port "${MESSENGER_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}" 6379)"

reachable() {  # usage: reachable host:port -> true if a TCP connection opens within 3 s
    timeout 3 bash -c "exec 3<>/dev/tcp/${1%%:*}/${1##*:}" >/dev/null 2>&1
}

missing() {
    local gone=()
    reachable "$DB_AT" || gone+=("MariaDB ($DB_AT)")
    reachable "$REDIS_AT" || gone+=("Redis ($REDIS_AT)")
    local IFS=,
    printf '%s' "${gone[*]-}" | sed 's/,/ and /'
}

fail() {  # usage: fail <what is missing> <why it was not started>: the one line
    local verb=is
    [[ "$1" == *" and "* ]] && verb=are
    printf 'make test: %s %s not reachable (%s); install and start MariaDB and Redis with: %s (or run the unit tests alone: make test-unit)\n' \
        "$1" "$verb" "$2" "$INSTALL_HINT" >&2
    exit 1
}

gone="$(missing)"
[[ -z "$gone" ]] && exit 0

local_only=1
for at in "$DB_AT" "$REDIS_AT"; do
    case "${at%%:*}" in 127.0.0.1 | localhost | ::1) ;; *) local_only=0 ;; esac
done

if [[ "${SERVICES_AUTOSTART:-1}" == 0 ]]; then
    fail "$gone" "starting services is switched off: SERVICES_AUTOSTART=0"
fi
if [[ "$local_only" -eq 0 ]]; then
    fail "$gone" "not on this machine, so not started here"
fi
if [[ "$(id -u)" -ne 0 ]] && ! sudo -n true >/dev/null 2>&1; then
    fail "$gone" "starting services needs root or passwordless sudo"
fi

echo "[services] $gone not reachable: starting services with $SERVICES_SCRIPT (log: $LOG)"
if ! MARIADB_PORT="${DB_AT##*:}" REDIS_PORT="${REDIS_AT##*:}" \
        bash "$SERVICES_SCRIPT" </dev/null >"$LOG" 2>&1; then
    fail "$gone" "$(basename "$SERVICES_SCRIPT") failed, see $LOG"
fi
gone="$(missing)"
[[ -n "$gone" ]] && fail "$gone" "still down after $(basename "$SERVICES_SCRIPT"), see $LOG"
echo "[services] MariaDB and Redis are up"
