#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end, as root: the directories parsecd uses and the state it keeps.
A key store next to the socket or in /tmp leaves those directories as they
were and other uids still connect; a directory an ordinary user owns is
refused, also while that user swaps symbolic links through 50 starts; a
fresh key store over old provider state and a second instance on the same
state directory stop the start naming the paths; leftover temporary key
files are gone before the service answers.

Usage: e2e_state.py TOPDIR
"""
import os
import pwd
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asym_suite  # noqa: E402
import e2e_ops as ops  # noqa: E402
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
from e2elib import App, Service, check, summary  # noqa: E402

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402


def set_kim(svc, path):
    cfg = os.path.join(svc.dir, "config.toml")
    text = re.sub(r'sqlite_db_path = ".*"', 'sqlite_db_path = "%s"' % path, open(cfg).read())
    open(cfg, "w").write(text)


def set_line(svc, key, value):
    cfg = os.path.join(svc.dir, "config.toml")
    text = re.sub(r'(?m)^%s = ".*"$' % key, '%s = "%s"' % (key, value), open(cfg).read())
    open(cfg, "w").write(text)


def owner_mode(path):
    st = os.lstat(path)
    return (st.st_uid, st.st_gid, st.st_mode & 0o7777)


def generate_as(uid, gid, sock, app, key):
    """Generates a key from a process of another uid: its exit status is the wire status."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            st, _ = eb.call(sock, 1, eb.OP_GENERATE,
                            eb.gen_pb.Operation(key_name=key,
                                                attributes=eb.p256_attributes()).SerializeToString(),
                            eb.AUTH_DIRECT, app.encode())
            os._exit(st if st is not None and st < 255 else 255)
        except Exception:
            os._exit(254)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def nobody():
    pw = pwd.getpwnam("nobody")
    return pw.pw_uid, pw.pw_gid


def kim_next_to_socket():
    svc = Service()
    try:
        set_kim(svc, os.path.join(svc.dir, "kim.sqlite3"))
        before = owner_mode(svc.dir)
        svc.start()
        check("a key store in the socket's directory: the service starts", True)
        check("the socket's directory keeps its owner and mode (%o)" % before[2],
              owner_mode(svc.dir) == before, "%s -> %s" % (before, owner_mode(svc.dir)))
        check("the socket has listener mode 0666 from the umask at bind",
              owner_mode(svc.sock)[2] == 0o666, oct(owner_mode(svc.sock)[2]))
        uid, gid = nobody()
        check("another uid (nobody) connects and creates a key",
              generate_as(uid, gid, svc.sock, "other-uid", "k") == 0)
        st = os.stat(os.path.join(svc.dir, "kim.sqlite3"))
        check("the key store file is brokerd's user's, mode 0600",
              st.st_uid == pwd.getpwnam("_parsec-broker").pw_uid and st.st_mode & 0o777 == 0o600,
              (st.st_uid, oct(st.st_mode)))
        svc.stop()
        svc.start()
        st, keys = App(svc, "other-uid").keys()
        check("after a restart the key made through that key store is still listed",
              st == 0 and keys == ["k"], (st, keys))
        svc.stop()
    finally:
        svc.stop()
        svc.remove()


def kim_in_tmp():
    svc = Service()
    fd, db = tempfile.mkstemp(prefix="parsecd-kim-", suffix=".sqlite3", dir="/tmp")
    os.close(fd)
    os.unlink(db)
    try:
        set_kim(svc, db)
        before = owner_mode("/tmp")
        svc.start()
        check("a key store in /tmp: the service starts and /tmp keeps owner and mode",
              owner_mode("/tmp") == before, "%s -> %s" % (before, owner_mode("/tmp")))
        uid, gid = nobody()
        check("another uid connects and creates a key",
              generate_as(uid, gid, svc.sock, "tmp-app", "k") == 0)
        svc.stop()
        # Someone else's file where the key store should be: refused, not used.
        for f in (db, db + "-wal", db + "-shm"):
            if os.path.exists(f):
                os.unlink(f)
        open(db, "w").close()
        os.chown(db, uid, gid)
        started, code, log = svc.start_refused()
        check("a key store file in /tmp that another uid owns is refused",
              not started and code != 0 and db in log, log[-400:])
    finally:
        svc.stop()
        for f in (db, db + "-wal", db + "-shm", db + "-journal"):
            if os.path.exists(f):
                os.unlink(f)
        svc.remove()


def unsafe_dirs():
    svc = Service()
    uid, gid = nobody()
    user_dir = os.path.join(svc.dir, "users")
    os.mkdir(user_dir)
    os.chown(user_dir, uid, gid)
    try:
        set_line(svc, "state_dir", os.path.join(user_dir, "state"))
        started, code, log = svc.start_refused()
        check("a state_dir below a directory nobody owns is refused naming key and path",
              not started and code != 0 and "privsep.state_dir" in log and user_dir in log,
              log[-400:])
        set_line(svc, "state_dir", os.path.join(svc.dir, "state"))
        set_kim(svc, os.path.join(user_dir, "kim.sqlite3"))
        open(os.path.join(svc.dir, "parsecd.log"), "w").close()
        started, code, log = svc.start_refused()
        check("a key store in a directory nobody owns is refused naming key and path",
              not started and code != 0 and "key_manager.sqlite_db_path" in log and
              user_dir in log, log[-400:])
        check("and nothing was made in it", os.listdir(user_dir) == [], os.listdir(user_dir))
        os.chown(user_dir, 0, 0)
        os.chmod(user_dir, 0o777)
        set_kim(svc, os.path.join(user_dir, "kim", "kim.sqlite3"))
        open(os.path.join(svc.dir, "parsecd.log"), "w").close()
        started, code, log = svc.start_refused()
        check("a directory writable by others without the sticky bit is refused",
              not started and code != 0 and "writable by others" in log, log[-400:])
    finally:
        svc.stop()
        svc.remove()


SWAPPER = r"""
import os, sys, time
base, decoy_dir, stop_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
names = ["state", "kim", "sock", "empty"]
while time.time() < stop_at:
    for n in names:
        p = os.path.join(base, n)
        for target in (decoy_dir, os.path.join(decoy_dir, "file")):
            tmp = p + ".new"
            try:
                os.symlink(target, tmp)
                os.rename(tmp, p)
            except OSError:
                pass
        try:
            os.unlink(p)
        except OSError:
            pass
        try:
            os.mkdir(p)
        except OSError:
            pass
        try:
            os.rmdir(p)
        except OSError:
            pass
"""


def symlink_race():
    """An ordinary user swaps links under every path while parsecd starts 50 times."""
    svc = Service()
    uid, gid = nobody()
    user_dir = os.path.join(svc.dir, "users")
    decoys = os.path.join(svc.dir, "decoys")
    os.mkdir(user_dir)
    os.chown(user_dir, uid, gid)
    os.mkdir(decoys, 0o755)
    for name, mode in (("file", 0o644), ("secret", 0o600)):
        with open(os.path.join(decoys, name), "w") as f:
            f.write("decoy\n")
        os.chmod(os.path.join(decoys, name), mode)
    os.mkdir(os.path.join(decoys, "dir"), 0o755)
    watched = [decoys] + [os.path.join(decoys, n) for n in ("file", "secret", "dir")] + \
        ["/etc/passwd", "/etc/shadow", "/etc", "/tmp"]
    before = {p: owner_mode(p) for p in watched}
    cfg = os.path.join(svc.dir, "config.toml")
    base = open(cfg).read()
    safe = {"state_dir": os.path.join(svc.dir, "state"),
            "sqlite_db_path": os.path.join(svc.dir, "kim", "kim.sqlite3"),
            "socket_path": os.path.join(svc.dir, "parsec.sock"),
            "chroot_dir": "/var/empty"}
    bad = {"state_dir": os.path.join(user_dir, "state"),
           "sqlite_db_path": os.path.join(user_dir, "kim", "kim.sqlite3"),
           "socket_path": os.path.join(user_dir, "sock", "parsec.sock"),
           "chroot_dir": os.path.join(user_dir, "empty")}
    variants = []
    for key in bad:
        paths = dict(safe)
        paths[key] = bad[key]
        text = base
        for k in ("state_dir", "sqlite_db_path", "socket_path"):
            text = re.sub(r'(?m)^%s = ".*"$' % k, '%s = "%s"' % (k, paths[k]), text)
        variants.append(text + 'chroot_dir = "%s"\n' % paths["chroot_dir"])
    swapper = subprocess.Popen(["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups",
                                "/usr/bin/python3", "-c", SWAPPER, user_dir, decoys,
                                str(time.time() + 600)])
    refused = served = 0
    try:
        for i in range(50):
            open(cfg, "w").write(variants[i % len(variants)])
            proc = subprocess.run([os.path.join(eb.TOP, "parsecd", "parsecd"), "-c", cfg],
                                  capture_output=True, text=True, timeout=30)
            if proc.returncode != 0 and "refused" in proc.stderr + proc.stdout:
                refused += 1
            else:
                served += 1
    finally:
        swapper.send_signal(signal.SIGKILL)
        swapper.wait()
    after = {p: owner_mode(p) for p in watched}
    changed = [p for p in watched if before[p] != after[p]]
    check("50 starts while nobody swaps links: no decoy or system file changed owner or mode",
          not changed, ["%s %s -> %s" % (p, before[p], after[p]) for p in changed])
    check("every one of the 50 starts refused the directory nobody owns (%d refused)" % refused,
          refused == 50, "%d refused, %d not" % (refused, served))
    svc.remove()


def fresh_store_over_old_state():
    svc = Service()
    try:
        svc.start()
        app = App(svc, "alice")
        check("a key is made in the first deployment", app.generate("kept") == 0)
        st, pub = app.public("kept")
        svc.stop()
        files = svc.key_files()
        kim_dir = os.path.join(svc.dir, "kim")
        os.rename(kim_dir, kim_dir + ".old")
        open(os.path.join(svc.dir, "parsecd.log"), "w").close()
        started, code, log = svc.start_refused()
        line = [ln for ln in log.splitlines() if "fresh key store" in ln]
        check("a fresh key store over old provider state stops the start",
              not started and code != 0 and line, log[-600:])
        check("with one line naming both paths",
              line and os.path.join(kim_dir, "kim.sqlite3") in line[0] and
              os.path.join(svc.dir, "state", "mbed-crypto-provider") in line[0], line)
        check("and no key file is lost", svc.key_files() == files and files,
              (files, svc.key_files()))
        out = subprocess.run([os.path.join(eb.TOP, "parsecd", "parsecd"), "--orphans", "-c",
                              os.path.join(svc.dir, "config.toml")], capture_output=True,
                             text=True)
        check("parsecd --orphans lists the key file the fresh key store does not name",
              out.returncode == 0 and files[0] in out.stdout and "1 orphan" in out.stdout,
              out.stdout + out.stderr)
        subprocess.run(["rm", "-rf", kim_dir])
        os.rename(kim_dir + ".old", kim_dir)
        svc.start()
        st2, pub2 = app.public("kept")
        check("the key store put back: the key is served as before", st2 == 0 and pub2 == pub)
        check("a new name is created, not AlreadyExists", app.generate("new-name") == 0)
        ident = open(os.path.join(svc.dir, "state", "mbed-crypto-provider",
                                  "deployment")).read().strip()
        db = sqlite3.connect(os.path.join(kim_dir, "kim.sqlite3"))
        kim_ident = db.execute("SELECT id FROM deployment").fetchone()[0]
        db.close()
        check("the key store and the provider state carry one deployment identity",
              ident == kim_ident and len(ident) == 32, (ident, kim_ident))

        # A second instance on the same state directory, with its own socket and key store.
        other = Service()
        try:
            set_line(other, "state_dir", os.path.join(svc.dir, "state"))
            started, code, log = other.start_refused()
            check("a second instance on the same state_dir stops naming the directory",
                  not started and code != 0 and "in use by another parsecd" in log and
                  os.path.join(svc.dir, "state") in log, log[-400:])
            check("and the first instance still serves", app.public("kept")[0] == 0)
        finally:
            other.stop()
            other.remove()
        svc.stop()
        lock = os.path.join(svc.dir, "state", "parsecd.lock")
        check("a stop that reaped every child says so in the state directory's lock file",
              open(lock).read() == "stopped\n", open(lock).read())
        svc.start()
        check("the next start takes the lock again (its pid in the lock file)",
              open(lock).read() == "%d\n" % svc.proc.pid, open(lock).read())

        # A provider killed mid-write leaves a temporary key file, and a service killed
        # whole (parsecd too, which removes a reaped worker's) leaves it to the next start.
        for pid, _ in eb.service_pids(svc.proc.pid):
            os.kill(pid, signal.SIGKILL)
        svc.proc.wait(10)
        time.sleep(0.5)  # the children, orphaned, end as their channels close
        state = os.path.join(svc.dir, "state", "mbed-crypto-provider")
        tmp = os.path.join(state, ".000000000000002a.key.4242.0.tmp")
        fast_tmp = os.path.join(state, ".000000000000002a.fast.4242.1.tmp")
        for path in (tmp, fast_tmp):
            with open(path, "wb") as f:
                f.write(b"PITS" + b"\0" * 40)
        open(os.path.join(svc.dir, "parsecd.log"), "w").close()
        svc.start()
        check("leftover temporary key files (.key and .fast) are gone once the service answers",
              not os.path.exists(tmp) and not os.path.exists(fast_tmp), os.listdir(state))
        check("and the start said so", "temporary key file" in
              open(os.path.join(svc.dir, "parsecd.log")).read())
        svc.stop()
    finally:
        svc.stop()
        svc.remove()


def tmp_files_of(state, pid):
    """The temporary key files in state that worker pid wrote (.<id>.key|fast.<pid>.<n>.tmp)."""
    return sorted(f for f in os.listdir(state) if re.fullmatch(r"\.[0-9a-f]{16}\.(key|fast)\.%d\.\d+\.tmp" % pid, f))


def catch_mid_write(svc, state, pid, seconds=10):
    """Stops worker pid again and again while keys are made until it is caught
    with a temporary key file of its own making, then kills it there: True if caught."""
    planted = set(tmp_files_of(state, pid))
    stop = threading.Event()
    app = App(svc, "churn")

    def churn():
        n = 0
        while not stop.is_set():
            app.generate("c%d" % n)
            n += 1
    t = threading.Thread(target=churn)
    t.start()
    caught = False
    deadline = time.monotonic() + seconds
    try:
        while not caught and time.monotonic() < deadline:
            os.kill(pid, signal.SIGSTOP)
            caught = bool(set(tmp_files_of(state, pid)) - planted)
            if caught:
                os.kill(pid, signal.SIGKILL)
            os.kill(pid, signal.SIGCONT)
            time.sleep(0.003)
    finally:
        stop.set()
        t.join()
    return caught


def worker_leftovers():
    """A worker killed while it writes a key file: its temporary files go when it is reaped,
    a live sibling's stay."""
    svc = Service()
    try:
        svc.start()
        state = os.path.join(svc.dir, "state", "mbed-crypto-provider")
        pids = eb.worker_pids(svc, "parsec-provider-mbed")
        check("two software provider workers run", len(pids) == 2, pids)
        dead, live = pids[0], pids[1]
        st = os.stat(state)
        # Planted too, so the check does not hang on catching the write: names as the workers make them.
        planted_dead = [os.path.join(state, ".00000000000000ab.key.%d.0.tmp" % dead),
                        os.path.join(state, ".00000000000000ab.fast.%d.1.tmp" % dead)]
        planted_live = os.path.join(state, ".00000000000000ac.key.%d.0.tmp" % live)
        for path in planted_dead + [planted_live]:
            with open(path, "wb") as f:
                f.write(b"PITS" + b"\0" * 40)
            os.chown(path, st.st_uid, st.st_gid)
            os.chmod(path, 0o600)
        before = svc.log().count("is serving again")
        caught = catch_mid_write(svc, state, dead)
        print("# worker caught and killed with a key file half written: %s" % caught)
        if not caught:
            os.kill(dead, signal.SIGKILL)
        log = svc.wait_log("is serving again", before + 1, 30)
        check("the killed worker is restarted", log.count("is serving again") > before, log[-1000:])
        check("its temporary key files are gone once it serves again", tmp_files_of(state, dead) == [],
              tmp_files_of(state, dead))
        said = re.search(r"removed (\d+) temporary key files? provider mbed-crypto-provider/\d \(pid %d\)" % dead,
                         log)
        print("# %s temporary key files of the killed worker removed (2 planted)" % (said.group(1) if said else "no"))
        check("the restart said so, naming the worker's pid", said is not None, log[-1000:])
        check("the live sibling's temporary file is untouched, and the sibling still runs",
              os.path.exists(planted_live) and live in eb.worker_pids(svc, "parsec-provider-mbed"),
              os.listdir(state))
        check("the service serves", App(svc, "after").generate("k") == 0)
    finally:
        svc.stop()
        svc.remove()


def kim_query(svc, sql, args=()):
    db = sqlite3.connect(os.path.join(svc.dir, "kim", "kim.sqlite3"))
    rows = db.execute(sql, args).fetchall()
    db.commit()
    db.close()
    return rows


def signs_under(r, name, point):
    """Signs with the key named and verifies the signature with OpenSSL under point."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"whose key is this")
    digest = digest.finalize()
    alg = ops.sign_alg("ecdsa")
    st, sig = r.sign_hash(name, alg, digest)
    if st != 0:
        return False
    try:
        asym_suite.ec_public(256, point).verify(asym_suite.ecdsa_der(sig), b"whose key is this",
                                                ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:  # noqa: BLE001
        return False


def forced_wrap():
    """The id counter forced round on SoftHSM: no key of one application replaces another's."""
    if not softhsmlib.available():
        print("SoftHSMv2 or pkcs11-tool missing: forced-wrap test skipped")
        return
    base = Service()
    token = softhsmlib.Token(base.dir)
    svc = Service(directory=base.dir, provider_extra=token.provider_table())
    sign_at = ops.attrs(ops.ecc_pair(), 256, ["sign_hash", "verify_hash"],
                        ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
    try:
        svc.start()
        alice = asym_suite.Runner(svc, 2, "alice")
        carol = asym_suite.Runner(svc, 2, "carol")
        check("alice and carol each generate a key on the token",
              alice.generate("a", sign_at) == 0 and carol.generate("c", sign_at) == 0)
        alice_pub, carol_pub = alice.public("a"), carol.public("c")
        alice_id = kim_query(svc, "SELECT key_ref FROM keys WHERE app = 'alice'")[0][0].hex()
        carol_id = kim_query(svc, "SELECT key_ref FROM keys WHERE app = 'carol'")[0][0].hex()
        carol_objs = token.objects_with_id(carol_id)
        svc.stop()
        # The counter one step before it goes round (its next id is 1, alice's), and carol's
        # entry lost: her objects stay on the token, named by no entry (an orphan).
        kim_query(svc, "UPDATE key_ids SET next_id = ? WHERE provider_id = 2", (0x3fffffff + 1,))
        kim_query(svc, "DELETE FROM keys WHERE app = 'carol'")
        open(os.path.join(svc.dir, "parsecd.log"), "w").close()
        svc.start()
        bob = asym_suite.Runner(svc, 2, "bob")
        scalar = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
        st, _ = bob.call("import", ops.import_pb.Operation(
            key_name="b", attributes=sign_at, data=scalar.to_bytes(32, "big")))
        check("after the forced wrap bob imports a key", st == 0, st)
        bob_id = kim_query(svc, "SELECT key_ref FROM keys WHERE app = 'bob'")[0][0].hex()
        check("bob's key took an id neither alice's nor the orphan's (%s; alice %s, orphan %s)"
              % (bob_id, alice_id, carol_id), bob_id not in (alice_id, carol_id))
        check("alice's key is intact: same public key", alice.public("a") == alice_pub)
        check("alice's signatures still verify under her own public key",
              signs_under(alice, "a", alice_pub))
        check("bob's key signs under bob's public key", signs_under(bob, "b", bob.public("b")))
        check("the orphan's objects are still on the token, unchanged",
              token.objects_with_id(carol_id) == carol_objs and len(carol_objs) == 2,
              (carol_objs, token.objects_with_id(carol_id)))
        check("and the log names the orphan's id",
              "orphan" in open(os.path.join(svc.dir, "parsecd.log")).read() and
              ("0x" + bytes.fromhex(carol_id)[::-1].hex()) in
              open(os.path.join(svc.dir, "parsecd.log")).read())
        out = subprocess.run([os.path.join(eb.TOP, "parsecd", "parsecd"), "--orphans", "-c",
                              os.path.join(svc.dir, "config.toml")], capture_output=True,
                             text=True)
        orphan_ids = sorted(set(re.findall(r"key id (0x[0-9a-f]{8})", out.stdout)))
        check("parsecd --orphans lists the orphan's id and no named key's",
              out.returncode == 0 and orphan_ids == ["0x" + bytes.fromhex(carol_id)[::-1].hex()],
              out.stdout + out.stderr)
        del carol_pub

        # A provider added by a reload gets the identity of its siblings: the next start serves.
        svc.stop()
        cfg = os.path.join(svc.dir, "config.toml")
        full = open(cfg).read()
        table = token.provider_table()
        open(cfg, "w").write(full.replace(table, ""))
        p11_state = os.path.join(svc.dir, "state", "pkcs11-provider")
        subprocess.run(["rm", "-rf", p11_state])
        svc.start()
        open(cfg, "w").write(full)
        svc.proc.send_signal(signal.SIGHUP)
        for _ in range(100):
            if "reloaded" in open(os.path.join(svc.dir, "parsecd.log")).read():
                break
            time.sleep(0.1)
        time.sleep(1)
        ident = open(os.path.join(svc.dir, "state", "mbed-crypto-provider", "deployment")).read()
        check("a provider added by a reload carries the deployment identity",
              os.path.exists(os.path.join(p11_state, "deployment")) and
              open(os.path.join(p11_state, "deployment")).read() == ident)
        svc.stop()
        svc.start()
        check("and the next start serves its keys", signs_under(alice, "a", alice_pub))
    finally:
        svc.stop()
        svc.remove()


def kim_inside_state_dir():
    """Upstream's default layout: the key store in state_dir/kim-mappings/sqlite/, which is
    not a provider's state (the Debian package's configuration)."""
    svc = eb.Service()
    config = os.path.join(svc.dir, "config.toml")
    text = open(config).read()
    with open(config, "w") as f:
        f.write(re.sub(r'sqlite_db_path = ".*"', 'sqlite_db_path = "%s/state/kim-mappings/sqlite/'
                       'sqlite-key-info-manager.sqlite3"' % svc.dir, text))
    try:
        svc.start()
        app = eb.App(svc, "upstream-layout")
        check("a key store inside state_dir/kim-mappings: the service starts and makes a key",
              app.generate("k") == 0)
        svc.stop()
        svc.start()
        check("and after a restart the key is still there", app.keys() == (0, ["k"]),
              app.keys())
    finally:
        svc.stop()
        svc.remove()


def main():
    if os.geteuid() != 0:
        print("e2e_state: needs root (ownership, other uids)")
        return 77
    kim_next_to_socket()
    kim_in_tmp()
    kim_inside_state_dir()
    unsafe_dirs()
    fresh_store_over_old_state()
    symlink_race()
    forced_wrap()
    worker_leftovers()
    return summary("e2e_state")


if __name__ == "__main__":
    sys.exit(main())
