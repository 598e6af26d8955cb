#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop: upstream Parsec's own Rust codec (Debian's parsec-interface crate,
# built offline) against parsecd started on an upstream-style config.toml.
set -euo pipefail
top=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cargo=${CARGO:-$(command -v cargo || true)}
if [ -z "$cargo" ] || ! ls -d /usr/share/cargo/registry/parsec-interface-* >/dev/null 2>&1; then
	echo "interop: cargo or Debian's librust-parsec-interface-dev missing; skipped"
	exit 77
fi

passed=0
failed=0
check() {
	if [ "$2" = 0 ]; then
		echo "ok - $1"
		passed=$((passed + 1))
	else
		echo "not ok - $1"
		failed=$((failed + 1))
	fi
}

echo "interop: building the client with $cargo"
(cd "$top/tests/interop" && "$cargo" build --quiet --offline)
client="$top/tests/interop/target/debug/parsecd-interop"

tmp=$(mktemp -d /tmp/parsecd-interop.XXXXXX)
chmod 755 "$tmp"
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/config.toml" <<TOML
[core_settings]
log_level = "info"
body_len_limit = 4096

[listener]
listener_type = "DomainSocket"
timeout = 2000
socket_path = "$tmp/parsec.sock"

[authenticator]
auth_type = "Direct"

[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "$tmp/kim/kim.sqlite3"

[[provider]]
provider_type = "MbedCrypto"
key_info_manager = "sqlite-manager"

[privsep]
state_dir = "$tmp/state"
TOML

chmod 644 "$tmp/config.toml"
"$top/parsecd/parsecd" -c "$tmp/config.toml" >"$tmp/parsecd.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	grep -q "listening on" "$tmp/parsecd.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "listening on" "$tmp/parsecd.log"
check "parsecd starts on an upstream config.toml" $?

children=$(ps -o pid= --ppid "$pid" | wc -l)
[ "$children" -ge 3 ]
check "parent has $children children (frontd, brokerd, providers)" $?

set +e
out=$(PARSEC_SERVICE_ENDPOINT="unix:$tmp/parsec.sock" INTEROP_NO_TOTAL=1 "$client")
set -e
echo "$out" | grep -v '^# rust:'
rust=$(echo "$out" | grep '^# rust:' || echo "# rust: 0 1")
passed=$((passed + $(echo "$rust" | awk '{print $3}')))
failed=$((failed + $(echo "$rust" | awk '{print $4}')))

kill -TERM "$pid"
stopped=1
for _ in $(seq 50); do
	if ! kill -0 "$pid" 2>/dev/null; then
		stopped=0
		break
	fi
	sleep 0.1
done
wait "$pid" 2>/dev/null
rc=$?
pid=
check "SIGTERM stops the service cleanly (exit $rc)" $((stopped + rc))
[ ! -e "$tmp/parsec.sock" ]
check "the socket is removed on stop" $?

if [ "$failed" -ne 0 ]; then
	echo "--- parsecd log"
	cat "$tmp/parsecd.log"
fi
echo "interop: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
