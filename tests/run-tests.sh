#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every test program given, then the proto and interop checks, and prints
# one total. Each Check program prints its own "Checks: N, Failures: F, Errors: E".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
total_pass=0
total_fail=0
failed_suites=()

# Suites that run as other uids (nobody, a client's uid) need what those uids execute
# where they can read it: here, or (a clone in /root, 0700) a copy made for this run.
stage=$(bash "$top/tests/stage.sh" "$top") || exit 1
if [ "$stage" != "$top" ]; then
	export PARSEC_TEST_STAGE=$stage
	trap 'rm -rf "$stage"' EXIT
	echo "== what other uids run is copied to $stage: they cannot enter $top"
fi

count_check_output() {
	local out=$1 line n f e
	line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		return 1
	fi
	n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
	f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
	e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
	total_pass=$((total_pass + n - f - e))
	total_fail=$((total_fail + f + e))
}

count_plain_output() {
	local out=$1 line p f
	line=$(grep -E '^[a-z0-9_]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -z "$line" ]; then
		return 1
	fi
	p=$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

run_one() {
	local name=$1; shift
	local out rc
	out=$(mktemp)
	echo "== $name"
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 77 ]; then
		echo "== $name: skipped"
		rm -f "$out"
		return
	fi
	if ! count_check_output "$out" && ! count_plain_output "$out"; then
		total_fail=$((total_fail + 1))
		echo "== $name: no summary line (exit $rc)"
	fi
	if [ "$rc" -ne 0 ]; then
		failed_suites+=("$name")
	fi
	rm -f "$out"
}

for prog in "$@"; do
	run_one "$(basename "$prog")" "$prog"
done

# The in-process unit suites once more under valgrind (not on sanitizer builds); with
# check_pkcs11 that is parsecd's PKCS#11 module, which it loads (about 30 s).
if command -v valgrind >/dev/null 2>&1 && [ -z "${PARSEC_SANITIZED:-}" ]; then
	for prog in "$@"; do
		case "$prog" in
		*check_wire | *check_ipc | *check_config | *check_jwt | *check_front | *check_libparsec | *check_upstream | *check_device | \
		*check_broker | *check_pkcs11 | *check_mbed_stream)
			run_one "$(basename "$prog") under valgrind" env CK_FORK=no valgrind -q \
			    --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$prog" ;;
		esac
	done
fi

# As root, the end-to-end programs run once more as an ordinary user: the
# sandbox then skips the uid and chroot steps and keeps everything else.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	for prog in "$@"; do
		case "$prog" in
		*check_core | *check_keys)
			run_one "$(basename "$prog") as nobody" \
			    setpriv --reuid=nobody --regid="$(id -gn nobody)" --clear-groups \
			    env -C "$stage" PARSEC_TEST_TOP="$stage" "$stage/tests/$(basename "$prog")" ;;
		esac
	done
fi

# Each fuzzer runs a short, fixed number of inputs (fixed seed, so CI is repeatable) over
# its seed corpus; make fuzz-long fuzzes for hours.
for fuzzer in ${FUZZ_PROGS:-}; do
	name=$(basename "$fuzzer")
	corpus="$top/fuzz/corpus/${name#fuzz_}"
	work=$(mktemp -d)
	echo "== $name"
	if "$top/$fuzzer" -seed=1 -runs=20000 -max_len=65536 -artifact_prefix="$work/" "$work" "$corpus" \
	    >"$work.log" 2>&1; then
		total_pass=$((total_pass + 1))
		echo "ok - $name: $(grep -o 'Done [0-9]* runs' "$work.log")"
	else
		total_fail=$((total_fail + 1))
		failed_suites+=("$name")
		tail -n 30 "$work.log"
	fi
	rm -rf "$work" "$work.log"
done

upstream=$(ls -d /usr/share/cargo/registry/parsec-interface-*/parsec-operations/protobuf 2>/dev/null | tail -n 1)
if [ -f "$top/tests/proto_compat.py" ]; then
	run_one proto_compat /usr/bin/python3 "$top/tests/proto_compat.py" "${upstream:-/nonexistent}" "$top/proto"
fi
for script in "$top"/tests/e2e_*.py; do
	[ -f "$script" ] && run_one "$(basename "$script" .py)" /usr/bin/python3 "$script" "$top"
done
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	run_one "e2e_ops as nobody" setpriv --reuid=nobody --regid="$(id -gn nobody)" \
	    --clear-groups env -C "$stage" /usr/bin/python3 "$stage/tests/e2e_ops.py" "$stage"
fi
# libparsec-psa's headers against Mbed TLS 2.28's and the API 1.0.1 text (about 30 s).
run_one check_psa_headers /usr/bin/python3 "$top/tests/check_psa_headers.py" "$top"
run_one man_lint bash "$top/tests/man_lint.sh" "$top"
run_one abi_check bash "$top/tests/abi_check.sh" "$top"
if [ -f "$top/tests/interop.sh" ]; then
	run_one interop bash "$top/tests/interop.sh" "$top"
fi

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "check: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ ${#failed_suites[@]} -eq 0 ]
