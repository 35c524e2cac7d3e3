#!/usr/bin/env bash
# run.sh BUILD_DIR H2SPEC -- runs h2spec against examples/echo over TLS (ALPN
# h2) and h2c (prior knowledge), and compares the failures with
# known_failures.txt: a failure not listed fails the test; a listed case
# that passes is reported so that the list can shrink.
set -u
build=${1:?usage: run.sh BUILD_DIR H2SPEC}
h2spec=${2:?usage: run.sh BUILD_DIR H2SPEC}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$h2spec" ]; then
    echo "FAIL: $h2spec is not installed (make test installs it)"
    exit 1
fi

# spec MODE ECHO_FLAGS H2SPEC_FLAGS runs one h2spec pass and appends its
# failures, as "MODE: description", to $tmp/failed.
spec() {
    local mode=$1 flags=$2 extra=$3 addr i
    "$build/examples/echo" $flags 127.0.0.1:0 >"$tmp/addr" 2>"$tmp/err" &
    pid=$!
    for i in $(seq 100); do
        [ -s "$tmp/addr" ] && break
        sleep 0.1
    done
    addr=$(head -1 "$tmp/addr")
    "$h2spec" $extra -h 127.0.0.1 -p "${addr##*:}" -o 5 >"$tmp/$mode.out" 2>&1
    tail -1 "$tmp/$mode.out" | sed "s/^/$mode: /"
    # Failures are printed twice; keep the list after "Failures:".
    sed -n '/^Failures:/,$p' "$tmp/$mode.out" |
        sed -n "s/^ *× [0-9]*: \(.*\)$/$mode: \1/p" >>"$tmp/failed"
    kill -TERM "$pid"
    wait "$pid" || echo "note: echo exited with status $?"
    pid=
}

: >"$tmp/failed"
spec tls --self-signed "-t -k"
spec h2c --h2c ""
grep -v '^#' "$here/known_failures.txt" | grep -v '^$' | sort -u >"$tmp/known"
sort -u "$tmp/failed" >"$tmp/got"
new=$(comm -13 "$tmp/known" "$tmp/got")
fixed=$(comm -23 "$tmp/known" "$tmp/got")
if [ -n "$fixed" ]; then
    echo "passing now, remove from known_failures.txt:"
    echo "$fixed" | sed 's/^/    /'
fi
if [ -n "$new" ]; then
    echo "FAIL: new h2spec failures:"
    echo "$new" | sed 's/^/    /'
    for m in tls h2c; do sed -n '/^Failures:/,$p' "$tmp/$m.out"; done
    exit 1
fi
echo "ok: h2spec failures are all known ($(wc -l <"$tmp/got"))"
