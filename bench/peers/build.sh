#!/bin/sh
# build.sh BUILD_DIR OUT_DIR -- build the benchmark peers.
#
# BUILD_DIR is porter's CMake build directory (holds libporter.so); OUT_DIR
# receives every binary. A peer whose toolchain or package is missing is
# reported as "skip NAME: reason" and the script goes on; it installs
# nothing (packages.txt lists the Debian packages the peers need). It
# exits 0 unless its arguments are wrong. OUT_DIR/peers.ok lists, one per
# line, the names of the peers (rows of peers.tsv) that are ready to run.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR OUT_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "$1" 2>/dev/null && pwd) || { echo "build.sh: no directory $1" >&2; exit 2; }
mkdir -p "$2" || exit 2
out=$(cd "$2" && pwd)
ok=$out/peers.ok
: > "$ok"
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -Wall -Wextra}

have() { command -v "$1" >/dev/null 2>&1; }
skip() { echo "skip $1: $2"; }
ready() { for n in "$@"; do echo "$n" >> "$ok"; echo "ok   $n"; done; }

# Go: on PATH, or where porter's Makefile expects it.
GO=$(command -v go 2>/dev/null || true)
[ -z "$GO" ] && [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go

# ---- porter-callback, porter-loop ---------------------------------------
if ! have "$CC"; then
    skip porter-callback "no C compiler ($CC)"
    skip porter-loop "no C compiler ($CC)"
elif [ ! -e "$build/libporter.so" ]; then
    skip porter-callback "no libporter.so in $build (build porter first)"
    skip porter-loop "no libporter.so in $build (build porter first)"
elif $CC $CFLAGS -std=c99 -I"$repo/include" "$here/porter_bench.c" \
        -L"$build" -Wl,-rpath,"$build" -lporter -o "$out/porter_bench"; then
    ready porter-callback porter-loop
else
    skip porter-callback "porter_bench.c did not compile"
    skip porter-loop "porter_bench.c did not compile"
fi

# ---- porter-go, go-nethttp, fasthttp (packages of the bench/ Go module) ---
if [ -z "$GO" ]; then
    skip porter-go "no go toolchain"
    skip go-nethttp "no go toolchain"
    skip fasthttp "no go toolchain"
else
    if (cd "$repo/bench" && "$GO" build -o "$out/portergo" ./peers/portergo); then
        ready porter-go
    else
        skip porter-go "go build failed"
    fi
    if (cd "$repo/bench" && "$GO" build -o "$out/gohttp" ./peers/gohttp); then
        ready go-nethttp
    else
        skip go-nethttp "go build failed"
    fi
    if (cd "$repo/bench" && "$GO" build -o "$out/fasthttp" ./peers/fasthttp); then
        ready fasthttp
    else
        skip fasthttp "go build failed (github.com/valyala/fasthttp not downloadable?)"
    fi
fi

# ---- nginx, nginx-lua (configuration templates, nothing to build) --------
if ! have nginx; then
    skip nginx "nginx not installed (Debian nginx-light)"
    skip nginx-lua "nginx not installed (Debian nginx-light, libnginx-mod-http-lua)"
else
    ready nginx
    if [ -e /usr/lib/nginx/modules/ngx_http_lua_module.so ] &&
       [ -e /usr/lib/nginx/modules/ndk_http_module.so ]; then
        ready nginx-lua
    else
        skip nginx-lua "lua module not installed (Debian libnginx-mod-http-lua)"
    fi
fi

# ---- h2o (configuration template; /echo needs h2o built with mruby) -----
if ! have h2o; then
    skip h2o "h2o not installed (Debian h2o)"
elif ! h2o --version 2>/dev/null | grep -q 'mruby: YES'; then
    skip h2o "this h2o has no mruby (needed for /echo)"
else
    ready h2o
fi

# ---- libmicrohttpd -----------------------------------------------------
if ! have "$CC"; then
    skip libmicrohttpd "no C compiler ($CC)"
elif ! have pkg-config || ! pkg-config --exists libmicrohttpd; then
    skip libmicrohttpd "libmicrohttpd not installed (Debian libmicrohttpd-dev, pkg-config)"
elif $CC $CFLAGS -std=c99 $(pkg-config --cflags libmicrohttpd) \
        "$here/mhd_bench.c" -o "$out/mhd_bench" \
        $(pkg-config --libs libmicrohttpd) -lpthread; then
    ready libmicrohttpd
else
    skip libmicrohttpd "mhd_bench.c did not compile"
fi

# ---- lua-http (a script run by luajit) ---------------------------------
if ! have luajit; then
    skip lua-http "luajit not installed (Debian luajit2)"
elif ! luajit -e 'require "http.server"; require "cqueues.signal"' 2>/dev/null; then
    skip lua-http "luajit cannot load http.server (Debian lua-http)"
else
    ready lua-http
fi

# ---- porter-lua (porter's LuaJIT binding; a script run by luajit) -------
if ! have luajit; then
    skip porter-lua "luajit not installed (Debian luajit2)"
elif [ ! -e "$build/libporter.so.0" ]; then
    skip porter-lua "no libporter.so.0 in $build (build porter first)"
else
    ready porter-lua
fi

# ---- nim-asynchttpserver -----------------------------------------------
if ! have nim; then
    skip nim-asynchttpserver "nim not installed (Debian nim)"
elif nim c -d:release --hints:off --verbosity:0 --nimcache:"$out/nimcache" \
        -o:"$out/nim_bench" "$here/nim_bench.nim"; then
    ready nim-asynchttpserver
else
    skip nim-asynchttpserver "nim_bench.nim did not compile"
fi

# ---- porter-nim (nim_bench.nim with porter's import instead) -------------
if ! have nim; then
    skip porter-nim "nim not installed (Debian nim)"
elif [ ! -e "$build/libporter.so" ]; then
    skip porter-nim "no libporter.so in $build (build porter first)"
elif sed 's#^import std/\[asyncdispatch, asynchttpserver, \(.*\)\]$#import std/[asyncdispatch, \1], porter/asynchttpserver#' \
        "$here/nim_bench.nim" > "$out/porter_nim_bench.nim" &&
     grep -q '^import .*porter/asynchttpserver$' "$out/porter_nim_bench.nim" &&
     nim c -d:release --hints:off --verbosity:0 \
        --nimcache:"$out/nimcache-porter" --path:"$repo/bindings/nim" \
        --passL:-L"$build" --passL:-Wl,-rpath,"$build" \
        -o:"$out/porter_nim_bench" "$out/porter_nim_bench.nim"; then
    ready porter-nim
else
    skip porter-nim "nim_bench.nim with porter's import did not compile"
fi
exit 0
