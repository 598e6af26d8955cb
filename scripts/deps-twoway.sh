#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lists the file-to-file dependencies of one folder's C files that run both
# ways. A depends on B when A includes B's header (B.h next to B.c; the
# folder's own header, named after the folder, declares for every file and
# does not count) or names a function or global that B defines without
# static (a call, or a function handed over as a pointer). Comments and
# strings are not told apart from code: a name mentioned in a comment counts.
# A program's main is nobody's dependency (no file calls it; SQLite's schema
# "main" would otherwise tie every file that attaches one to it).
# Usage: scripts/deps-twoway.sh DIR...  (prints pairs, then "N of M dependencies";
# exit status 1 if a folder has a dependency that runs both ways).
set -eu

deps_folder() {
	local dir=$1 f g sym defs
	local -A owner=()
	local -a files=("$dir"/*.c)

	[ -e "${files[0]}" ] || return 0
	# Symbols each file defines: a name at column 0 followed by "(" (a function,
	# OpenBSD style), or a file-scope variable definition; static ones stay local.
	for f in "${files[@]}"; do
		defs=$(awk '
			/^[a-z_][a-z0-9_]*\(/ && !/^main\(/ && prev !~ /^static/ && prev !~ /^#/ {
				sub(/\(.*/, ""); print }
			/^(struct|int|uint[0-9]+_t|size_t|char|const) [^(;]* \**[a-z_][a-z0-9_]*( = .*)?;$/ && !/^static/ {
				line = $0; sub(/( = .*)?;$/, "", line); n = split(line, w, /[ *]+/);
				print w[n] }
			{ prev = $0 }' "$f")
		for sym in $defs; do
			owner[$sym]=$f
		done
	done
	local -A edge=()
	for f in "${files[@]}"; do
		for g in "${files[@]}"; do
			[ "$f" = "$g" ] && continue
			if [ -e "${g%.c}.h" ] && [ "${g%.c}" != "$dir/$(basename "$dir")" ] && grep -q "^#include \"$(basename "${g%.c}.h")\"" "$f"; then
				edge["$f $g"]=1
			fi
		done
		for sym in "${!owner[@]}"; do
			g=${owner[$sym]}
			[ "$g" = "$f" ] && continue
			[ -n "${edge["$f $g"]:-}" ] && continue
			if grep -qw -- "$sym" "$f"; then
				edge["$f $g"]=1
			fi
		done
	done
	local total=0 twoway=0 e a b
	for e in "${!edge[@]}"; do
		total=$((total + 1))
		a=${e% *}
		b=${e#* }
		if [ -n "${edge["$b $a"]:-}" ]; then
			twoway=$((twoway + 1))
			[[ "$a" < "$b" ]] && echo "$(basename "$a") <-> $(basename "$b")"
		fi
	done | sort
	total=0
	for e in "${!edge[@]}"; do
		total=$((total + 1))
		a=${e% *}
		b=${e#* }
		[ -n "${edge["$b $a"]:-}" ] && twoway=$((twoway + 1))
	done
	echo "$dir: $twoway of $total dependencies run both ways"
	[ "$twoway" -eq 0 ]
}

[ $# -gt 0 ] || set -- brokerd
status=0
for d in "$@"; do
	deps_folder "${d%/}" || status=1
done
exit $status
