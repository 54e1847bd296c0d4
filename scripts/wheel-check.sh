#!/usr/bin/env bash
# The wheel check (`make wheel-check`, run by .ci/run): build the wheel, install it with the
# locked dependencies into a fresh venv outside the checkout, and from an empty directory
# elsewhere run `messenger migrate` and `messenger serve` on the SQLite default; the server
# must answer /api/v1/health and /api/v1/ready, serve the web client at /, and stop cleanly
# on SIGTERM. Proves the package carries everything it needs (migrations, client, assets).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/messenger-wheel-check.XXXXXX")"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

say()  { printf '[wheel-check] %s\n' "$*"; }
fail() { printf '[wheel-check] FAILED: %s\n' "$*" >&2; exit 1; }

say "building the wheel from $ROOT"
pip_quiet() {  # pip, without a machine's notes about its own index configuration
    "$@" 2> >(grep -v "^WARNING: Location 'file:" >&2)
}
pip_quiet "$PY" -m pip wheel -q --no-deps -w "$WORK/dist" "$ROOT" >/dev/null
WHEEL="$(ls "$WORK"/dist/*.whl)"
say "built $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) KiB)"

say "fresh venv in $WORK/venv, dependencies from requirements.lock"
"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
pip_quiet "$VPY" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements.lock"
pip_quiet "$VPY" -m pip install -q --disable-pip-version-check --no-deps "$WHEEL"

# An empty directory far from the checkout, and an environment without the developer's
# settings or PYTHONPATH: only the installed wheel can answer.
RUN="$WORK/run"
mkdir -p "$RUN"
cd "$RUN"
PORT="$("$VPY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
clean_env=(env -i "PATH=$WORK/venv/bin:/usr/bin:/bin" "HOME=$WORK" "LANG=C.UTF-8")
messenger() { "${clean_env[@]}" "$WORK/venv/bin/messenger" "$@"; }

where="$("${clean_env[@]}" "$VPY" -c 'import messenger, pathlib; print(pathlib.Path(messenger.__file__).parent)')"
case "$where" in "$WORK/venv/"*) ;; *) fail "messenger imported from $where, not the wheel" ;; esac
say "messenger imported from $where"
say "$(messenger --version)"

if out="$(messenger serve --port "$PORT" 2>&1)"; then
    fail "serve started on a database that was never migrated"
fi
[[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]] || fail "serve refused with more than one line: $out"
say "serve before migrate refuses with: $out"

messenger migrate 2>&1 | tail -n 1 | sed 's/^/[wheel-check] /'
messenger migrate --status | sed 's/^/[wheel-check] migrate --status: /'
messenger check | sed 's/^/[wheel-check] /'
[[ -f "$RUN/var/messenger.db" ]] || fail "the SQLite default is not var/messenger.db under the working directory"

say "serving on 127.0.0.1:$PORT"
"${clean_env[@]}" "$WORK/venv/bin/messenger" serve --host 127.0.0.1 --port "$PORT" \
    >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!

"$VPY" - "$PORT" <<'PY' || { cat "$WORK/serve.log" >&2; fail "the server did not answer as it should"; }
import sys, time, urllib.request

base = f"http://127.0.0.1:{sys.argv[1]}"


def get(path: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(base + path, timeout=5) as response:
        body = response.read().decode("utf-8", "replace")
        return response.status, response.headers.get("content-type", ""), body


deadline = time.monotonic() + 30
while True:
    try:
        status, _, body = get("/api/v1/ready")
        break
    except OSError:
        if time.monotonic() > deadline:
            raise SystemExit("no answer on /api/v1/ready within 30 s")
        time.sleep(0.2)
started = time.monotonic()
print(f"[wheel-check] GET /api/v1/ready -> {status} {body.strip()}")
status, _, body = get("/api/v1/health")
print(f"[wheel-check] GET /api/v1/health -> {status} {body.strip()}")
status, kind, body = get("/")
assert status == 200 and kind.startswith("text/html") and "<script" in body, (status, kind)
print(f"[wheel-check] GET / -> {status} {kind}, {len(body)} bytes of the web client's HTML")
status, kind, admin = get("/admin")
assert status == 200 and admin == body, (status, kind)
print(f"[wheel-check] GET /admin -> {status} {kind}, the same client (its console)")
status, kind, body = get("/locales/en.json")
assert status == 200 and body.lstrip().startswith("{"), (status, kind)
print(f"[wheel-check] GET /locales/en.json -> {status} {kind}")
status, _, body = get("/api/v1/docs/openapi.json")
print(f"[wheel-check] GET /api/v1/docs/openapi.json -> {status}, {len(body)} bytes")
PY

kill -TERM "$SERVER_PID"
code=0
wait "$SERVER_PID" || code=$?
SERVER_PID=""
# uvicorn finishes its graceful shutdown, then re-raises the signal: 143 is SIGTERM's own.
if [[ "$code" -ne 0 && "$code" -ne 143 ]] || ! grep -q "Application shutdown complete" "$WORK/serve.log"; then
    cat "$WORK/serve.log" >&2
    fail "the server did not shut down gracefully on SIGTERM (exit $code)"
fi
say "SIGTERM: graceful shutdown (\"Application shutdown complete\", exit $code)"
say "OK"
