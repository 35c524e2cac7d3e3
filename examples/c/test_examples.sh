#!/usr/bin/env bash
# test_examples.sh NAME BUILD_DIR -- starts BUILD_DIR/examples/NAME on
# 127.0.0.1:0, reads the bound address from its first line of output,
# checks it with curl, then stops it with SIGTERM and expects exit status 0
# within a few seconds. Exits 0 when every check passes, 1 otherwise, 77
# (a skip for ctest) when curl is missing. Set CURL to pick a curl.
set -u

usage="usage: test_examples.sh hello|echo|echo_loop|stream BUILD_DIR"
name=${1:?$usage}
build=${2:?$usage}
exe=$build/examples/$name
CURL=${CURL:-curl}

if ! command -v "$CURL" >/dev/null 2>&1; then
    echo "SKIP: curl not found"
    exit 77
fi
if [ ! -x "$exe" ]; then
    echo "FAIL: $exe is not built"
    exit 1
fi

tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "ok   $1"; }
fail() {
    echo "FAIL $1"
    failures=$((failures + 1))
}

# expect WHAT GOT WANT compares two strings.
expect() {
    if [ "$2" == "$3" ]; then
        pass "$1"
    else
        fail "$1"
        printf '     want: %q\n     got:  %q\n' "$3" "$2"
    fi
}

# expect_file WHAT FILE WANT compares a file with a string, byte for byte.
expect_file() {
    printf '%s' "$3" >"$tmp/want"
    if cmp -s "$2" "$tmp/want"; then
        pass "$1"
    else
        fail "$1"
        printf '     want: %q\n     got:  %q\n' "$3" "$(head -c 2000 "$2")"
    fi
}

# c runs curl bounded in time, without a proxy or a .curlrc.
c() {
    timeout 30 "$CURL" -q --noproxy '*' --max-time 20 -sS "$@"
}

# random FILE BYTES writes BYTES random bytes and prints their SHA-256.
random() {
    head -c "$2" /dev/urandom >"$1"
    sha256sum <"$1" | cut -d' ' -f1
}

empty_sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# ---- start ----------------------------------------------------------------

"$exe" 127.0.0.1:0 >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
addr=
for _ in $(seq 100); do
    if [ "$(wc -l <"$tmp/stdout")" -ge 1 ]; then
        addr=$(head -n 1 "$tmp/stdout")
        break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if ! [[ $addr =~ ^127\.0\.0\.1:[1-9][0-9]*$ ]]; then
    echo "FAIL $name printed no address on 127.0.0.1 (got '$addr')"
    cat "$tmp/stderr"
    exit 1
fi
pass "$name listens on $addr"
base=http://$addr

# ---- checks ---------------------------------------------------------------

check_hello() {
    local got

    got=$(c -o "$tmp/body" -w '%{http_code} %{content_type}' "$base/")
    expect "GET / status and type" "$got" "200 text/plain"
    expect_file "GET / body" "$tmp/body" $'Hello World\n'

    got=$(c -I -o /dev/null -w '%{http_code}' "$base/other?x=1")
    expect "HEAD status" "$got" 200
    # A raw HEAD, so that a body sent by mistake would show.
    timeout 10 bash -c 'exec 3<>"/dev/tcp/${1%:*}/${1##*:}" &&
        printf "HEAD / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" \
            "$1" >&3 && cat <&3' - "$addr" >"$tmp/head"
    if [ "$(tail -c 4 "$tmp/head" | od -An -tx1 | tr -d ' ')" == 0d0a0d0a ] &&
        ! grep -q Hello "$tmp/head"; then
        pass "HEAD has no body"
    else
        fail "HEAD has no body"
        od -c "$tmp/head" | head -20
    fi

    # Two URLs in one curl: the second reuses the first one's connection.
    got=$(c -o /dev/null -o /dev/null -w '%{http_code} %{num_connects},' \
        "$base/" "$base/again")
    expect "keep-alive" "$got" "200 1,200 0,"
}

check_echo() {
    local got ua=porter-test/1.0 sha

    # The view keeps the fields in the order and case curl sent them.
    got=$(c -o "$tmp/body" -w '%{http_code} %{content_type}' -A "$ua" \
        -H 'X-Custom: say "hi" \ back' "$base/a/b?x=1&y=%20z")
    expect "GET status and type" "$got" "200 application/json"
    expect_file "GET echo" "$tmp/body" \
'{"method":"GET","target":"/a/b?x=1&y=%20z","path":"/a/b","query":"x=1&y=%20z",'\
'"version":"HTTP/1.1","headers":[["Host","'"$addr"'"],["User-Agent","'"$ua"'"],'\
'["Accept","*/*"],["X-Custom","say \"hi\" \\ back"]],"body_length":0,'\
'"body_sha256":"'$empty_sha'"}
'

    c -0 -o "$tmp/body" -A "$ua" "$base/"
    expect_file "HTTP/1.0 echo" "$tmp/body" \
'{"method":"GET","target":"/","path":"/","query":"","version":"HTTP/1.0",'\
'"headers":[["Host","'"$addr"'"],["User-Agent","'"$ua"'"],["Accept","*/*"]],'\
'"body_length":0,"body_sha256":"'$empty_sha'"}
'

    # Bytes from 0x80 up and control bytes are escaped as \u00xx.
    got=$(c -H $'X-Bytes: caf\xc3\xa9\tok' "$base/")
    if [[ $got == *'["X-Bytes","caf\u00c3\u00a9\u0009ok"]'* ]]; then
        pass "header bytes escaped"
    else
        fail "header bytes escaped"
        printf '     got: %s\n' "$got"
    fi

    sha=$(random "$tmp/100k" 102400)
    got=$(c --data-binary @"$tmp/100k" "$base/upload")
    expect "POST 100 KiB" "${got#*\"body_length\"}" \
        ":102400,\"body_sha256\":\"$sha\"}"
    got=$(c -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/100k" \
        "$base/upload")
    expect "chunked POST 100 KiB" "${got#*\"body_length\"}" \
        ":102400,\"body_sha256\":\"$sha\"}"

    # Over the 8 MiB default limit. curl sends "Expect: 100-continue" for a
    # body this big, so porter can refuse before reading it; curl may still
    # report the closed connection, hence only the status is checked.
    random "$tmp/9m" $((9 * 1024 * 1024)) >/dev/null
    got=$(c -o /dev/null -w '%{http_code}' --data-binary @"$tmp/9m" \
        "$base/upload" 2>/dev/null)
    expect "POST 9 MiB gets 413" "$got" 413
}

check_stream() {
    local got sha

    c -v -o "$tmp/body" "$base/stream?n=1000" 2>"$tmp/verbose"
    expect_file "GET /stream?n=1000" "$tmp/body" "$(seq 1 1000 | sed 's/^/line /')
"
    if grep -qi '^< transfer-encoding: chunked' "$tmp/verbose"; then
        pass "stream is chunked"
    else
        fail "stream is chunked"
        grep '^<' "$tmp/verbose"
    fi
    c -o "$tmp/body" "$base/stream"
    expect_file "GET /stream (10 lines)" "$tmp/body" \
        "$(seq 1 10 | sed 's/^/line /')
"
    c -0 -o "$tmp/body" "$base/stream?n=5"
    expect_file "HTTP/1.0 stream" "$tmp/body" "$(seq 1 5 | sed 's/^/line /')
"
    got=$(c -o /dev/null -w '%{http_code}' "$base/stream?n=x")
    expect "bad n gets 400" "$got" 400

    sha=$(random "$tmp/5m" $((5 * 1024 * 1024)))
    c -o "$tmp/body" -H 'Transfer-Encoding: chunked' \
        --data-binary @"$tmp/5m" "$base/upload"
    expect_file "chunked upload 5 MiB" "$tmp/body" \
        '{"body_length":5242880,"body_sha256":"'"$sha"'"}
'
    sha=$(random "$tmp/100k" 102400)
    c -o "$tmp/body" --data-binary @"$tmp/100k" "$base/upload"
    expect_file "upload 100 KiB" "$tmp/body" \
        '{"body_length":102400,"body_sha256":"'"$sha"'"}
'

    # A 404 that leaves a body unread, then a request on the same client.
    got=$(c -o /dev/null -w '%{http_code},' --data-binary @"$tmp/100k" \
        "$base/nope" --next --noproxy '*' --max-time 20 -sS \
        -o "$tmp/body" -w '%{http_code}' "$base/stream?n=3")
    expect "404, then the next request" "$got" "404,200"
    expect_file "request after a 404" "$tmp/body" \
        "$(seq 1 3 | sed 's/^/line /')
"
}

case $name in
hello) check_hello ;;
echo | echo_loop) check_echo ;;
stream) check_stream ;;
*)
    echo "FAIL unknown example $name"
    exit 1
    ;;
esac

# ---- stop -----------------------------------------------------------------

kill -TERM "$pid"
start=$SECONDS
(sleep 5 && kill -KILL "$pid") >/dev/null 2>&1 &
watchdog=$!
wait "$pid"
status=$?
pid=
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
expect "exit status after SIGTERM ($((SECONDS - start)) s)" "$status" 0

if [ -s "$tmp/stderr" ]; then
    echo "---- $name stderr"
    cat "$tmp/stderr"
fi
if [ "$failures" -gt 0 ]; then
    echo "$name: $failures check(s) failed"
    exit 1
fi
echo "$name: all checks passed"
