#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# An installed parsecd on Debian's default paths (/etc/parsec/config.toml):
# each role runs as its own user, brokerd chrooted into the key store's
# directory, the key store and the software provider's key files with their
# owners and modes, a key file closed to every user but the provider's, and a
# root parent that maps no key store or device library (parsec-adopt reads them).
# Used by check-fresh (ROOT /) and check-package (the installed root).
# Usage: check-roles.sh PARSECD_PID ROOT (root only; ROOT has a key file)
set -eu
pid=$1
root=${2%/}
fail() { echo "check-roles: $*" >&2; exit 1; }
in_root() { chroot "${root:-/}" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
kim=/var/lib/parsec/kim-mappings/sqlite
mbed=/var/lib/parsec/mbed-crypto-provider

for kid in $(cat /proc/"$pid"/task/*/children); do
	exe=$(readlink /proc/"$kid"/exe)
	uid=$(awk '/^Uid:/ { print $2 }' /proc/"$kid"/status)
	case "$exe" in
	*/parsec-frontd) want=_parsec-front ;;
	*/parsec-brokerd) want=_parsec-broker
		[ "$(readlink /proc/"$kid"/root)" = "$root$kim" ] ||
			fail "brokerd's root is $(readlink /proc/"$kid"/root), not $root$kim" ;;
	*/parsec-provider-mbed) want=_parsec-mbed ;;
	*) fail "unknown child $exe" ;;
	esac
	[ "$uid" = "$(in_root id -u $want)" ] || fail "$exe runs as uid $uid, not $want"
done
libs=$(grep -oE '[^/]*(libsqlite3|libp11-kit|libtss2|libmbed)[^ ]*' /proc/"$pid"/maps | sort -u)
[ -z "$libs" ] || fail "the root parent maps" $libs
key=$(cd "${root:-/}" && ls ./$mbed/*.key | head -n 1 | cut -c2-)
[ -n "$key" ] || fail "no key file in $mbed"
for f in "$kim:_parsec-broker 700" "$kim/sqlite-key-info-manager.sqlite3:_parsec-broker 600" \
    "$mbed:_parsec-mbed 700" "$key:_parsec-mbed 600"; do
	got=$(in_root stat -c '%U %a' "${f%%:*}")
	[ "$got" = "${f#*:}" ] || fail "${f%%:*} is $got, not ${f#*:}"
done
for u in _parsec-broker _parsec-front $(in_root sed -n 's/^user = "\(.*\)"$/\1/p' \
    /etc/parsec/config.toml); do
	if in_root setpriv --reuid="$u" --regid="$u" --init-groups cat "$key" >/dev/null 2>&1; then
		fail "$u can read the key file $key"
	fi
done
in_root setpriv --reuid=_parsec-mbed --regid=_parsec-mbed --init-groups cat "$key" >/dev/null ||
	fail "_parsec-mbed cannot read $key"
echo "check-roles: frontd, brokerd (root $kim) and the software provider run as their users;" \
	"the key store is _parsec-broker's, the key files _parsec-mbed's alone;" \
	"the parent maps no key store or device library"
