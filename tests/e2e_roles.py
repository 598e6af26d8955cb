#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Least privilege per role, through a real parsecd started as root.

- frontd, brokerd and the software provider each run as a user of their own
  (_parsec-front, _parsec-broker, _parsec-mbed) with no other group; brokerd's
  root is its key store's directory, which holds nothing but the key store.
- The key store is brokerd's user's alone (0600 in a 0700 directory), the
  software provider's directory and key files its user's alone (0700, 0600).
- With the credentials of the running brokerd, and with those of [privsep]
  user (the PKCS#11 and TPM providers' user, with its groups), a software key
  file cannot be opened; with the software provider's it can (the control).
- A deployment every child ran as one user (state owned by _parsec) is handed
  to the roles' users at the next start and serves the same key.
- A role's user named in [privsep] that does not exist stops the start,
  naming the key. A key store below a directory brokerd's user cannot enter
  stops it too (and parsecd -t), naming the path, the user and that directory.
- Upstream's config (no [privsep], no [[key_manager]]) starts on Debian's
  default paths, in a mount namespace with a tmpfs on /var/lib: the roles,
  brokerd's root and the owners and modes are the same there.

Usage: e2e_roles.py TOPDIR (root only; skipped otherwise)
"""
import os
import pwd
import subprocess
import sys

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "tests", "pb"))

import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

ROLES = {"parsec-frontd": "_parsec-front", "parsec-brokerd": "_parsec-broker",
         "parsec-provide": "_parsec-mbed"}
ONE_USER = 'frontd_user = "_parsec"\nbrokerd_user = "_parsec"\nmbed_user = "_parsec"\n'


def owner_mode(path):
    st = os.lstat(path)
    return pwd.getpwuid(st.st_uid).pw_name, st.st_mode & 0o7777


def can_open(path, uid, gid, groups):
    """Whether a process with these credentials opens path for reading."""
    r = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
                        "--groups=%s" % ",".join(str(g) for g in groups) if groups else "--clear-groups",
                        "/usr/bin/cat", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    return r.returncode == 0, r.stderr.strip()


def creds(pid):
    f = eb.proc_status(pid)
    return int(f["Uid"][0]), int(f["Gid"][0]), [int(g) for g in f["Groups"]]


def children(svc):
    return [(p, c) for p, c in eb.service_pids(svc.proc.pid) if p != svc.proc.pid]


def role_users(svc):
    kids = children(svc)
    check("parsecd has frontd, brokerd and two software provider workers", len(kids) == 4, kids)
    uids = {}
    for pid, comm in kids:
        want = pwd.getpwnam(ROLES[comm[:14]])
        f = eb.proc_status(pid)
        check("%s (%d) runs as %s and nothing else" % (comm, pid, want.pw_name),
              set(f["Uid"]) == {str(want.pw_uid)} and set(f["Gid"]) == {str(want.pw_gid)} and
              f["Groups"] == [str(want.pw_gid)], (f["Uid"], f["Gid"], f["Groups"]))
        uids.setdefault(comm[:14], set()).add(want.pw_uid)
    check("three roles, three uids, none of them root or [privsep] user",
          len(set().union(*uids.values())) == 3 and 0 not in set().union(*uids.values()) and
          pwd.getpwnam("_parsec").pw_uid not in set().union(*uids.values()), uids)
    return dict((c[:14], p) for p, c in kids)


def layout(svc, pids):
    kim_dir = os.path.join(svc.dir, "kim")
    mbed_dir = os.path.join(svc.dir, "state", "mbed-crypto-provider")
    root = os.readlink("/proc/%d/root" % pids["parsec-brokerd"])
    check("brokerd's root is its key store's directory", root == kim_dir, root)
    check("which holds the key store alone", sorted(os.listdir(kim_dir)) ==
          ["kim.sqlite3", "kim.sqlite3-shm", "kim.sqlite3-wal"], os.listdir(kim_dir))
    check("the key store's directory is brokerd's user's, 0700",
          owner_mode(kim_dir) == ("_parsec-broker", 0o700), owner_mode(kim_dir))
    check("the key store is brokerd's user's, 0600",
          owner_mode(os.path.join(kim_dir, "kim.sqlite3")) == ("_parsec-broker", 0o600),
          owner_mode(os.path.join(kim_dir, "kim.sqlite3")))
    check("the software provider's directory is its user's, 0700",
          owner_mode(mbed_dir) == ("_parsec-mbed", 0o700), owner_mode(mbed_dir))
    keys = [os.path.join(mbed_dir, k) for k in svc.key_files()]
    check("a key file was made", len(keys) == 1, keys)
    for k in keys:
        check("the key file is the software provider's user's, 0600",
              owner_mode(k) == ("_parsec-mbed", 0o600), owner_mode(k))
    return keys[0] if keys else None


def key_access(pids, key):
    ok, err = can_open(key, *creds(pids["parsec-brokerd"]))
    check("as the running brokerd (uid, gid, groups) the key file does not open",
          not ok and "Permission denied" in err, err)
    dev = pwd.getpwnam("_parsec")
    ok, err = can_open(key, dev.pw_uid, dev.pw_gid, os.getgrouplist("_parsec", dev.pw_gid))
    check("as [privsep] user with its groups (PKCS#11, TPM) the key file does not open",
          not ok and "Permission denied" in err, err)
    ok, err = can_open(key, *creds(pids["parsec-frontd"]))
    check("as the running frontd the key file does not open", not ok, err)
    ok, err = can_open(key, *creds(pids["parsec-provide"]))
    check("as the running software provider it does (the control)", ok, err)


def roles():
    svc = eb.Service()
    try:
        svc.start()
        app = eb.App(svc, "app")
        check("a key is made", app.generate("k") == 0)
        pids = role_users(svc)
        key = layout(svc, pids)
        if key:
            key_access(pids, key)
    finally:
        svc.stop()
        svc.remove()


def handed_over():
    svc = eb.Service(privsep_extra=ONE_USER)
    cfg = os.path.join(svc.dir, "config.toml")
    try:
        svc.start()
        app = eb.App(svc, "app")
        check("one user of before: a key is made", app.generate("k") == 0)
        st, pem = app.public("k")
        svc.stop()
        mbed_dir = os.path.join(svc.dir, "state", "mbed-crypto-provider")
        check("one user of before: the state is _parsec's",
              owner_mode(mbed_dir)[0] == "_parsec" and
              owner_mode(os.path.join(svc.dir, "kim", "kim.sqlite3"))[0] == "_parsec",
              (owner_mode(mbed_dir), owner_mode(os.path.join(svc.dir, "kim", "kim.sqlite3"))))
        with open(cfg) as f:
            text = f.read().replace(ONE_USER, "")
        with open(cfg, "w") as f:
            f.write(text)
        svc.start()
        check("the next start with a user per role serves the same key",
              app.public("k") == (0, pem) and st == 0, app.public("k")[0])
        kim_dir = os.path.join(svc.dir, "kim")
        got = [owner_mode(os.path.join(kim_dir, f))[0] for f in os.listdir(kim_dir)] + \
            [owner_mode(kim_dir)[0]]
        check("the key store and its directory were handed to brokerd's user",
              set(got) == {"_parsec-broker"}, got)
        got = [owner_mode(os.path.join(mbed_dir, f))[0] for f in os.listdir(mbed_dir)] + \
            [owner_mode(mbed_dir)[0]]
        check("the software provider's directory and files to its user",
              set(got) == {"_parsec-mbed"}, got)
        check("and the start said so", "handed from uid" in svc.log() and
              "given to _parsec-mbed" in svc.log(), svc.log()[-800:])
    finally:
        svc.stop()
        svc.remove()


def missing_user():
    svc = eb.Service(privsep_extra='brokerd_user = "parsecd-no-such-user"\n')
    try:
        started, code, log = svc.start_refused()
        check("a brokerd_user that does not exist stops the start, naming the key",
              not started and code not in (0, None) and "brokerd_user" in log and
              "parsecd-no-such-user" in log, log[-400:])
    finally:
        svc.stop()
        svc.remove()


def unreachable():
    """A key store below a directory only root may enter (a clone in /root, 0700): the
    start and -t stop, naming the path, brokerd's user and the directory in the way."""
    svc = eb.Service()
    os.chmod(svc.dir, 0o700)
    want = ["user _parsec-broker cannot reach %s/kim" % svc.dir,
            "%s (owner root, group root, mode 0700) does not let it through" % svc.dir]
    try:
        started, code, log = svc.start_refused()
        check("a key store brokerd's user cannot reach stops the start, naming the path, the "
              "user and the directory in the way", not started and code not in (0, None) and
              all(w in log for w in want), log[-600:])
        check("and before anything is made there", not os.path.exists(os.path.join(svc.dir, "kim")),
              os.listdir(svc.dir))
        r = subprocess.run([os.path.join(TOP, "parsecd", "parsecd"), "-t", "-c",
                            os.path.join(svc.dir, "config.toml")], capture_output=True, text=True)
        check("parsecd -t says the same", r.returncode != 0 and all(w in r.stderr for w in want),
              (r.returncode, r.stdout, r.stderr[-600:]))
    finally:
        os.chmod(svc.dir, 0o755)
        svc.stop()
        svc.remove()


UPSTREAM_CONFIG = """[core_settings]
log_level = "info"
[listener]
listener_type = "DomainSocket"
timeout = 3000
socket_path = "%s/parsec.sock"
[authenticator]
auth_type = "Direct"
[[provider]]
provider_type = "MbedCrypto"
"""


def upstream_default():
    """Upstream's config (no [privsep], no [[key_manager]]) on Debian's default paths.

    Run in a mount namespace of its own with a tmpfs on /var/lib, so the host's
    /var/lib/parsec is neither seen nor touched.
    """
    svc = eb.Service()
    with open(os.path.join(svc.dir, "config.toml"), "w") as f:
        f.write(UPSTREAM_CONFIG % svc.dir)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/var/lib"], check=True)
        svc.start()
        app = eb.App(svc, "app")
        check("upstream's config without [privsep] serves: a key is made", app.generate("k") == 0)
        pids = dict((c[:14], p) for p, c in children(svc))
        kim = "/var/lib/parsec/kim-mappings/sqlite"
        mbed = "/var/lib/parsec/mbed-crypto-provider"
        check("brokerd's root is upstream's default key store directory",
              os.readlink("/proc/%d/root" % pids.get("parsec-brokerd", 0)) == kim,
              os.readlink("/proc/%d/root" % pids.get("parsec-brokerd", 0)))
        check("each role runs as its user", all(
            int(eb.proc_status(pids[c])["Uid"][0]) == pwd.getpwnam(u).pw_uid for c, u in ROLES.items()),
            dict((c, eb.proc_status(pids[c])["Uid"]) for c in pids))
        got = [owner_mode("/var/lib/parsec"), owner_mode(kim),
               owner_mode(kim + "/sqlite-key-info-manager.sqlite3"), owner_mode(mbed)] + \
            [owner_mode(os.path.join(mbed, k)) for k in os.listdir(mbed) if k.endswith(".key")]
        check("Debian's default paths and modes: state root's 0755, key store and key files "
              "their users' alone", got == [("root", 0o755), ("_parsec-broker", 0o700),
                                            ("_parsec-broker", 0o600), ("_parsec-mbed", 0o700),
                                            ("_parsec-mbed", 0o600)], got)
    finally:
        svc.stop()
        subprocess.run(["umount", "/var/lib"])
        svc.remove()


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--upstream-default":
        upstream_default()
        return summary("e2e_roles (upstream's default paths)")
    if os.geteuid() != 0:
        print("e2e_roles: needs root; skipped")
        return 77
    for user in ["_parsec"] + list(ROLES.values()):
        try:
            pwd.getpwnam(user)
        except KeyError:
            print("e2e_roles: no user %s (scripts/deps.sh makes them); skipped" % user)
            return 77
    roles()
    handed_over()
    missing_user()
    unreachable()
    # A private mount namespace keeps the tmpfs on /var/lib off the host. Inside a chroot
    # whose / is no mount point (check-fresh's root) the mounts cannot be made private:
    # then this part is skipped rather than run with mounts the host would see.
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("# no private mount namespace here (%s): upstream's default paths not tried"
              % probe.stderr.strip())
    else:
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "/usr/bin/python3",
                            os.path.abspath(__file__), TOP, "--upstream-default"])
        check("upstream's config on Debian's default paths (in a mount namespace)",
              r.returncode == 0, r.returncode)
    return summary("e2e_roles")


if __name__ == "__main__":
    sys.exit(main())
