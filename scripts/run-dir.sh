#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make run's directory (socket, key store, state), printed: ./run in the clone, or,
# as root in a clone the service's users cannot pass through (a clone in /root, 0700,
# or in a home directory 0750), /var/tmp/parsecd-run.<hash of the clone's path>, the
# same for the same clone at every make run, with ./run a link to it.
# Usage: run-dir.sh CLONE
set -eu
top=$1

# Whether every role's user may pass through the clone to ./run.
reachable() {
	for user in _parsec _parsec-front _parsec-broker _parsec-mbed; do
		id "$user" >/dev/null 2>&1 || continue
		setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups \
		    test -x "$top" || return 1
	done
}

# A link made by an earlier make run stays: its directory is reused.
if [ -L "$top/run" ]; then
	echo "$top/run"
	exit 0
fi
if [ "$(id -u)" -ne 0 ] || reachable; then
	mkdir -p "$top/run"
	echo "$top/run"
	exit 0
fi

dir=/var/tmp/parsecd-run.$(printf '%s' "$top" | sha256sum | cut -c1-16)
mkdir -m 0755 "$dir" 2>/dev/null || true
# /var/tmp is everyone's: a directory someone else made there in advance is refused.
if [ -L "$dir" ] || [ ! -d "$dir" ] || [ "$(stat -c %u "$dir")" != 0 ] ||
    [ $(($(stat -c %#a "$dir") & 022)) -ne 0 ]; then
	echo "make run: $dir is not a directory of root's that only root may write; remove it" >&2
	exit 1
fi
printf '%s\n' "$top" >"$dir/clone"
if [ -d "$top/run" ]; then
	echo "make run: the service's users cannot reach $top/run (a directory above it is" \
	    "closed to them); using $dir instead (remove $top/run to have it linked there)" >&2
else
	ln -s "$dir" "$top/run"
	echo "make run: the service's users cannot reach $top; its socket and state are in" \
	    "$dir (./run links there; make distclean removes both)" >&2
fi
echo "$dir"
