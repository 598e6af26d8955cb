#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make check-fresh: what a newcomer sees. Builds a minimal Debian 12 root
# (debootstrap --variant=minbase bookworm, plus make and git), clones the committed
# HEAD into it as a newcomer does, as root into /root (0700: the service's users and
# the tests' other uids cannot enter it), runs `make run` until a Ping is answered on
# run/parsec.sock and stops it. Then `make dist` there, and from the tarball unpacked
# in /root alone (HEAD's tracked files, no .git): `make -j2 check`, and `make install
# prefix=/usr` after its plain build, whose installed daemon, helpers and default
# config must answer a Ping.
# Needs root and Debian's package archive.
# The base root is cached in $PARSEC_FRESH_BASE (default /var/cache/parsecd-fresh/
# bookworm); each run works on a copy that is removed afterwards.
set -euo pipefail

repo=$(cd "${1:-$(dirname "$0")/..}" && git rev-parse --show-toplevel)
base=${PARSEC_FRESH_BASE:-/var/cache/parsecd-fresh/bookworm}
run_timeout=${PARSEC_FRESH_RUN_TIMEOUT:-2400}
start=$(date +%s)

say() { printf 'check-fresh: %s (%ds)\n' "$*" "$(($(date +%s) - start))"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "check-fresh: needs root (debootstrap, chroot, mounts)" >&2
	exit 1
fi
commit=$(git -C "$repo" rev-parse HEAD)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
	echo "check-fresh: note: uncommitted changes are not tested; testing HEAD $commit"
fi

# The chroot gets a clean environment: no pyenv or cargo paths from the host.
in_root() {
	env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    chroot "$root" "$@"
}

# ---- the cached base: minbase bookworm with make and git --------------------
if [ ! -f "$base/.ready" ]; then
	command -v debootstrap >/dev/null 2>&1 || {
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
	}
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources \
	    2>/dev/null || true)
	say "building the base root in $base (debootstrap, once per machine)"
	rm -rf "$base.tmp"
	mkdir -p "$(dirname "$base")"
	debootstrap --variant=minbase bookworm "$base.tmp" ${mirror:+"$mirror"} \
	    >"$base.tmp.log" 2>&1 || { tail -n 20 "$base.tmp.log" >&2; exit 1; }
	cp /etc/resolv.conf "$base.tmp/etc/resolv.conf" 2>/dev/null || true
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
	    chroot "$base.tmp" sh -c 'apt-get update -q && apt-get install -y -q make git && apt-get clean' \
	    >>"$base.tmp.log" 2>&1 || { tail -n 20 "$base.tmp.log" >&2; exit 1; }
	touch "$base.tmp/.ready"
	rm -rf "$base"
	mv "$base.tmp" "$base"
	rm -f "$base.tmp.log"
fi

# ---- a throw-away copy, with /proc and /dev ---------------------------------
root=$(mktemp -d /var/tmp/parsecd-fresh.XXXXXX)
logs=${PARSEC_FRESH_LOGS:-/var/tmp/parsecd-fresh-logs.$(date +%Y%m%d-%H%M%S)}
runpid=
cleanup() {
	local rc=$? p n
	trap - EXIT INT TERM
	# On failure the logs outlive the root.
	if [ "$rc" -ne 0 ] && [ -d "$root/var/tmp" ]; then
		mkdir -p "$logs"
		cp "$root"/var/tmp/*.log "$root"/var/tmp/*.out "$logs"/ 2>/dev/null || true
		echo "check-fresh: logs kept in $logs" >&2
	fi
	if [ -n "$runpid" ]; then
		kill -TERM -- "-$runpid" 2>/dev/null || true
	fi
	# Whatever still runs inside the root (a daemon, swtpm) goes before the unmount.
	for n in 1 2 3 4 5 6 7 8 9 10; do
		left=""
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && left="$left ${p#/proc/}"
		done
		[ -z "$left" ] && break
		# shellcheck disable=SC2086
		if [ "$n" -lt 5 ]; then kill -TERM $left 2>/dev/null || true
		else kill -KILL $left 2>/dev/null || true; fi
		sleep 1
	done
	umount -R "$root/dev" 2>/dev/null || umount -l "$root/dev" 2>/dev/null || true
	umount "$root/proc" 2>/dev/null || umount -l "$root/proc" 2>/dev/null || true
	if mountpoint -q "$root/proc" || mountpoint -q "$root/dev"; then
		echo "check-fresh: could not unmount in $root; left in place" >&2
	else
		rm -rf "$root"
	fi
	say "done, exit $rc"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "copying the base root to $root"
cp -a "$base/." "$root/"
cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"

# A clone of the committed HEAD in root's home, which Debian makes 0700.
src=/root/parsecd
chmod 700 "$root/root"
mkdir -p "$root$src"
git init -q "$root$src"
git -C "$root$src" fetch -q "$repo" "$commit"
git -C "$root$src" checkout -q -b fresh "$commit"
say "cloned $commit into $src"

# ---- make run, until a Ping is answered -------------------------------------
log=$root/var/tmp/make-run.log
# A simple command (no function, no subshell), so $! is the process that setsid turns
# into the leader of make's own group: stopping it is a kill of that group.
env -i HOME=/root LANG=C.UTF-8 TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    chroot "$root" setsid sh -c "cd $src && exec make run" >"$log" 2>&1 </dev/null &
runpid=$!
say "make run started (log in the root: /var/tmp/make-run.log)"
answered=0
while [ $(($(date +%s) - start)) -lt "$run_timeout" ]; do
	if ! kill -0 "$runpid" 2>/dev/null; then
		break
	fi
	# run may be a link to a directory outside the clone: looked at from inside the root.
	if [ -x "$root$src/tool/parsec-tool" ] && in_root test -S "$src/run/parsec.sock" &&
	    in_root env PARSEC_SERVICE_ENDPOINT="unix:$src/run/parsec.sock" \
	    "$src/tool/parsec-tool" ping >"$root/var/tmp/ping.out" 2>&1; then
		answered=1
		break
	fi
	sleep 2
done
if [ "$answered" -ne 1 ]; then
	tail -n 40 "$log" >&2
	echo "check-fresh: FAIL: make run did not answer a Ping" >&2
	exit 1
fi
say "make run answered a Ping: $(cat "$root/var/tmp/ping.out")"
kill -TERM -- "-$runpid"
wait "$runpid" 2>/dev/null || true
runpid=
if grep -q "stopped after a failure" "$log"; then
	tail -n 20 "$log" >&2
	echo "check-fresh: FAIL: the service did not stop cleanly" >&2
	exit 1
fi
say "make run stopped"

# ---- make dist, then make -j2 check from the tarball alone --------------------
if ! in_root sh -c "cd $src && make dist" >"$root/var/tmp/make-dist.log" 2>&1; then
	tail -n 20 "$root/var/tmp/make-dist.log" >&2
	echo "check-fresh: FAIL: make dist" >&2
	exit 1
fi
tarball=$(cd "$root$src" && ls parsecd-*.tar.gz)
files=$(tar -tzf "$root$src/$tarball" | grep -vc '/$')
mkdir -p "$root/root/dist"
tar -xzf "$root$src/$tarball" -C "$root/root/dist"
src=/root/dist/${tarball%.tar.gz}
say "make dist: $tarball ($files files), unpacked in $src"
if ! in_root sh -c "cd $src && make -j2 check" >"$root/var/tmp/make-check.log" 2>&1; then
	tail -n 60 "$root/var/tmp/make-check.log" >&2
	echo "check-fresh: FAIL: make -j2 check" >&2
	exit 1
fi
grep -E '^check: [0-9]+ passed' "$root/var/tmp/make-check.log" || true
say "make -j2 check passed from the tarball"

# ---- make install prefix=/usr, as a distribution would, into this throw-away root ----
if ! in_root sh -c "cd $src && make -j2 install prefix=/usr" >"$root/var/tmp/make-install.log" 2>&1; then
	tail -n 30 "$root/var/tmp/make-install.log" >&2
	echo "check-fresh: FAIL: make install prefix=/usr" >&2
	exit 1
fi
in_root sh -s <<'INSTALLED' || { echo "check-fresh: FAIL: the installed service" >&2; exit 1; }
set -eu
fail() { echo "installed: $*" >&2; exit 1; }
cd /root/dist/parsecd-*
version=$(sed -n 's/^PACKAGE_VERSION = //p' config.mk)
[ "$(/usr/sbin/parsecd --version)" = "parsecd $version" ] || fail "parsecd --version"
[ "$(parsec-tool -V)" = "parsec-tool $version" ] || fail "parsec-tool -V"
[ "$(pkg-config --modversion libparsec)" = "$version" ] || fail "libparsec.pc version"
conf=/etc/parsec/config.toml
[ "$(stat -c %a $conf)" = 600 ] || fail "$conf is not mode 0600"
/usr/sbin/parsecd -t -c $conf >/dev/null || fail "parsecd -t -c $conf"
# A helper that is not executable is named by -t with its full path.
chmod -x /usr/libexec/parsec/parsec-provider-mbed
out=$(/usr/sbin/parsecd -t -c $conf 2>&1) && fail "parsecd -t passed without its provider"
chmod +x /usr/libexec/parsec/parsec-provider-mbed
case "$out" in *"/usr/libexec/parsec/parsec-provider-mbed"*) ;; *) fail "-t said: $out" ;; esac
# The installed daemon on the installed default config answers a Ping.
/usr/sbin/parsecd -c $conf >/var/tmp/installed.log 2>&1 &
pid=$!
i=0
until parsec-tool ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] && kill -0 $pid 2>/dev/null || { cat /var/tmp/installed.log >&2; fail "no Ping"; }
	sleep 0.2
done
# Each role as its own user, in Debian's default paths with their modes.
parsec-tool create-ecc-key --key-name fresh-roles >/dev/null || fail "create-ecc-key"
sh tests/check-roles.sh $pid / || fail "a user per role"
kill -TERM $pid; wait $pid || fail "parsecd did not stop cleanly"
# A second install keeps the admin's config.
echo "# edited by the admin" >>$conf
make install prefix=/usr >/dev/null
grep -q "edited by the admin" $conf || fail "make install replaced $conf"
echo "installed: versions, -t, helper check, Ping, a user per role and config kept: ok"
INSTALLED
say "PASS: make run, make dist, make -j2 check and make install on a fresh Debian 12"
