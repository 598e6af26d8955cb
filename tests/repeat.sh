#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make check-repeat N=20: runs every end-to-end suite (the Check programs that
# start a real parsecd, and tests/e2e_*.py) N times over and names each suite
# that failed even once, with the rounds and where its output was kept.
# Usage: repeat.sh N CHECK_PROGRAM...
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:?usage: repeat.sh N CHECK_PROGRAM...}
shift
case "$rounds" in
'' | *[!0-9]* | 0) echo "repeat.sh: N must be a positive number, not '$rounds'" >&2; exit 2 ;;
esac
logs="$top/tests/tmp/repeat"
rm -rf "$logs"
mkdir -p "$logs"

# name, then the command; the same list each round.
suites=()
commands=()
for prog in "$@"; do
	suites+=("$(basename "$prog")")
	commands+=("$prog")
done
for script in "$top"/tests/e2e_*.py; do
	suites+=("$(basename "$script" .py)")
	commands+=("/usr/bin/python3 $script $top")
done
# What nobody and the clients' uids run: here, or a copy they can read (tests/stage.sh).
stage=$(bash "$top/tests/stage.sh" "$top") || exit 1
if [ "$stage" != "$top" ]; then
	export PARSEC_TEST_STAGE=$stage
	trap 'rm -rf "$stage"' EXIT
fi
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	suites+=("e2e_ops_as_nobody")
	commands+=("setpriv --reuid=nobody --regid=$(id -gn nobody) --clear-groups env -C $stage /usr/bin/python3 $stage/tests/e2e_ops.py $stage")
fi

declare -A failed_rounds=() skipped=() passed=()
nfailed=0
rounds_done=0
start=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
	for i in "${!suites[@]}"; do
		name=${suites[$i]}
		log="$logs/$name.$round.log"
		t0=$(date +%s)
		# shellcheck disable=SC2086 # each command is a word list by design
		${commands[$i]} >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 77 ]; then
			skipped[$name]=1
			rm -f "$log"
			continue
		fi
		if [ "$rc" -ne 0 ]; then
			[ -n "${failed_rounds[$name]:-}" ] || nfailed=$((nfailed + 1))
			failed_rounds[$name]="${failed_rounds[$name]:-} $round"
			echo "round $round/$rounds: $name FAILED (exit $rc, $(($(date +%s) - t0)) s); output kept in $log"
		else
			passed[$name]=$((${passed[$name]:-0} + 1))
			rm -f "$log"
		fi
	done
	rounds_done=$round
	echo "round $round/$rounds done after $(($(date +%s) - start)) s; failures so far: $nfailed suite(s)"
done

echo
for name in "${suites[@]}"; do
	if [ -n "${skipped[$name]:-}" ]; then
		echo "$name: skipped (exit 77)"
	elif [ -n "${failed_rounds[$name]:-}" ]; then
		echo "$name: FAILED in round(s)${failed_rounds[$name]}; passed ${passed[$name]:-0} of $rounds_done"
	else
		echo "$name: passed ${passed[$name]:-0} of $rounds_done"
	fi
done
echo "check-repeat: $rounds_done of $rounds rounds of ${#suites[@]} suites in $(($(date +%s) - start)) s;" \
    "$nfailed suite(s) failed at least once"
[ "$nfailed" -eq 0 ] && [ "$rounds_done" -eq "$rounds" ]
