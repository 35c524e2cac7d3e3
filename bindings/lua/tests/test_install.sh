#!/bin/sh
# test_install.sh BUILD_DIR -- installs porter (library and Lua modules)
# into a scratch prefix, then loads the modules from there with nothing
# set: porter.lua must find the library installed beside it.
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
lua_dir=$tmp/prefix/share/lua/5.1
for f in porter.lua porter/cdef.lua porter/libpath.lua porter/http/server.lua \
         porter/http/headers.lua porter/httpserver.lua porter/threads.lua \
         porter/compat/http/server.lua; do
    [ -e "$lua_dir/$f" ] || { echo "not installed: $f"; exit 1; }
done
cd "$tmp"
env -u PORTER_LIBRARY LUA_PATH="$lua_dir/?.lua;;" luajit -e '
    local porter = require "porter"
    local srv = assert(porter.new())
    assert(srv:listen("127.0.0.1:0"))
    srv:close()
    io.write("loaded porter ", porter.version(), "\n")
' | tee "$tmp/out"
grep -q "^loaded porter " "$tmp/out"
