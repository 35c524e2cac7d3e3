#!/usr/bin/env bash
# test_examples.sh NAME SOURCE_DIR BUILD_DIR -- starts a Lua example on
# 127.0.0.1:0 with luajit, reads the address it prints first, checks it
# with curl, then stops it with SIGTERM and expects exit status 0 within
# a few seconds. NAME is an example of examples/lua (hello, echo, stream,
# lua_http, nodemcu, threads), lua_http_on_lua_http (the same lua_http.lua
# on lua-http itself), or debian_server_hello / debian_sse (lua-http's own
# examples from its Debian package, run unchanged on porter). Exits 0 when
# every check passes, 1 otherwise, 77 (a skip) when a tool is missing.
set -u

usage="usage: test_examples.sh NAME SOURCE_DIR BUILD_DIR"
name=${1:?$usage}
src=${2:?$usage}
build=${3:?$usage}
CURL=${CURL:-curl}
LUAJIT=${LUAJIT:-luajit}
lua=$src/bindings/lua
ex=$src/examples/lua
debian_examples=/usr/share/doc/lua-http/examples

for tool in "$CURL" "$LUAJIT"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found"
        exit 77
    fi
done

export PORTER_LIBRARY=$build/libporter.so.0
porter_path="$lua/?.lua;;"
compat_path="$lua/porter/compat/?.lua;$lua/?.lua;;"

tmp=$(mktemp -d)
pid=
cpid=
cleanup() {
    for p in $pid $cpid; do
        kill -KILL "$p" 2>/dev/null
    done
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

# c runs curl bounded in time, without a proxy or a .curlrc.
c() {
    timeout 30 "$CURL" -q --noproxy '*' --max-time 20 -sS "$@"
}

# random FILE BYTES writes BYTES random bytes and prints their SHA-256.
random() {
    head -c "$2" /dev/urandom >"$1"
    sha256sum <"$1" | cut -d' ' -f1
}

# wait_address prints the address the server announces: the first line
# of its stdout ("host:port"), or "port N" in the stderr of lua-http's
# examples.
wait_address() {
    local addr= i
    for i in $(seq 100); do
        if [ -s "$tmp/stdout" ]; then
            addr=$(head -n 1 "$tmp/stdout")
        elif grep -q 'port [0-9]' "$tmp/stderr" 2>/dev/null; then
            addr=127.0.0.1:$(grep -o 'port [0-9]*' "$tmp/stderr" | head -n 1 | cut -d' ' -f2)
        fi
        [[ $addr == *:* ]] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$addr"
}

case $name in
lua_http) path=$compat_path cmd=("$LUAJIT" "$ex/lua_http.lua" 127.0.0.1:0) ;;
lua_http_on_lua_http) path=";;" cmd=("$LUAJIT" "$ex/lua_http.lua" 127.0.0.1:0) ;;
nodemcu) path=$porter_path cmd=("$LUAJIT" "$lua/porter/nodemcu.lua" "$ex/nodemcu.lua" 127.0.0.1:0) ;;
debian_server_hello | debian_sse)
    file=$debian_examples/server_hello.lua
    [ "$name" == debian_sse ] && file=$debian_examples/server_sent_events.lua
    if [ ! -f "$file" ]; then
        echo "SKIP: $file not installed"
        exit 77
    fi
    path=$compat_path cmd=("$LUAJIT" "$file" 0)
    ;;
*) path=$porter_path cmd=("$LUAJIT" "$ex/$name.lua" 127.0.0.1:0) ;;
esac

LUA_PATH=$path "${cmd[@]}" >"$tmp/stdout" 2>"$tmp/stderr" &
pid=$!
addr=$(wait_address)
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
    expect "GET / body" "$(cat "$tmp/body")" "Hello World"
    got=$(c -o /dev/null -o /dev/null -w '%{http_code} %{num_connects},' "$base/" "$base/again")
    expect "keep-alive" "$got" "200 1,200 0,"
}

# echo_case TARGET CURL-ARGS... sends the same request to both echoes.
echo_case() {
    local target=$1
    shift
    c -A "$ua" "$@" "http://$caddr$target" | sed "s/$caddr/ADDR/g" >"$tmp/want"
    c -A "$ua" "$@" "$base$target" | sed "s/$addr/ADDR/g" >"$tmp/got"
    if [ -s "$tmp/want" ] && cmp -s "$tmp/want" "$tmp/got"; then
        pass "echo $target $*"
    else
        fail "echo $target $*"
        echo "     C:   $(head -c 600 "$tmp/want")"
        echo "     Lua: $(head -c 600 "$tmp/got")"
    fi
}

# check_echo compares the Lua echo with the C echo, request for request:
# the same bytes but for the address in the Host field.
check_echo() {
    local i
    if [ ! -x "$build/examples/echo" ]; then
        fail "the C echo is not built ($build/examples/echo)"
        return
    fi
    "$build/examples/echo" 127.0.0.1:0 >"$tmp/c.stdout" 2>&1 &
    cpid=$!
    for i in $(seq 100); do
        [ -s "$tmp/c.stdout" ] && break
        sleep 0.1
    done
    caddr=$(head -n 1 "$tmp/c.stdout")
    ua=porter-test/1.0
    random "$tmp/100k" 102400 >/dev/null
    echo_case "/a/b?x=1&y=%20z"
    echo_case / -0
    echo_case /q -H 'X-Custom: say "hi" \ back'
    echo_case / -H $'X-Bytes: caf\xc3\xa9\tok'
    echo_case /upload --data-binary @"$tmp/100k"
    echo_case /upload -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/100k"
    got=$(c -o /dev/null -w '%{http_code}' --data-binary @<(head -c $((9 * 1024 * 1024)) /dev/zero) \
        "$base/upload" 2>/dev/null)
    expect "POST 9 MiB gets 413" "$got" 413
    kill -TERM "$cpid"
    wait "$cpid" 2>/dev/null
    cpid=
}

check_stream() {
    local got sha
    c -v -o "$tmp/body" "$base/stream?n=1000" 2>"$tmp/verbose"
    expect "GET /stream?n=1000" "$(cat "$tmp/body")" "$(seq 1 1000 | sed 's/^/line /')"
    if grep -qi '^< transfer-encoding: chunked' "$tmp/verbose"; then
        pass "stream is chunked"
    else
        fail "stream is chunked"
    fi
    expect "HTTP/1.0 stream" "$(c -0 "$base/stream?n=5")" "$(seq 1 5 | sed 's/^/line /')"
    expect "bad n gets 400" "$(c -o /dev/null -w '%{http_code}' "$base/stream?n=x")" 400
    sha=$(random "$tmp/5m" $((5 * 1024 * 1024)))
    got=$(c -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/5m" "$base/upload")
    expect "chunked upload 5 MiB" "$got" '{"body_length":5242880,"body_sha256":"'"$sha"'"}'
    got=$(c -o /dev/null -w '%{http_code},' --data-binary @"$tmp/5m" "$base/nope" \
        --next --noproxy '*' --max-time 20 -sS -w '%{http_code}' "$base/stream?n=3")
    expect "404 with a body left unread, then the next request" "$got" "404,line 1
line 2
line 3
200"
}

check_lua_http() {
    local got start
    expect "GET /" "$(c "$base/")" "Hello World"
    expect "POST /echo" "$(c --data-binary 'some bytes' "$base/echo")" "some bytes"
    start=$(date +%s%N)
    c "$base/sleep?s=1" >"$tmp/slept" &
    expect "other requests go on while a handler sleeps" "$(c "$base/")" "Hello World"
    wait $!
    expect "GET /sleep?s=1" "$(cat "$tmp/slept")" "slept 1 s"
    expect "GET /fetch (a cqueues socket in a handler)" "$(c "$base/fetch")" "fetched 200: Hello World"
    expect "404" "$(c -o /dev/null -w '%{http_code}' "$base/nope")" 404
}

check_nodemcu() {
    expect "GET /" "$(c -D "$tmp/h" "$base/")" "Hello, world!"
    grep -qi '^content-length: 14' "$tmp/h" && pass "finish: Content-Length" || fail "finish: Content-Length"
    expect "GET /count?n=5" "$(c -D "$tmp/h" "$base/count?n=5")" "$(seq 1 5)"
    grep -qi '^transfer-encoding: chunked' "$tmp/h" && pass "send: chunked" || fail "send: chunked"
    expect "POST" "$(c -H 'X-Name: ada' --data-binary 'twelve bytes' "$base/up")" "ada sent 12 bytes"
    expect "keep-alive" "$(c -o /dev/null -o /dev/null -w '%{num_connects},' "$base/" "$base/")" "1,0,"
}

check_threads() {
    local i clients=()
    for i in $(seq 8); do
        c --data-binary "$(printf 'x%.0s' $(seq $i))" "$base/r$i" >"$tmp/t$i" &
        clients+=($!)
    done
    wait "${clients[@]}"
    for i in $(seq 8); do
        if grep -Eq "^thread [0-9]+: POST /r$i, $i bytes$" "$tmp/t$i"; then
            pass "request $i"
        else
            fail "request $i: $(cat "$tmp/t$i")"
        fi
    done
}

check_debian_server_hello() {
    expect "GET /" "$(c "$base/")" "Hello world!"
    expect "keep-alive" "$(c -o /dev/null -o /dev/null -w '%{num_connects},' "$base/" "$base/")" "1,0,"
}

check_debian_sse() {
    c "$base/" | grep -q EventSource && pass "GET /" || fail "GET /"
    # Events come once a second from a handler that sleeps in cqueues.
    c -N --max-time 2.5 "$base/event-stream" >"$tmp/events" 2>/dev/null
    if [ "$(grep -c '^data: The time is now' "$tmp/events")" -ge 2 ]; then
        pass "two server-sent events"
    else
        fail "two server-sent events: $(cat "$tmp/events")"
    fi
    expect "404" "$(c -o /dev/null -w '%{http_code}' "$base/nope")" 404
}

case $name in
hello) check_hello ;;
echo) check_echo ;;
stream) check_stream ;;
lua_http | lua_http_on_lua_http) check_lua_http ;;
nodemcu) check_nodemcu ;;
threads) check_threads ;;
debian_server_hello) check_debian_server_hello ;;
debian_sse) check_debian_sse ;;
*)
    echo "FAIL unknown example $name"
    exit 1
    ;;
esac

# ---- stop -----------------------------------------------------------------

if [[ $name == debian_* ]]; then
    # lua-http's examples do not catch signals: SIGTERM ends them.
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null
    pid=
else
    kill -TERM "$pid"
    start=$SECONDS
    (sleep 10 && kill -KILL "$pid") >/dev/null 2>&1 &
    watchdog=$!
    wait "$pid"
    status=$?
    pid=
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
    expect "exit status after SIGTERM ($((SECONDS - start)) s)" "$status" 0
fi

if [ -s "$tmp/stderr" ] && [[ $name != debian_* ]]; then
    echo "---- $name stderr"
    cat "$tmp/stderr"
fi
if [ "$failures" -gt 0 ]; then
    echo "$name: $failures check(s) failed"
    exit 1
fi
echo "$name: all checks passed"
