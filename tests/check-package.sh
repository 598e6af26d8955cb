#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make check-package: builds the Debian packages from this tree (copied into /root,
# where a newcomer's clone is), checks them with lintian, installs them with apt in a
# fresh Debian 12 root and uses them as an admin
# and as clients would: parsecd -t, the unit's ExecStart run by hand (no systemd in
# the root) under the unit's capability bounding set, parsec-tool as a member of
# parsec-clients and as a user outside it, stop, remove, purge; then
# systemd-analyze verify and security on the installed unit.
# Needs root and Debian's archive. The base root is cached in $PARSECD_PKG_CACHE.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${PARSECD_PKG_CACHE:-/var/cache/parsecd-fresh-pkg}
BASE=$CACHE/base
MAX_EXPOSURE=3.5 # the unit's score before this package existed; it must stay below
t0=$(date +%s)
APT="apt-get -q -y -o DPkg::Lock::Timeout=900"

step() { printf '\n== %s (%ds)\n' "$*" $(($(date +%s) - t0)); }
fail() {
	echo "check-package: FAIL: $*" >&2
	if [ -s "${W:-/nonexistent}/parsecd.log" ]; then
		echo "-- parsecd's output:" >&2
		tail -n 30 "$W/parsecd.log" >&2
	fi
	exit 1
}
ok() { echo "ok - $*"; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, apt)"

W=$(mktemp -d /var/tmp/parsecd-pkg.XXXXXX)
# The source where a newcomer's clone is: in root's home (Debian's is 0700).
SRC=$(mktemp -d /root/parsecd-pkg-src.XXXXXX)
R=$W/root
PARSECD_PID=
cleanup() {
	if [ -n "$PARSECD_PID" ] && kill -0 "$PARSECD_PID" 2>/dev/null; then
		kill -KILL "$PARSECD_PID" 2>/dev/null || true
	fi
	# Children of a parsecd killed above: only processes running this root's binaries.
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/exe" 2>/dev/null)" in
		"$R"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;;
		esac
	done
	for m in "$R/dev" "$R/proc"; do
		if mountpoint -q "$m" 2>/dev/null; then
			umount "$m" || umount -l "$m" || true
		fi
	done
	# Never delete through a mount that is still there.
	if mountpoint -q "$R/dev" 2>/dev/null || mountpoint -q "$R/proc" 2>/dev/null; then
		echo "check-package: $R still has mounts; left in place" >&2
	else
		rm -rf --one-file-system "$W"
	fi
	rm -rf --one-file-system "$SRC"
}
trap cleanup EXIT INT TERM

step "tools: dpkg-dev, debhelper, lintian, debootstrap and the Build-Depends"
tools=""
for p in dpkg-dev debhelper fakeroot lintian debootstrap; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || tools="$tools $p"
done
export DEBIAN_FRONTEND=noninteractive
if [ -n "$tools" ]; then
	$APT update >/dev/null
	# shellcheck disable=SC2086
	$APT install --no-install-recommends $tools >/dev/null
fi

version=$(sed -n 's/^AC_INIT(\[parsecd\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
src=$SRC/parsecd-$version
debs="parsecd parsec-tool libparsec0 libparsec-dev libparsec-psa0 libparsec-psa-dev parsec-pkcs11"
if [ -n "${PARSECD_PKG_DEBS:-}" ]; then
	# Iterating on the install checks: .debs built by an earlier run.
	mkdir -p "$SRC" && cp "$PARSECD_PKG_DEBS"/*.deb "$SRC/"
	build_s=0
else
	step "build the .debs from the working tree (tracked and new files, no build products)"
	mkdir -p "$src"
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar -cf - --null -T -) | tar -C "$src" -xf -
	(cd "$src" && $APT build-dep ./ >/dev/null)
	tb=$(date +%s)
	if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
		tail -n 40 "$W/build.log"
		fail "dpkg-buildpackage"
	fi
	build_s=$(($(date +%s) - tb))
	for p in $debs; do
		[ -f "$SRC/${p}_${version}_$(dpkg --print-architecture).deb" ] || fail "no $p .deb"
	done
	ok "dpkg-buildpackage -us -uc -b built $debs in ${build_s}s"

	step "lintian"
	changes=$(ls "$SRC"/parsecd_*.changes)
	lintian --display-info "$changes" >"$W/lintian.log" 2>&1 || true
	sed -n 's/^\([EWI]\): .*/\1/p' "$W/lintian.log" | sort | uniq -c | sed 's/^/  lintian /'
	grep -E '^[EW]: ' "$W/lintian.log" || true
	if grep -q '^E: ' "$W/lintian.log"; then
		fail "lintian reports errors"
	fi
	ok "lintian: no error"
fi

step "a fresh Debian 12 root (base cached in $BASE)"
if [ ! -f "$BASE/.ready" ]; then
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	rm -rf --one-file-system "$BASE"
	mkdir -p "$CACHE"
	debootstrap --variant=minbase bookworm "$BASE" ${mirror:+"$mirror"} >"$W/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$W/debootstrap.log"; fail "debootstrap"; }
	touch "$BASE/.ready"
fi
mkdir -p "$R"
cp -a "$BASE/." "$R/"
# The host's archive (and its security and updates suites) in place of debootstrap's line.
if cp /etc/apt/sources.list.d/debian.sources "$R/etc/apt/sources.list.d/" 2>/dev/null; then
	rm -f "$R/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$R/proc"
mount --bind /dev "$R/dev"
mkdir -p "$R/tmp/debs"
for p in $debs; do cp "$SRC/${p}_${version}"_*.deb "$R/tmp/debs/"; done
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
as_user() { local u=$1; shift; in_root setpriv --reuid="$u" --regid="$u" --init-groups env HOME=/ "$@"; }

step "apt install the .debs"
in_root $APT update >/dev/null
in_root sh -c "DEBIAN_FRONTEND=noninteractive $APT install --no-install-recommends /tmp/debs/*.deb" \
	>"$W/install.log" 2>&1 || { tail -n 30 "$W/install.log"; fail "apt install"; }
in_root getent passwd parsec >/dev/null || fail "no parsec user"
in_root getent group parsec-clients >/dev/null || fail "no parsec-clients group"
for u in _parsec-front _parsec-broker _parsec-mbed; do
	in_root getent passwd $u >/dev/null || fail "no $u user"
done
ok "apt installed them; the users parsec, _parsec-front, _parsec-broker, _parsec-mbed and the parsec-clients group exist"
in_root dpkg-query -W -f='${Conffiles}\n' parsecd | grep -q '/etc/parsec/config.toml' ||
	fail "/etc/parsec/config.toml is not a conffile"
[ "$(stat -c %a "$R/etc/parsec/config.toml")" = 600 ] || fail "config.toml is not 0600"
ok "/etc/parsec/config.toml is a conffile, mode 0600"
for h in parsec-frontd parsec-brokerd parsec-provider-mbed parsec-provider-pkcs11 parsec-provider-tpm; do
	[ -x "$R/usr/libexec/parsec/$h" ] || fail "no /usr/libexec/parsec/$h"
done
in_root pkg-config --modversion libparsec >/dev/null 2>&1 ||
	[ -f "$R/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/pkgconfig/libparsec.pc" ] ||
	fail "no libparsec.pc"

step "parsecd -t -c /etc/parsec/config.toml"
in_root parsecd -t -c /etc/parsec/config.toml || fail "parsecd -t"
ok "parsecd -t passes on the packaged configuration"

step "the unit's ExecStart by hand, under the unit's bounding set, NoNewPrivileges and UMask"
unit=$R/lib/systemd/system/parsecd.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
bset=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ \+/,+/g')
[ -n "$exec_start" ] && [ -n "$bset" ] || fail "no ExecStart or CapabilityBoundingSet in the unit"
echo "  ExecStart=$exec_start"
# What RuntimeDirectory= and StateDirectory= would create before starting it.
for kind in Runtime State; do
	d=$(sed -n "s/^${kind}Directory=//p" "$unit")
	m=$(sed -n "s/^${kind}DirectoryMode=//p" "$unit")
	case $kind in Runtime) base=/run ;; State) base=/var/lib ;; esac
	[ -n "$d" ] && in_root install -d -m "${m:-0755}" "$base/$d"
done
echo "  setpriv --bounding-set -all,+$bset --no-new-privs"
chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c \
	"umask 0077; exec setpriv --bounding-set -all,+$bset --no-new-privs $exec_start" \
	>"$W/parsecd.log" 2>&1 &
PARSECD_PID=$!
sock=$R/run/parsec/parsec.sock
for _ in $(seq 1 100); do
	[ -S "$sock" ] && break
	kill -0 "$PARSECD_PID" 2>/dev/null || { cat "$W/parsecd.log"; fail "parsecd exited"; }
	sleep 0.1
done
[ -S "$sock" ] || { cat "$W/parsecd.log"; fail "no socket at /run/parsec/parsec.sock"; }
mode=$(in_root stat -c '%a %U:%G' /run/parsec/parsec.sock)
[ "$mode" = "660 root:parsec-clients" ] || fail "socket is $mode, not 0660 root:parsec-clients"
ok "serving on /run/parsec/parsec.sock (0660, group parsec-clients)"

step "a client in parsec-clients: ping, create-ecc-key, sign, export-public-key, verify"
in_root useradd --create-home --groups parsec-clients alice
in_root useradd --create-home bob
for _ in $(seq 1 50); do
	as_user alice parsec-tool ping >/dev/null 2>&1 && break
	sleep 0.1
done
as_user alice parsec-tool ping || fail "alice: ping"
as_user alice parsec-tool create-ecc-key --key-name pkgkey || fail "alice: create-ecc-key"
sig=$(as_user alice parsec-tool sign --key-name pkgkey "signed by the package test") ||
	fail "alice: sign"
[ -n "$sig" ] || fail "alice: empty signature"
pem=$(as_user alice parsec-tool export-public-key --key-name pkgkey) || fail "alice: export-public-key"
grep -q -- "-----BEGIN PUBLIC KEY-----" <<<"$pem" || fail "alice: export-public-key printed no PEM"
as_user alice parsec-tool verify --key-name pkgkey --signature "$sig" "signed by the package test" ||
	fail "alice: her own signature does not verify"
if as_user alice parsec-tool verify --key-name pkgkey --signature "$sig" "something else" \
	>/dev/null 2>&1; then
	fail "alice: the signature verifies over other data"
fi
ok "alice (parsec-clients) pinged, created, signed, exported (PEM) and verified"

step "a PSA Crypto program built with pkg-config parsec-psa: init, random, hash, a persistent ECC key signs and verifies"
in_root sh -c "DEBIAN_FRONTEND=noninteractive $APT install --no-install-recommends gcc libc6-dev pkg-config" \
	>"$W/gcc.log" 2>&1 || { tail -n 20 "$W/gcc.log"; fail "installing gcc and pkg-config"; }
cat >"$R/tmp/psa_pkg.c" <<'PSA'
#include <psa/crypto.h>
#include <stdio.h>
#include <string.h>

#define TRY(call) do { psa_status_t s_ = (call); if (s_ != PSA_SUCCESS) { \
	printf("%s: %d\n", #call, (int)s_); return 1; } } while (0)

int main(void)
{
	/* SHA-256("abc"), FIPS 180-2 appendix B.1: its first bytes */
	static const uint8_t abc256[4] = { 0xba, 0x78, 0x16, 0xbf };
	psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
	uint8_t buf[PSA_HASH_MAX_SIZE], sig[PSA_SIGNATURE_MAX_SIZE];
	size_t n, siglen;
	psa_key_id_t key;

	TRY(psa_crypto_init());
	TRY(psa_generate_random(buf, sizeof(buf)));
	TRY(psa_hash_compute(PSA_ALG_SHA_256, (const uint8_t *)"abc", 3, buf, sizeof(buf), &n));
	if (n != 32 || memcmp(buf, abc256, sizeof(abc256)) != 0) {
		printf("wrong SHA-256\n");
		return 1;
	}
	psa_set_key_type(&attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
	psa_set_key_bits(&attr, 256);
	psa_set_key_usage_flags(&attr, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
	psa_set_key_algorithm(&attr, PSA_ALG_ECDSA(PSA_ALG_SHA_256));
	psa_set_key_id(&attr, 42); /* persistent: the service's key psa-key-42 */
	TRY(psa_generate_key(&attr, &key));
	TRY(psa_sign_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), buf, n, sig, sizeof(sig), &siglen));
	TRY(psa_verify_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), buf, n, sig, siglen));
	buf[0] ^= 1;
	if (psa_verify_hash(key, PSA_ALG_ECDSA(PSA_ALG_SHA_256), buf, n, sig, siglen) !=
	    PSA_ERROR_INVALID_SIGNATURE) {
		printf("a signature verifies over another hash\n");
		return 1;
	}
	TRY(psa_destroy_key(key));
	printf("psa ok\n");
	return 0;
}
PSA
in_root sh -c 'cd /tmp && gcc -Wall -Werror -o psa_pkg psa_pkg.c $(pkg-config --cflags --libs parsec-psa)' ||
	fail "building a PSA program with pkg-config --cflags --libs parsec-psa"
in_root pkg-config --cflags parsec-psa | grep -q -- "-I/usr/include/parsec-psa" ||
	fail "pkg-config --cflags parsec-psa does not point at /usr/include/parsec-psa"
out=$(as_user alice /tmp/psa_pkg 2>&1) || { echo "$out"; fail "alice: the PSA program"; }
[ "$out" = "psa ok" ] || { echo "$out"; fail "alice: the PSA program says $out"; }
ok "a PSA program built with pkg-config parsec-psa ran as alice: random, SHA-256, an ECDSA key in the service"

step "p11-kit picks up parsec-pkcs11: list-modules, and p11-kit-proxy.so exposes the slots"
in_root sh -c "DEBIAN_FRONTEND=noninteractive $APT install --no-install-recommends p11-kit p11-kit-modules opensc" \
	>"$W/p11.log" 2>&1 || { tail -n 20 "$W/p11.log"; fail "installing p11-kit, p11-kit-modules and opensc"; }
mods=$(as_user alice p11-kit list-modules 2>&1) || fail "alice: p11-kit list-modules: $mods"
# Each module is a line "name: path", its library and tokens indented below it.
parsec_mod=$(echo "$mods" | sed -n '/^parsec: /,/^[^ ]/{/^parsec: \|^ /p}')
echo "$parsec_mod" | sed 's/^/  /'
grep -q "^parsec: libparsec-pkcs11.so$" <<<"$parsec_mod" && grep -q "token: Parsec MbedCrypto$" <<<"$parsec_mod" ||
	{ echo "$mods"; fail "p11-kit list-modules shows no module parsec with the token Parsec MbedCrypto"; }
proxy=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/p11-kit-proxy.so
slots=$(as_user alice pkcs11-tool --module "$proxy" --list-token-slots 2>&1) ||
	fail "alice: pkcs11-tool --module p11-kit-proxy.so -L: $slots"
grep -q "token label *: Parsec MbedCrypto" <<<"$slots" ||
	{ echo "$slots"; fail "p11-kit-proxy.so exposes no Parsec MbedCrypto slot"; }
objs=$(as_user alice pkcs11-tool --module "$proxy" --token-label "Parsec MbedCrypto" --list-objects 2>&1) ||
	fail "alice: pkcs11-tool --list-objects through the proxy: $objs"
grep -q "label: *pkgkey" <<<"$objs" || { echo "$objs"; fail "alice's key pkgkey is not an object through the proxy"; }
ok "p11-kit list-modules shows parsec; through p11-kit-proxy.so alice sees the Parsec MbedCrypto token and her key pkgkey"

step "a user per role, in Debian's default paths and modes"
sh "$(dirname "$0")/check-roles.sh" "$PARSECD_PID" "$R" || fail "roles"
ok "frontd, brokerd and the software provider each run as their user; the key files are closed to the others"

step "a user outside parsec-clients is refused by the socket's mode"
rc=0
out=$(as_user bob parsec-tool ping 2>&1) || rc=$?
echo "  bob: exit $rc: $out"
[ "$rc" -eq 1 ] || fail "bob: parsec-tool ping exit $rc, expected 1 (no service reachable)"
in_root adduser --quiet bob parsec-clients
as_user bob parsec-tool ping >/dev/null || fail "bob, once in parsec-clients, still cannot ping"
ok "bob was refused; the same user in parsec-clients is served"

step "SIGTERM stops parsecd and every child"
ts=$(date +%s%N)
kill -TERM "$PARSECD_PID"
for _ in $(seq 1 100); do
	kill -0 "$PARSECD_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$PARSECD_PID" 2>/dev/null && fail "parsecd still running 10 s after SIGTERM"
wait "$PARSECD_PID" || fail "parsecd exited $? on SIGTERM"
PARSECD_PID=
stop_ms=$((($(date +%s%N) - ts) / 1000000))
left=$(for p in /proc/[0-9]*; do
	exe=$(readlink "$p/exe" 2>/dev/null) || continue
	case "$exe" in "$R"/usr/libexec/parsec/* | "$R"/usr/sbin/parsecd) echo "${p#/proc/} $exe" ;; esac
done)
[ -z "$left" ] || fail "processes left: $left"
ok "stopped in ${stop_ms} ms, no process left"

step "systemd-analyze on the installed unit (systemd added to the root for this)"
in_root sh -c "DEBIAN_FRONTEND=noninteractive $APT install --no-install-recommends systemd procps man-db" \
	>"$W/systemd.log" 2>&1 || { tail -n 20 "$W/systemd.log"; fail "installing systemd"; }
in_root mandb -q >/dev/null 2>&1 || true
verify=$(in_root systemd-analyze verify parsecd.service parsecd.socket 2>&1) || true
if [ -n "$verify" ]; then
	echo "$verify"
	fail "systemd-analyze verify is not clean"
fi
ok "systemd-analyze verify parsecd.service parsecd.socket: clean"
score=$(in_root systemd-analyze security --offline=yes parsecd.service 2>&1 |
	sed -n 's/.*Overall exposure level for parsecd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "no exposure level from systemd-analyze security"
awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s < m) }' ||
	fail "exposure $score is not below $MAX_EXPOSURE"
ok "systemd-analyze security --offline=yes: exposure $score (must be below $MAX_EXPOSURE)"

step "remove keeps the keys and the configuration; purge deletes them after a warning"
in_root $APT remove parsecd >"$W/remove.log" 2>&1 || { cat "$W/remove.log"; fail "apt remove"; }
[ -f "$R/etc/parsec/config.toml" ] || fail "remove deleted the configuration"
[ -n "$(find "$R/var/lib/parsec" -type f 2>/dev/null)" ] || fail "remove deleted the key store"
grep -q "stay in /var/lib/parsec" "$W/remove.log" || fail "remove says nothing about the kept keys"
in_root $APT purge parsecd >"$W/purge.log" 2>&1 || { cat "$W/purge.log"; fail "apt purge"; }
grep "parsecd: " "$W/purge.log" | sed 's/^/  /'
grep -q "WARNING: purging deletes every key" "$W/purge.log" || fail "purge gave no warning"
[ ! -e "$R/var/lib/parsec" ] && [ ! -e "$R/etc/parsec" ] || fail "purge left /var/lib/parsec or /etc/parsec"
ok "remove kept /etc/parsec and /var/lib/parsec; purge warned, then deleted both"

echo
echo "check-package: all passed in $(($(date +%s) - t0)) s (package build ${build_s} s)"
