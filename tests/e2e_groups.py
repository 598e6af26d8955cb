#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Debian's device permissions: SoftHSMv2 exactly as Debian ships it (the
system /etc/softhsm/softhsm2.conf root:softhsm 0640, /var/lib/softhsm/tokens
root:softhsm 2770, a token made by the service user) and a TPM whose sockets
are root:tss 0660 serve once the service user _parsec is in groups softhsm
and tss - what parsecd(8) tells an admin to do. The PKCS#11 and TPM workers
run with those groups; frontd, brokerd and the software provider, each as its
own user, with none; with the PKCS#11 and TPM workers' credentials a software
key file does not open.

Root only (it changes _parsec's groups and puts a token in the system token
directory, and takes both back afterwards); exits 77 otherwise.

Usage: e2e_groups.py TOPDIR
"""
import fcntl
import grp
import os
import pwd
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

import psa_sign_hash_pb2 as sign_pb  # noqa: E402

USER = "_parsec"
SYSTEM_CONF = "/etc/softhsm/softhsm2.conf"
SYSTEM_TOKENS = "/var/lib/softhsm/tokens"
LABEL = "parsecd-groups-%d" % os.getpid()


def as_user(*args):
    return subprocess.run(["runuser", "-u", USER, "--"] + list(args), capture_output=True,
                          text=True, cwd="/", env=system_env())


def system_env():
    env = dict(os.environ)
    env.pop("SOFTHSM2_CONF", None)  # the system configuration, as on a host
    return env


def debian_layout():
    """Whether SoftHSM is laid out as Debian ships it; a reason otherwise."""
    softhsm = grp.getgrnam("softhsm").gr_gid
    for path, mode in ((SYSTEM_CONF, 0o640), (SYSTEM_TOKENS, 0o2770)):
        st = os.stat(path)
        if (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) != (0, softhsm, mode):
            return "%s is %d:%d %04o, not root:softhsm %04o" % (
                path, st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), mode)
    return None


def members(group):
    return grp.getgrnam(group).gr_mem


def slot_of(label):
    out = as_user("softhsm2-util", "--show-slots").stdout
    for block in out.split("\nSlot ")[1:]:
        if re.search(r"Label:\s+%s\b" % re.escape(label), block):
            return int(block.split()[0])
    raise RuntimeError("no slot labelled %s:\n%s" % (label, out))


def sign(svc, provider, name):
    op = sign_pb.Operation(key_name=name, hash=bytes(32))
    op.alg.ecdsa.hash_alg.specific = eb.alg_pb.Algorithm.SHA_256
    return eb.call(svc.sock, provider, 0x04, op.SerializeToString(), eb.AUTH_DIRECT, b"app")[0]


def generate(svc, provider, name):
    from psa_generate_key_pb2 import Operation
    op = Operation(key_name=name, attributes=eb.p256_attributes())
    return eb.call(svc.sock, provider, 0x02, op.SerializeToString(), eb.AUTH_DIRECT, b"app")[0]


def children(pid, field="Groups"):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    kids = {}
    for p in out.split():
        exe = os.path.basename(os.readlink("/proc/%s/exe" % p))
        groups = next(line.split()[1:] for line in open("/proc/%s/status" % p)
                      if line.startswith(field + ":"))
        kids.setdefault(exe, []).append(sorted(int(g) for g in groups))
    return kids


def key_file_closed_to_devices(svc, kids):
    """The PKCS#11 and TPM workers' credentials (uid, gid, softhsm, tss) cannot open a software key."""
    keys = [os.path.join(svc.dir, "state", "mbed-crypto-provider", k) for k in svc.key_files()]
    uids, gids = children(svc.proc.pid, "Uid"), children(svc.proc.pid, "Gid")
    for exe in ("parsec-provider-pkcs11", "parsec-provider-tpm", "parsec-provider-mbed"):
        if not keys or not kids.get(exe):
            check("%s and a software key file to try" % exe, False, (keys, kids.get(exe)))
            continue
        groups = kids[exe][0]
        r = subprocess.run(["setpriv", "--reuid=%d" % uids[exe][0][0], "--regid=%d" % gids[exe][0][0],
                            "--groups=%s" % ",".join(map(str, groups)), "/usr/bin/cat", keys[0]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if exe == "parsec-provider-mbed":
            check("as the software provider's worker the key file opens (the control)",
                  r.returncode == 0, r.stderr)
        else:
            check("as the running %s (its uid and groups) a software key file does not open" % exe,
                  r.returncode != 0 and "Permission denied" in r.stderr, r.stderr)


def config_for(svc_dir, slot, tcti):
    return ('\n[[provider]]\nprovider_type = "Pkcs11"\nkey_info_manager = "sqlite-manager"\n'
            'library_path = "%s"\nslot_number = %d\nuser_pin = "%s"\n'
            '\n[[provider]]\nprovider_type = "Tpm"\nkey_info_manager = "sqlite-manager"\n'
            'tcti = "%s"\n' % (softhsmlib.MODULE, slot, softhsmlib.USER_PIN, tcti))


def serve(svc):
    try:
        svc.start()
    except RuntimeError as e:
        check("parsecd starts with the PKCS#11 and TPM providers", False, str(e)[-900:])
        return
    try:
        for p in (1, 2, 3):
            st = generate(svc, p, "k%d" % p)
            check("provider %d makes a key" % p, st == 0, st)
            st = sign(svc, p, "k%d" % p)
            check("provider %d signs with it" % p, st == 0, st)
        pw = pwd.getpwnam(USER)
        all_groups = sorted(os.getgrouplist(USER, pw.pw_gid))
        kids = children(svc.proc.pid)
        for exe in ("parsec-provider-pkcs11", "parsec-provider-tpm"):
            check("%s runs with the service user's groups (softhsm, tss)" % exe,
                  kids.get(exe) and all(g == all_groups for g in kids[exe]), (kids.get(exe), all_groups))
        gids = children(svc.proc.pid, "Gid")
        for exe in ("parsec-frontd", "parsec-brokerd", "parsec-provider-mbed"):
            check("%s keeps no supplementary group but its own user's" % exe,
                  kids.get(exe) and all(g == sorted(set(gid)) and g != [pw.pw_gid]
                                        for g, gid in zip(kids[exe], gids[exe])),
                  (kids.get(exe), gids.get(exe)))
        key_file_closed_to_devices(svc, kids)
    finally:
        svc.stop()


def main():
    if os.geteuid() != 0:
        print("e2e_groups: needs root (it adds %s to groups softhsm and tss); skipped" % USER)
        return 77
    if not softhsmlib.available() or not swtpmlib.available() or not os.path.exists(SYSTEM_CONF):
        print("e2e_groups: SoftHSMv2 (with its system configuration) or swtpm missing; skipped")
        return 77
    try:
        pwd.getpwnam(USER)
        grp.getgrnam("tss")
    except KeyError:
        print("e2e_groups: no user %s or no group tss (scripts/deps.sh); skipped" % USER)
        return 77
    # The service user's groups are the host's: two runs at once (two checkouts testing on one
    # machine) would take them from each other. One at a time.
    lock = open("/run/lock/parsecd-e2e-groups.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    why = debian_layout()
    check("SoftHSM is laid out as Debian ships it", why is None, why)
    added = [g for g in ("softhsm", "tss") if USER not in members(g)]
    os.environ.pop("SOFTHSM2_CONF", None)
    svc = eb.Service()
    tpm = swtpmlib.Swtpm()
    try:
        # What parsecd(8) tells an admin to do.
        subprocess.run(["usermod", "-aG", "softhsm,tss", USER], check=True)
        made = as_user("softhsm2-util", "--init-token", "--free", "--label", LABEL,
                       "--so-pin", softhsmlib.SO_PIN, "--pin", softhsmlib.USER_PIN)
        check("the service user makes a token in the system token directory", made.returncode == 0,
              made.stdout + made.stderr)
        tpm.start()
        tss = grp.getgrnam("tss").gr_gid
        for path in (tpm.sock, tpm.ctrl):
            os.chown(path, 0, tss)
            os.chmod(path, 0o660)
        with open(os.path.join(svc.dir, "config.toml"), "a") as f:
            f.write(config_for(svc.dir, slot_of(LABEL), tpm.tcti))
        os.chmod(os.path.join(svc.dir, "config.toml"), 0o600)
        serve(svc)
        if added:
            # Without the groups the same host does not start: the groups are what grants access.
            subprocess.run(["gpasswd", "-d", USER, "softhsm"], check=True, capture_output=True)
            started, code, log = svc.start_refused()
            check("without group softhsm the PKCS#11 provider cannot start",
                  not started and code not in (0, None), log[-600:])
    finally:
        svc.stop()
        subprocess.run(["softhsm2-util", "--delete-token", "--token", LABEL], env=system_env(),
                       capture_output=True)
        for g in added:
            subprocess.run(["gpasswd", "-d", USER, g], capture_output=True)
        tpm.remove()
        svc.remove()
    check("the test token is gone from the system token directory",
          not any(LABEL in open(os.path.join(SYSTEM_TOKENS, d, "token.object"), "rb").read().decode("latin-1")
                  for d in os.listdir(SYSTEM_TOKENS)
                  if os.path.exists(os.path.join(SYSTEM_TOKENS, d, "token.object"))))
    return summary("e2e_groups")


if __name__ == "__main__":
    sys.exit(main())
