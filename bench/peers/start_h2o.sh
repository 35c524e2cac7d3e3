#!/bin/sh
# start_h2o.sh PORT DIR -- start the h2o peer in the foreground: write
# DIR/www/hello.txt and DIR/www/1m, fill h2o.conf.in (beside this script)
# into DIR/h2o.conf, then exec h2o so that it is the process the harness
# started and will signal.
set -eu
port=$1
dir=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/www"
printf 'Hello World\n' > "$dir/www/hello.txt"
head -c 1048576 /dev/zero | tr '\0' x > "$dir/www/1m"
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$here/h2o.conf.in" > "$dir/h2o.conf"
exec h2o -m worker -c "$dir/h2o.conf"
