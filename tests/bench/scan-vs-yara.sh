#!/bin/sh
# Benchmark, not a test: times `rescue scan`, the yara CLI and a plain read
# of every file over the same tree and rules, and prints the median of each
# and the ratios. It never fails on speed.
#
#   tests/bench/scan-vs-yara.sh [TREE [RULES [ROUNDS]]]
#
# TREE defaults to /usr/lib, RULES (a .yar file or a directory of them) to
# the built-in definitions, ROUNDS to 5. One warm-up round of each fills the
# page cache first, so the figures compare scanning, not disk speed.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
tree=${1:-/usr/lib}
rules=${2:-$root/rescue/definitions}
rounds=${3:-5}
rescue=${RESCUE:-$root/out/rescue}
cpus=$(nproc)

[ -d "$tree" ] || { echo "bench: no directory '$tree'" >&2; exit 2; }
[ -x "$rescue" ] || { echo "bench: build first: no '$rescue'" >&2; exit 2; }
command -v yara >/dev/null || { echo "bench: yara CLI missing (apt-get install yara)" >&2; exit 2; }

if [ -d "$rules" ]; then
	rule_files=$(find "$rules" -type f \( -name '*.yar' -o -name '*.yara' \) | sort)
else
	rule_files=$rules
fi
[ -n "$rule_files" ] || { echo "bench: no rules in '$rules'" >&2; exit 2; }

# The externals rescue defines, so the same rules compile for yara.
ext="-d filename= -d filepath= -d extension= -d filetype= -d owner="

now() { date +%s.%N; }

# run NAME CMD...: warm-up once, then ROUNDS timed runs; prints the median.
run() {
	name=$1
	shift
	"$@" >/dev/null 2>&1 || true
	times=
	i=0
	while [ "$i" -lt "$rounds" ]; do
		t0=$(now)
		"$@" >/dev/null 2>&1 || true
		t1=$(now)
		times="$times $(echo "$t1 - $t0" | bc -l)"
		i=$((i + 1))
	done
	median=$(printf '%s\n' $times | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
			else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	printf '%-28s median %8.3f s   (rounds:%s)\n' "$name" "$median" \
		"$(printf ' %.3f' $times)" >&2
	echo "$median"
}

files=$(find "$tree" -type f 2>/dev/null | wc -l)
bytes=$(find "$tree" -type f -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
echo "tree: $tree ($files files, $((bytes / 1048576)) MiB); rules: $rules; cpus: $cpus; rounds: $rounds" >&2

# shellcheck disable=SC2086
t_rescue=$(run "rescue scan -j $cpus" "$rescue" scan -q --no-builtin \
	--unsigned-rules $(for f in $rule_files; do printf -- '--rules %s ' "$f"; done) \
	-j "$cpus" --max-size 0 "$tree")
# shellcheck disable=SC2086
t_yara=$(run "yara -r -N -p $cpus" yara -r -N -p "$cpus" $ext $rule_files "$tree")
t_cat=$(run "find -exec cat (read only)" sh -c 'find "$1" -type f -exec cat {} + >/dev/null' sh "$tree")

echo
printf 'rescue scan   %8.3f s\n' "$t_rescue"
printf 'yara          %8.3f s\n' "$t_yara"
printf 'plain read    %8.3f s\n' "$t_cat"
printf 'rescue / yara       %6.2f\n' "$(echo "$t_rescue / $t_yara" | bc -l)"
printf 'rescue / plain read %6.2f\n' "$(echo "$t_rescue / $t_cat" | bc -l)"
if [ "$bytes" -gt 0 ]; then
	printf 'rescue throughput   %6.1f MiB/s, %6.0f files/s\n' \
		"$(echo "$bytes / 1048576 / $t_rescue" | bc -l)" \
		"$(echo "$files / $t_rescue" | bc -l)"
fi
