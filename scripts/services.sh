#!/usr/bin/env bash
# Make the local test services available (idempotent). Used by CI (.ci/run)
# and by developers via `make services`.
#
#   scripts/services.sh            MariaDB + Redis
#   scripts/services.sh chromium   ... plus Chromium (also: NEED_CHROMIUM=1)
#
# Result:
#   MariaDB  mysql+aiomysql://root@127.0.0.1:3306   (TCP, root, EMPTY password)
#   Redis    redis://127.0.0.1:6379/0
#
# Testing knobs (normally unset):
#   MARIADB_DEFAULTS_FILE  run everything against another MariaDB instance
#                          described by this option file (datadir/socket/...)
#   MARIADB_PORT           TCP port to verify (default 3306)
#   REDIS_PORT             default 6379
set -euo pipefail

MARIADBD=/usr/sbin/mariadbd
MARIADB_PORT="${MARIADB_PORT:-3306}"
MARIADB_DEFAULTS_FILE="${MARIADB_DEFAULTS_FILE:-}"
REDIS_PORT="${REDIS_PORT:-6379}"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-60}"

log()  { printf '[services] %s\n' "$*"; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }
die()  { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# Privileged commands: run directly as root, otherwise through sudo.
if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    SUDO=()
    warn "not root and no sudo: installing/starting services may fail"
fi
priv() { "${SUDO[@]+"${SUDO[@]}"}" "$@"; }

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not available; install $* manually"
    if [[ "$APT_UPDATED" -eq 0 ]]; then
        log "apt-get update"
        priv env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install $*"
    priv env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" </dev/null
}

# ----------------------------------------------------------------------------
# MariaDB
# ----------------------------------------------------------------------------
# --defaults-file must be the first option of every MariaDB program.
MDB_OPTS=()
if [[ -n "$MARIADB_DEFAULTS_FILE" ]]; then
    MDB_OPTS=("--defaults-file=$MARIADB_DEFAULTS_FILE")
fi

# Effective server setting (after reading option files), e.g. `mysqld_var datadir`.
mysqld_var() {
    "$MARIADBD" "${MDB_OPTS[@]+"${MDB_OPTS[@]}"}" --verbose --help 2>/dev/null \
        | awk -v k="$1" '$1 == k { print $2; exit }'
}

mariadb_ping() {
    # Exit status 0 whenever the server answers (even with "access denied").
    mariadb-admin "${MDB_OPTS[@]+"${MDB_OPTS[@]}"}" --connect-timeout=2 ping >/dev/null 2>&1
}

mariadb_tcp_ok() {
    mariadb "${MDB_OPTS[@]+"${MDB_OPTS[@]}"}" --protocol=TCP --connect-timeout=5 \
        -h 127.0.0.1 -P "$MARIADB_PORT" -u root --password= -e 'select 1' >/dev/null 2>&1
}

ensure_mariadb_installed() {
    if [[ -x "$MARIADBD" ]] && command -v mariadb >/dev/null 2>&1 \
            && command -v mariadb-admin >/dev/null 2>&1; then
        return 0
    fi
    log "MariaDB not installed"
    if ! apt_install --no-install-recommends mariadb-server; then
        # In containers the package's attempt to start the service can fail;
        # we start the server ourselves below, so only the binaries matter.
        [[ -x "$MARIADBD" ]] || die "installing mariadb-server failed"
        warn "apt-get reported an error, but $MARIADBD is installed; continuing"
    fi
}

start_mariadb() {
    local datadir socket pidfile logerr dir
    datadir="$(mysqld_var datadir)"; datadir="${datadir:-/var/lib/mysql}"
    socket="$(mysqld_var socket)";   socket="${socket:-/run/mysqld/mysqld.sock}"
    pidfile="$(mysqld_var pid-file)"
    logerr="$(mysqld_var log-error)"

    for dir in /run/mysqld "$(dirname "$socket")" ${pidfile:+"$(dirname "$pidfile")"}; do
        priv mkdir -p "$dir"
        priv chown mysql:mysql "$dir"
    done
    if [[ -n "$logerr" && "$logerr" == /* ]]; then
        priv mkdir -p "$(dirname "$logerr")"
        priv chown mysql:mysql "$(dirname "$logerr")"
    fi

    if [[ ! -d "${datadir%/}/mysql" ]]; then
        log "initialising MariaDB data directory $datadir"
        priv mkdir -p "$datadir"
        priv chown mysql:mysql "$datadir"
        priv mariadb-install-db "${MDB_OPTS[@]+"${MDB_OPTS[@]}"}" --user=mysql \
            --datadir="$datadir" --skip-test-db >/dev/null \
            || die "mariadb-install-db failed"
    fi

    log "starting MariaDB"
    local match=(--exec "$MARIADBD")
    # With an alternative instance, match on its pid file (the default instance
    # may be running too, and --exec alone would then do nothing).
    if [[ -n "$MARIADB_DEFAULTS_FILE" && -n "$pidfile" ]]; then
        match+=(--pidfile "$pidfile")
    fi
    priv start-stop-daemon --start --oknodo --background "${match[@]}" \
        -- "${MDB_OPTS[@]+"${MDB_OPTS[@]}"}" --user=mysql \
        || die "start-stop-daemon failed to start $MARIADBD"

    local i
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        if mariadb_ping; then
            log "MariaDB is up (after ${i}s)"
            return 0
        fi
        sleep 1
    done
    if [[ -n "$logerr" && "$logerr" == /* ]] && priv test -r "$logerr"; then
        warn "last lines of $logerr:"
        priv tail -n 20 "$logerr" >&2 || true
    fi
    die "MariaDB did not answer 'mariadb-admin ping' within ${WAIT_SECONDS}s"
}

grant_root_tcp() {
    # A fresh Debian MariaDB admits root only via the unix socket. Log in that
    # way (as the OS root user) and allow root@127.0.0.1 with an empty password.
    log "granting root TCP access with empty password"
    local sql="
ALTER USER IF EXISTS 'root'@'localhost'
    IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket;
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;"
    priv mariadb "${MDB_OPTS[@]+"${MDB_OPTS[@]}"}" -u root -e "$sql" </dev/null \
        || die "could not log in to MariaDB as root via the unix socket to fix access"
}

ensure_mariadb() {
    ensure_mariadb_installed
    if mariadb_ping; then
        log "MariaDB is running"
    else
        start_mariadb
    fi
    if ! mariadb_tcp_ok; then
        grant_root_tcp
        mariadb_tcp_ok || die "MariaDB: 'mariadb -h 127.0.0.1 -P $MARIADB_PORT -u root' (TCP, empty password) still fails"
    fi
    log "MariaDB OK: root@127.0.0.1:$MARIADB_PORT (TCP, empty password)"
}

# ----------------------------------------------------------------------------
# Redis
# ----------------------------------------------------------------------------
redis_ping() {
    [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

ensure_redis() {
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        log "Redis not installed"
        if ! apt_install --no-install-recommends redis-server; then
            command -v redis-server >/dev/null 2>&1 || die "installing redis-server failed"
            warn "apt-get reported an error, but redis-server is installed; continuing"
        fi
    fi
    if redis_ping; then
        log "Redis is running"
    else
        log "starting Redis"
        redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
            --save "" --appendonly no >/dev/null || die "redis-server failed to start"
        local i
        for ((i = 0; i < WAIT_SECONDS; i++)); do
            redis_ping && break
            sleep 1
        done
        redis_ping || die "Redis did not answer PING within ${WAIT_SECONDS}s"
    fi
    log "Redis OK: redis://127.0.0.1:$REDIS_PORT/0"
}

# ----------------------------------------------------------------------------
# Chromium for the browser tests: only with `services.sh chromium` or NEED_CHROMIUM=1.
# The colour emoji font too, or reactions and the emoji picker render as empty boxes.
# ----------------------------------------------------------------------------
ensure_chromium() {
    if [[ ! -x /usr/bin/chromium ]]; then
        log "Chromium not installed"
        apt_install chromium || die "installing chromium failed"
    fi
    if [[ ! -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]]; then
        apt_install fonts-noto-color-emoji || die "installing fonts-noto-color-emoji failed"
    fi
    log "Chromium OK: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
}

# ----------------------------------------------------------------------------
main() {
    local want_chromium="${NEED_CHROMIUM:-0}" arg
    for arg in "$@"; do
        case "$arg" in
            chromium) want_chromium=1 ;;
            -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
            *) die "unknown argument: $arg (usage: $0 [chromium])" ;;
        esac
    done

    ensure_mariadb
    ensure_redis
    if [[ "$want_chromium" == 1 ]]; then
        ensure_chromium
    fi
    log "all services ready"
}

main "$@"
