#!/bin/sh
# Regenerates the seed corpus of fuzz_layout (tests/fuzz/corpus/layout/)
# from make-corpus.c, which builds the disks with tests/unit/diskimg.h.
# Usage: tests/fuzz/make-corpus.sh   (from anywhere; needs a C compiler)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$root/scanner/include" \
	-o "$tmp/make-corpus" "$here/make-corpus.c"
mkdir -p "$here/corpus/layout"
"$tmp/make-corpus" "$here/corpus/layout"
ls -l "$here/corpus/layout"
