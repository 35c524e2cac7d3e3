#!/usr/bin/env bash
# test_listeners.sh BUILD_DIR -- examples/echo's listener flags against real
# clients: curl over IPv4, IPv6 and a unix socket; curl and openssl
# s_client over TLS (TLS 1.2 and 1.3 accepted, 1.0 and 1.1 refused, ALPN);
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
check "openssl: ALPN picks http/1.1" bash -c \
    'openssl s_client -connect "$1" -alpn h2,http/1.1 </dev/null 2>/dev/null |
     grep -q "ALPN protocol: http/1.1"' _ "$tls"

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

for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${pids[@]}"; do
    wait "$p" || fail "echo $p exited with status $?"
done
pids=()
echo "$failures failure(s)"
[ "$failures" = 0 ]
