#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages parsecd builds and tests with, when any is missing.
# Quiet and fast when everything is present; needs root (or sudo) otherwise.
set -eu

PACKAGES="gcc make autoconf automake pkg-config clang clang-14 libclang-rt-14-dev python3 \
libevent-dev libseccomp-dev libmbedtls-dev nanopb libnanopb-dev \
python3-protobuf python3-cryptography python3-grpcio protobuf-compiler libsqlite3-dev libbsd-dev check \
p11-kit libp11-kit-dev softhsm2 opensc libtss2-dev swtpm swtpm-tools tpm2-tools \
gnutls-bin libengine-pkcs11-openssl openssh-client openssh-server \
openssl sqlite3 procps util-linux man-db groff-base cargo librust-parsec-interface-dev valgrind"

# --go: what the official Go client's end-to-end tests build with (tests/e2e_go_client.py).
if [ "${1:-}" = "--go" ]; then
	PACKAGES="golang-go golang-github-onsi-ginkgo-dev golang-gomega-dev \
golang-github-pkg-errors-dev golang-google-protobuf-dev golang-golang-x-sys-dev \
golang-gopkg-check.v1-dev golang-github-kr-pretty-dev"
fi

# --bench: what make bench-matrix draws its plot with (not needed to build or test).
if [ "${1:-}" = "--bench" ]; then
	PACKAGES="gnuplot-nox"
fi

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: not root and no sudo; install these packages:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The users the children drop to when started as root, one per role: _parsec
# ([privsep] user: the PKCS#11 and TPM providers), _parsec-front (frontd),
# _parsec-broker (brokerd, the key store) and _parsec-mbed (the software
# provider, its key files).
if [ "$(id -u)" -eq 0 ]; then
	for user in _parsec _parsec-front _parsec-broker _parsec-mbed; do
		if ! getent passwd "$user" >/dev/null 2>&1; then
			useradd --system --no-create-home --home-dir /nonexistent \
				--shell /usr/sbin/nologin --user-group "$user"
			echo "deps: created system user $user"
		fi
	done
fi
exit 0
