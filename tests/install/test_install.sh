#!/usr/bin/env bash
# Installs the built porter into a scratch prefix, then builds and runs a
# consumer through the CMake package and through pkg-config.
# Usage: test_install.sh BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
build=$1 src=$2 version=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/porter.h lib/libporter.so lib/libporter.so.${version%%.*} \
         lib/pkgconfig/porter.pc lib/cmake/porter/porterConfig.cmake; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done

cmake -S "$src/tests/install" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
got=$("$tmp/cmake/consumer")
[ "$got" = "$version" ] || { echo "find_package consumer printed '$got', want '$version'"; exit 1; }

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046
cc -std=c99 -Wall -Werror -o "$tmp/pc" "$src/tests/install/consumer.c" \
   $(pkg-config --cflags --libs porter) -Wl,-rpath,"$prefix/lib"
got=$("$tmp/pc")
[ "$got" = "$version" ] || { echo "pkg-config consumer printed '$got', want '$version'"; exit 1; }
echo "installed porter $version works through find_package and pkg-config"
