#!/bin/sh
# check_cdef.sh -- fails when porter/cdef.lua no longer matches
# include/porter.h (regenerate it with gen_cdef.sh).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
if sh "$here/gen_cdef.sh" | diff -u "$here/porter/cdef.lua" -; then
    echo "porter/cdef.lua matches include/porter.h"
else
    echo "porter/cdef.lua is stale: sh bindings/lua/gen_cdef.sh > bindings/lua/porter/cdef.lua"
    exit 1
fi
