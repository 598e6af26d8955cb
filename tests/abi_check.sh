#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libparsec's ABI as built against the committed list (libparsec/libparsec.abi):
# a symbol that disappears or changes version fails, as does one exported
# without being listed; the static archive keeps only parsec_* names global.
# The same for libparsec-psa against its version map.
set -u
top=$(cd "${1:-$(dirname "$0")/..}" && pwd)
so="$top/libparsec/libparsec.so"
ar="$top/libparsec/libparsec.a"
list="$top/libparsec/libparsec.abi"
passed=0
failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/    /'
	failed=$((failed + 1))
}

# The differences between an expected list and an actual one, one per line:
# "missing X" (listed, not exported as listed) and "unlisted X".
abi_diff() {
	comm -23 "$1" "$2" | sed 's/^/missing /'
	comm -13 "$1" "$2" | sed 's/^/unlisted /'
}

grep -v '^#' "$list" | sort >"$work/expected"
nm -D --defined-only --with-symbol-versions "$so" | awk '{ print $3 }' | sort >"$work/actual"

diffs=$(abi_diff "$work/expected" "$work/actual")
if [ -z "$diffs" ]; then
	ok "libparsec.so exports the $(wc -l <"$work/expected") symbol versions libparsec.abi lists"
else
	not_ok "libparsec.so differs from libparsec.abi (a new symbol goes into a new version node and the list)" \
	    "$diffs"
fi

foreign=$(grep -v -e '^parsec_' -e '^LIBPARSEC_' "$work/actual")
if [ -z "$foreign" ]; then ok "libparsec.so exports only parsec_*"; else not_ok "libparsec.so exports more" "$foreign"; fi

nm -g --defined-only "$ar" | awk 'NF == 3 { print $3 }' | sort >"$work/static"
sed -n 's/^\(parsec_[a-z0-9_]*\)@.*/\1/p' "$work/expected" | sort >"$work/names"
if cmp -s "$work/static" "$work/names"; then
	ok "libparsec.a's globals are the $(wc -l <"$work/names") parsec_* names, nothing else"
else
	not_ok "libparsec.a's globals differ from the list" "$(comm -3 "$work/names" "$work/static" | head -n 10)"
fi

# The check itself: a symbol gone and a version changed are both seen.
sed 1d "$work/actual" >"$work/gone"
sed 's/@@LIBPARSEC_0$/@@LIBPARSEC_1/' "$work/actual" | sort >"$work/moved"
if abi_diff "$work/expected" "$work/gone" | grep -q '^missing ' &&
    abi_diff "$work/expected" "$work/moved" | grep -q '^missing parsec_ping@@LIBPARSEC_0$'; then
	ok "a symbol that disappears or changes version is reported"
else
	not_ok "the comparison misses a removed or re-versioned symbol"
fi

# libparsec-psa: every function its version map names (the API 1.0.1's), at
# LIBPARSEC_PSA_0, and nothing else; the nanopb descriptors inside, psa_* too, stay local.
psa_map="$top/psa/libparsec-psa.map"
if [ -f "$top/psa/libparsec-psa.so" ]; then
	sed -n 's/^[[:space:]]*\(psa_[a-z0-9_]*\);$/\1/p' "$psa_map" | sort >"$work/psa_names"
	{ sed 's/$/@@LIBPARSEC_PSA_0/' "$work/psa_names"; echo "LIBPARSEC_PSA_0"; } |
		sort >"$work/psa_expected"
	sed -n 's/^\(psa_status_t\|void\) \(psa_[a-z0-9_]*\)(.*/\2/p' "$top/psa/include/psa/crypto.h" |
		sort >"$work/psa_declared"
	if cmp -s "$work/psa_declared" "$work/psa_names"; then
		ok "psa/libparsec-psa.map names the $(wc -l <"$work/psa_names") functions <psa/crypto.h> declares"
	else
		not_ok "psa/libparsec-psa.map and <psa/crypto.h> name different functions" \
		    "$(comm -3 "$work/psa_declared" "$work/psa_names" | head -n 10)"
	fi
	nm -D --defined-only --with-symbol-versions "$top/psa/libparsec-psa.so" | awk '{ print $3 }' |
		sort >"$work/psa_actual"
	diffs=$(abi_diff "$work/psa_expected" "$work/psa_actual")
	if [ -z "$diffs" ]; then
		ok "libparsec-psa.so exports the $(wc -l <"$work/psa_names") functions of its version map, nothing else"
	else
		not_ok "libparsec-psa.so differs from psa/libparsec-psa.map" "$diffs"
	fi
	nm -g --defined-only "$top/psa/libparsec-psa.a" | awk 'NF == 3 { print $3 }' | sort >"$work/psa_static"
	if cmp -s "$work/psa_static" "$work/psa_names"; then
		ok "libparsec-psa.a's globals are the $(wc -l <"$work/psa_names") psa_* functions, nothing else"
	else
		not_ok "libparsec-psa.a's globals differ from the version map" \
		    "$(comm -3 "$work/psa_names" "$work/psa_static" | head -n 10)"
	fi
fi

echo "abi_check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
