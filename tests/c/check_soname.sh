#!/bin/sh
# check_soname.sh LIBRARY EXPECTED_SONAME
set -u
lib=$1
want=$2
got=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$got" = "$want" ]; then
    echo "ok - soname is $want"
    exit 0
fi
echo "not ok - soname is '$got', want '$want'"
exit 1
