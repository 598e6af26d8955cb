#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the PKCS#11 conformance suite (tests/check_pkcs11) against SoftHSMv2's
# module on a token of its own, which proves the suite's expectations on a
# module other than ours. Exit 77 when SoftHSMv2 is not installed.
set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
module=/usr/lib/softhsm/libsofthsm2.so
if [ ! -e "$module" ] || ! command -v softhsm2-util >/dev/null 2>&1; then
	echo "SoftHSMv2 is not installed: skipped"
	exit 77
fi
work=$(mktemp -d /tmp/p11-softhsm.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
mkdir "$work/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$work/tokens" >"$work/softhsm2.conf"
export SOFTHSM2_CONF=$work/softhsm2.conf
softhsm2-util --init-token --free --label conf-test --so-pin 12345678 --pin 1234 >/dev/null || exit 1
P11_TEST_MODULE=$module P11_TEST_PIN=1234 P11_TEST_TOKEN=conf-test "$top/tests/check_pkcs11"
