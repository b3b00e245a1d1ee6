#!/bin/sh
# Benchmark, not a test: how big a definitions bundle gets and how long it
# takes to load, for a large generated rule set (or a directory of rules).
#
#   tests/bench/defs-load.sh [NRULES | RULES_DIR] [ROUNDS]
#
# NRULES (default 10000) rules are generated, each with two text strings,
# a hex string with a jump and a condition, in files of 500 rules. The
# bundle is built and signed with the development key, then `rescue scan`
# of one small file is timed with the bundle and with the built-in rules
# only; the difference is the load time. Prints medians of ROUNDS (5).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
rescue=${RESCUE:-$root/out/rescue}
key=${RESCUE_DEFS_KEY:-$root/out/keys/development.key}
arg=${1:-10000}
rounds=${2:-5}
[ -x "$rescue" ] || { echo "bench: build first: no '$rescue'" >&2; exit 2; }
[ -f "$key" ] || { echo "bench: no key '$key' (make out/keys/development.key)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -d "$arg" ]; then
	rules=$arg
else
	rules=$tmp/rules
	mkdir -p "$rules"
	awk -v n="$arg" -v dir="$rules" 'BEGIN {
		srand(42)
		for (i = 0; i < n; i++) {
			f = sprintf("%s/gen-%03d.yar", dir, int(i / 500))
			h = ""
			for (k = 0; k < 6; k++)
				h = h sprintf("%02X ", int(rand() * 256))
			printf "rule Gen_%06d : bench\n{\n", i > f
			printf "    meta:\n        description = \"generated %d\"\n", i > f
			printf "    strings:\n" > f
			printf "        $a = \"bench-marker-%06d-alpha\"\n", i > f
			printf "        $b = \"bench-%06d-beta\" wide ascii\n", i > f
			printf "        $c = { %s[2-8] 4D 5A }\n", h > f
			printf "    condition:\n        2 of them\n}\n\n" > f
		}
	}'
fi
printf 'hello\n' >"$tmp/file.txt"

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

t0=$(now)
"$rescue" defs build "$rules" --set bench --version 1 --key "$key" -o "$tmp/bench.rdefs" >/dev/null
t1=$(now)
size=$(wc -c <"$tmp/bench.rdefs")
nrules=$("$rescue" defs verify "$tmp/bench.rdefs" | sed -n 's/.*version 1, \([0-9]*\) rules.*/\1/p')

time_scan() { # time_scan ARGS...: median seconds of ROUNDS runs
	i=0
	while [ "$i" -lt "$rounds" ]; do
		a=$(now)
		"$rescue" scan -q -j 1 "$@" "$tmp/file.txt" >/dev/null 2>&1 || true
		b=$(now)
		echo "$b - $a" | bc -l
		i=$((i + 1))
	done | median
}

with=$(time_scan --no-builtin --defs "$tmp/bench.rdefs")
without=$(time_scan)
printf 'rules:               %s\n' "$nrules"
printf 'build + sign:        %.2f s\n' "$(echo "$t1 - $t0" | bc -l)"
printf 'bundle size:         %d bytes (%.1f MiB)\n' "$size" "$(echo "$size / 1048576" | bc -l)"
printf 'scan with bundle:    %.3f s (median of %d)\n' "$with" "$rounds"
printf 'scan, built-in only: %.3f s\n' "$without"
printf 'bundle load time:    %.3f s (verify + load, by difference)\n' "$(echo "$with - $without" | bc -l)"
