#!/bin/sh
# h2load.sh OUT_DIR -- HTTP/2 hello world (h2c, prior knowledge) with
# h2load against porter (callback and loop mode), Go net/http and nginx,
# in one run: each server pinned to CPU 0, h2load to CPU 1, GOMAXPROCS=1
# for the Go servers. Prints a Markdown table; needs the peers built by
# peers/build.sh into OUT_DIR and h2load (Debian nghttp2-client).
set -eu
out=${1:?usage: h2load.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
port=18400
clients=${CLIENTS:-64}
streams=${STREAMS:-10}
seconds=${SECONDS_PER_RUN:-5}

# run NAME COMMAND... starts a server, warms it up, measures it.
run() {
    name=$1
    shift
    GOMAXPROCS=1 taskset -c 0 "$@" >/dev/null 2>&1 &
    pid=$!
    i=0
    until curl -s -o /dev/null --http2-prior-knowledge "http://127.0.0.1:$port/"; do
        i=$((i + 1))
        [ $i -gt 100 ] && { echo "| $name | did not start | | |"; kill $pid; return; }
        sleep 0.1
    done
    taskset -c 1 h2load -c "$clients" -m "$streams" -D 1 "http://127.0.0.1:$port/" >/dev/null 2>&1
    t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    res=$(taskset -c 1 h2load -c "$clients" -m "$streams" -D "$seconds" "http://127.0.0.1:$port/")
    t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    kill $pid
    wait $pid 2>/dev/null || true
    rps=$(echo "$res" | awk '/^finished in/ {print $4}')
    ok=$(echo "$res" | awk '/^requests:/ {print $8}')
    errs=$(echo "$res" | awk '/^requests:/ {print $10 + $12}')
    status=$(echo "$res" | awk '/^status codes:/ {print $3}')
    cpu=$(echo "$t0 $t1 $ok" | awk '{ if ($3 > 0) printf "%.1f", ($2 - $1) * 10000 / $3; else print "-" }')
    echo "| $name | $rps | $cpu | $status | $errs |"
    port=$((port + 1))
}

printf 'HTTP/2 (h2c prior knowledge), GET / answering "Hello World\\n"; h2load -c %s -m %s -D %s\n' "$clients" "$streams" "$seconds"
echo
echo "| server | req/s | server CPU-µs/request | 2xx | errors |"
echo "|---|--:|--:|--:|--:|"
run "porter, callback mode" "$out/porter_bench" --h2c "127.0.0.1:$port"
run "porter, loop mode" "$out/porter_bench" --loop --h2c "127.0.0.1:$port"
run "Go net/http" "$out/gohttp" -h2c -addr "127.0.0.1:$port"
mkdir -p "$out/nginx-h2c"
run "nginx" sh "$here/peers/start_nginx.sh" "$port" "$out/nginx-h2c" nginx-h2c.conf.in
