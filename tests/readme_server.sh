#!/usr/bin/env bash
# Compiles the README's C server, so the page keeps telling the truth.
# Usage: readme_server.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk '/^```c$/ {on=1; next} /^```$/ && on {exit} on' "$src/README.md" > "$tmp/hello.c"
lines=$(wc -l < "$tmp/hello.c")
[ "$lines" -ge 10 ] || { echo "no C server found in README.md"; exit 1; }
[ "$lines" -le 25 ] || { echo "the README's server has $lines lines; it promises about 20"; exit 1; }
cc -std=c99 -Wall -Wextra -pedantic -Werror -I"$src/include" -o "$tmp/hello" \
   "$tmp/hello.c" -L"$build" -lporter
echo "README server: $lines lines, compiles cleanly"
