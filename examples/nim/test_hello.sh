#!/usr/bin/env bash
# test_hello.sh hello BUILD_DIR -- starts BUILD_DIR/examples/hello, the
# stdlib's asynchttpserver example with porter's import, reads its port
# from "test this with: curl localhost:PORT/", checks it with curl, then
# stops it with SIGTERM. Exits 0 when every check passes, 1 otherwise, 77
# (a skip for ctest) when curl is missing. Set CURL to pick a curl.
set -u

build=${2:?usage: test_hello.sh hello BUILD_DIR}
exe=$build/examples/hello
CURL=${CURL:-curl}

if ! command -v "$CURL" >/dev/null 2>&1; then
    echo "SKIP: curl not found"
    exit 77
fi

tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
expect() {
    if [ "$2" == "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1"
        printf '     want: %q\n     got:  %q\n' "$3" "$2"
        failures=$((failures + 1))
    fi
}

# The example listens on every interface, as the stdlib's does.
"$exe" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's|^test this with: curl localhost:\([0-9]*\)/$|\1|p' \
        "$tmp/stdout")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "FAIL hello printed no port"
    cat "$tmp/stdout" "$tmp/stderr"
    exit 1
fi
echo "ok   hello listens on port $port"

c() {
    timeout 30 "$CURL" -q --noproxy '*' --max-time 20 -sS "$@"
}

got=$(c -o "$tmp/body" -w '%{http_code} %{content_type}' \
    "http://127.0.0.1:$port/a?b=1")
expect "GET status and type" "$got" "200 text/plain; charset=utf-8"
expect "GET body" "$(cat "$tmp/body")" "Hello World"
got=$(c -o /dev/null -o /dev/null -w '%{http_code} %{num_connects},' \
    "http://127.0.0.1:$port/" "http://127.0.0.1:$port/again")
expect "keep-alive" "$got" "200 1,200 0,"

# The stdlib example loops forever: SIGTERM's default action ends it. Its
# log (one line per request) is flushed only at exit, so it is not checked.
kill -TERM "$pid"
wait "$pid" 2>/dev/null
pid=

if [ "$failures" -gt 0 ]; then
    cat "$tmp/stderr"
    echo "hello: $failures check(s) failed"
    exit 1
fi
echo "hello: all checks passed"
