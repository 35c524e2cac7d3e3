#!/usr/bin/env bash
# test_listeners.sh BUILD_DIR -- examples/echo's listener flags against real
# clients: curl over IPv4, IPv6 and a unix socket; curl and openssl
# s_client over TLS (TLS 1.2 and 1.3 accepted, 1.0 and 1.1 refused, ALPN
# h2 and http/1.1); curl over HTTP/2 on TLS and h2c;
# two processes on one port with --reuseport. Exits 0 when every check
# passes, 1 otherwise.
set -u

build=${1:?usage: test_listeners.sh BUILD_DIR}
echo_bin=$build/examples/echo
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "ok   $1"; }
fail() {
    echo "FAIL $1"
    failures=$((failures + 1))
}
# check WHAT COMMAND... passes when the command succeeds.
check() {
    local what=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then pass "$what"; else
        fail "$what"
        sed 's/^/     /' "$tmp/out" | head -20
    fi
}
# refuse WHAT COMMAND... passes when the command fails.
refuse() {
    local what=$1
    shift
    if "$@" >"$tmp/out" 2>&1; then
        fail "$what"
        sed 's/^/     /' "$tmp/out" | head -20
    else pass "$what"; fi
}

# start NAME ARGS... runs echo with ARGS and waits for its N address lines
# (N = the number of addresses it listens on, in $want_lines) in $tmp/NAME.
start() {
    local name=$1 i
    shift
    "$echo_bin" "$@" >"$tmp/$name" 2>"$tmp/$name.err" &
    pids+=($!)
    for i in $(seq 100); do
        [ "$(wc -l <"$tmp/$name")" -ge "$want_lines" ] && return 0
        kill -0 "${pids[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    echo "FAIL start $name: $(cat "$tmp/$name.err")"
    exit 1
}

# echo_ok WHAT CURL_ARGS... expects the echo's JSON for GET /probe.
echo_ok() {
    local what=$1
    shift
    check "$what" bash -c 'out=$(curl -sS --max-time 10 "$@") &&
        [[ $out == *"\"path\":\"/probe\""* ]]' _ "$@"
}

ipv6=0 # the IPv6 loopback address is configured
grep -qs '^0\{31\}1 ' /proc/net/if_inet6 && ipv6=1

# Plain HTTP on IPv4, IPv6 and a unix socket.
addrs=(127.0.0.1:0)
[ $ipv6 = 1 ] && addrs+=("[::1]:0")
want_lines=$((${#addrs[@]} + 1))
start plain --unix "$tmp/echo.sock" "${addrs[@]}"
v4=$(sed -n 1p "$tmp/plain")
echo_ok "curl over IPv4" "http://$v4/probe"
if [ $ipv6 = 1 ]; then
    v6=$(sed -n 2p "$tmp/plain")
    echo_ok "curl over IPv6" -g "http://$v6/probe"
else
    echo "skip curl over IPv6: no IPv6 loopback"
fi
check "unix address printed" grep -qx "unix:$tmp/echo.sock" "$tmp/plain"
echo_ok "curl over a unix socket" --unix-socket "$tmp/echo.sock" http://localhost/probe

# TLS with a certificate for localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1 ||
    { echo "FAIL openssl cannot make a certificate"; exit 1; }
want_lines=1
start tls --tls "$tmp/cert.pem" "$tmp/key.pem" 127.0.0.1:0
tls=$(sed -n 1p "$tmp/tls")
port=${tls##*:}
echo_ok "curl over TLS, certificate verified" --cacert "$tmp/cert.pem" \
    --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/probe"
refuse "plain HTTP on the TLS port is not served" \
    curl -sS --max-time 10 "http://$tls/probe"
s_client() { openssl s_client -connect "$tls" -servername localhost "$@" </dev/null; }
check "openssl: TLS 1.2" s_client -tls1_2
check "openssl: TLS 1.3" s_client -tls1_3
refuse "openssl: TLS 1.1 refused" s_client -tls1_1
refuse "openssl: TLS 1.0 refused" s_client -tls1
check "openssl: ALPN picks h2" bash -c \
    'openssl s_client -connect "$1" -alpn h2,http/1.1 </dev/null 2>/dev/null |
     grep -q "ALPN protocol: h2"' _ "$tls"
check "openssl: ALPN http/1.1 alone" bash -c \
    'openssl s_client -connect "$1" -alpn http/1.1 </dev/null 2>/dev/null |
     grep -q "ALPN protocol: http/1.1"' _ "$tls"
check "curl --http2 over TLS" bash -c \
    'out=$(curl -sS --max-time 10 --http2 --cacert "$2" --resolve "localhost:$3:127.0.0.1" \
           -w "%{http_version}" "https://localhost:$3/probe") &&
     [[ $out == *"\"version\":\"HTTP/2.0\""*2 ]]' _ "$tls" "$tmp/cert.pem" "$port"
check "curl --http1.1 over TLS" bash -c \
    'out=$(curl -sS --max-time 10 --http1.1 -k -w "%{http_version}" "https://$1/probe") &&
     [[ $out == *"\"version\":\"HTTP/1.1\""*1.1 ]]' _ "$tls"

want_lines=1
start h2c --h2c 127.0.0.1:0
h2c=$(sed -n 1p "$tmp/h2c")
check "curl --http2-prior-knowledge (h2c)" bash -c \
    'out=$(curl -sS --max-time 10 --http2-prior-knowledge -w "%{http_version}" "http://$1/probe") &&
     [[ $out == *"\"version\":\"HTTP/2.0\""*2 ]]' _ "$h2c"
echo_ok "HTTP/1.1 on the h2c listener" "http://$h2c/probe"
head -c 200000 /dev/urandom >"$tmp/h2body"
sha=$(sha256sum "$tmp/h2body" | cut -d' ' -f1)
check "an upload over h2c" bash -c \
    'curl -sS --max-time 10 --http2-prior-knowledge --data-binary @"$2" "http://$1/up" |
     grep -qF "\"body_length\":200000,\"body_sha256\":\"$3\""' _ "$h2c" "$tmp/h2body" "$sha"

want_lines=1
start selfsigned --self-signed 127.0.0.1:0
echo_ok "curl -k with --self-signed" -k "https://$(sed -n 1p "$tmp/selfsigned")/probe"

# Two processes on one port.
start first --reuseport 127.0.0.1:0
shared=$(sed -n 1p "$tmp/first")
start second --reuseport "$shared"
check "a second process binds the port with --reuseport" \
    grep -qx "$shared" "$tmp/second"
for i in 1 2 3 4; do echo_ok "curl to the shared port ($i)" "http://$shared/probe"; done

# nginx in front of an SCGI listener.
want_lines=1
start scgi --scgi 127.0.0.1:0
scgi=$(sed -n 1p "$tmp/scgi")
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $tmp/nginx;
    scgi_temp_path $tmp/nginx;
    server {
        listen 127.0.0.1:PORT;
        location / {
            include /etc/nginx/scgi_params;
            scgi_pass $scgi;
        }
    }
}
CONF
# nginx cannot report a port it picked: try free-looking ones until one
# binds.
front=
for attempt in 1 2 3 4 5; do
    port=$(( (RANDOM % 20000) + 30000 ))
    sed "s/PORT/$port/" "$tmp/nginx/nginx.conf" >"$tmp/nginx/run.conf"
    nginx -p "$tmp/nginx" -c "$tmp/nginx/run.conf" -e "$tmp/nginx/error.log" &
    pids+=($!)
    for i in $(seq 50); do
        if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
            front=$port
            break 2
        fi
        if ! kill -0 "${pids[-1]}" 2>/dev/null; then
            wait "${pids[-1]}"
            unset 'pids[-1]' # the port was taken: try another
            break
        fi
        sleep 0.1
    done
done
[ -n "$front" ] || { echo "FAIL nginx did not start: $(cat "$tmp/nginx/error.log")"; exit 1; }
base=http://127.0.0.1:$front
echo_ok "GET through nginx over SCGI" "$base/probe"
curl -sS --max-time 10 -H 'X-Trace: 42' "$base/a%20b?x=1" >"$tmp/view"
check "the request view through SCGI: target" grep -qF '"target":"/a%20b?x=1"' "$tmp/view"
check "the request view through SCGI: a header" grep -qF '["X-Trace","42"]' "$tmp/view"
head -c 300000 /dev/urandom >"$tmp/upload"
sha=$(sha256sum "$tmp/upload" | cut -d' ' -f1)
curl -sS --max-time 20 -H 'Transfer-Encoding: chunked' \
    --data-binary @"$tmp/upload" "$base/upload" >"$tmp/uploaded"
check "chunked upload through nginx over SCGI" \
    grep -qF "\"body_length\":300000,\"body_sha256\":\"$sha\"" "$tmp/uploaded"
check "a malformed netstring gets no answer" bash -c \
    'out=$(printf "12:junk" | timeout 5 curl -sS --max-time 5 "telnet://$1" 2>/dev/null); [ -z "$out" ]' _ "$scgi"

for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${pids[@]}"; do
    wait "$p" || fail "echo $p exited with status $?"
done
pids=()
echo "$failures failure(s)"
[ "$failures" = 0 ]
