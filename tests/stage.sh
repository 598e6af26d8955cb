#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the tests run as other uids (nobody, a client's uid): the built programs, the
# Python test scripts and their protobuf modules. Prints TOP when nobody can read them
# there; else (as root in a clone others cannot enter: /root is 0700) copies them into
# a fresh world-readable directory below /var/tmp and prints it; the caller removes it.
# Usage: stage.sh TOP
set -euo pipefail
top=$(cd "$1" && pwd)

if [ "$(id -u)" -ne 0 ] || ! id nobody >/dev/null 2>&1 ||
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    test -r "$top/tests/e2elib.py" -a -x "$top/parsecd/parsecd"; then
	echo "$top"
	exit 0
fi
stage=$(mktemp -d /var/tmp/parsecd-tests.XXXXXX)
chmod 0755 "$stage"
cd "$top"
for f in parsecd/parsecd frontd/parsec-frontd brokerd/parsec-brokerd adopt/parsec-adopt providerd/parsec-provider-* \
    tool/parsec-tool pkcs11/libparsec-pkcs11.so tests/*.py tests/pb/*.py tests/check_core tests/check_keys; do
	if [ -f "$f" ]; then printf '%s\n' "$f"; fi
done | tar -cf - -T - | tar -C "$stage" -xf -
chmod -R a+rX "$stage"
echo "$stage"
