#!/bin/sh
# check_symbols.sh LIBRARY SYMBOLS_TXT PORTER_H
#
# The library exports exactly the functions of porter.h, each in the one
# version node PORTER_0: `nm -D --defined-only` must list the names in
# symbols.txt and nothing else (the version-node symbol PORTER_0 aside),
# and symbols.txt must be exactly the functions porter.h declares.
set -u
lib=$1
list=$2
header=$3
status=0

sorted() { LC_ALL=C sort; }

want=$(sorted < "$list")
if [ "$want" != "$(printf '%s\n' "$want" | LC_ALL=C sort -u)" ]; then
    echo "not ok - $list has duplicate lines"
    status=1
fi

# 1. the functions porter.h declares (prototypes start at column 0)
declared=$(grep -v '^typedef' "$header" |
    sed -n 's/^[a-z][a-z_ ]*[ *]\([a-z_][a-z0-9_]*\)(.*/\1/p' | sorted)
if [ "$declared" = "$want" ]; then
    echo "ok - symbols.txt lists exactly the functions of porter.h"
else
    echo "not ok - symbols.txt differs from porter.h (- symbols.txt, + porter.h):"
    printf '%s\n' "$declared" | diff -u "$list" - | sed 's/^/# /'
    status=1
fi

# 2. what the library exports
nm_out=$(nm -D --defined-only "$lib") || { echo "not ok - nm failed"; exit 1; }
exported=$(printf '%s\n' "$nm_out" | awk 'NF >= 2 { print $NF }' |
    sed 's/@.*//' | grep -vx 'PORTER_0' | sorted)
if [ "$exported" = "$want" ]; then
    echo "ok - nm -D --defined-only equals symbols.txt"
else
    echo "not ok - exported symbols differ (- symbols.txt, + library):"
    printf '%s\n' "$exported" | diff -u "$list" - | sed 's/^/# /'
    status=1
fi

# 3. each export is in the version node PORTER_0
unversioned=$(objdump -T "$lib" | awk '
    $1 ~ /^[0-9a-f]+$/ && $0 !~ /\*UND\*/ {
        if (NF < 7 || ($(NF-1) != "PORTER_0" && $(NF-1) != "(PORTER_0)"))
            print $NF
    }')
if [ -z "$unversioned" ]; then
    echo "ok - every export is in version node PORTER_0"
else
    echo "not ok - exports outside version node PORTER_0:"
    printf '%s\n' "$unversioned" | sed 's/^/# /'
    status=1
fi
exit $status
