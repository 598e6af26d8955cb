#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Lists every C function longer than a limit (default 80 lines, from the line
# naming it to its closing brace) in the .c files under the folders given;
# exit status 1 if there is one. For the tree's style: name at the start of
# a line, the body's braces alone at the start of theirs.
#   scripts/funclen.sh [-n LINES] [-a] DIR...   (-a: every function, longest first)
set -eu
limit=80
all=0
while getopts n:a opt; do
	case $opt in
	n) limit=$OPTARG ;;
	a) all=1 ;;
	*) echo "usage: $0 [-n LINES] [-a] DIR..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-n LINES] [-a] DIR..." >&2; exit 2; }

find "$@" -name '*.c' ! -name '*.pb.c' -print0 | sort -z | xargs -0 awk '
	FNR == 1 { name = ""; inside = 0 }
	# A definition starts at column 0: "name(" with its type on the line before,
	# or "static int name(" on one line.
	!inside && /^[A-Za-z_][A-Za-z0-9_ \t*]*\(/ && !/;[ \t]*$/ {
		name = $0; sub(/\(.*/, "", name); sub(/.*[ \t*]/, "", name); start = FNR; next
	}
	!inside && /^\{/ && name != "" { inside = 1; next }
	!inside && /^[^ \t#\/*]/ && !/^\{/ && !/^[A-Za-z_][A-Za-z0-9_ \t*]*$/ && !/^[ \t]/ && !/,[ \t]*$/ && !/\)[ \t]*$/ { name = "" }
	inside && /^\}/ {
		printf "%d\t%s:%d: %s\n", FNR - start + 1, FILENAME, start, name
		inside = 0; name = ""
	}
' | sort -rn | awk -v limit="$limit" -v all="$all" -F '\t' '
	{ if (all || $1 > limit) print $2 ": " $1 " lines" }
	$1 > limit { over++ }
	END { if (!all) printf "%d function(s) over %d lines\n", over + 0, limit > "/dev/stderr"; exit over > 0 }
'
