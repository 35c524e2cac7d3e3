#!/bin/sh
# start_nginx.sh PORT DIR [TEMPLATE] -- start an nginx peer in the
# foreground: fill the template (default nginx.conf.in beside this script)
# into DIR/nginx.conf, write the 1 MiB file DIR/www/1m, then exec nginx so
# that it is the process the harness started and will signal.
set -eu
port=$1
dir=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
template=${3:-$here/nginx.conf.in}
case $template in /*) ;; *) template=$here/$template ;; esac
mkdir -p "$dir/www"
head -c 1048576 /dev/zero | tr '\0' x > "$dir/www/1m"
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$template" > "$dir/nginx.conf"
exec nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log"
