#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end through a real parsecd: what brokerd decides.

- Admin operations: ListClients and DeleteClient for admins only; DeleteClient
  destroys the client's keys in the provider too.
- UnixPeerCredentials with real uids (two test users, clients run through
  setpriv): each sees only its own keys; claiming another uid is refused.
- Crash safety: a test build of brokerd dies at each crash point of key
  creation and destruction; after a restart every key exists fully or not at
  all, its name is usable again, and the provider holds no orphan key.

- Ping: without authentication frontd answers it alone (brokerd stopped);
  with an auth field brokerd still judges it.
- A brokerd stopped (SIGSTOP) while it sleeps, waiting for the key store's
  lock, and continued goes on and answers.
- A kept connection whose first requests name a Direct application and whose
  later one claims a uid: the uid is still the kernel's (frontd passes the
  client socket with the first request that needs it).

Usage: e2e_broker.py TOPDIR
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2elib import (AUTH_PEER, TOP, App, Service, check, counts, ensure_user,  # noqa: E402,F401
                    other_top, service_pids, summary)

PARSECD = os.path.join(TOP, "parsecd", "parsecd")

def admin_tests():
    svc = Service(admins=("admin",))
    svc.start()
    try:
        alice, bob, admin = App(svc, "alice"), App(svc, "bob"), App(svc, "admin")
        check("alice and bob create keys", alice.generate("a1") == 0 and bob.generate("b1") == 0
              and bob.generate("b2") == 0)
        check("ListClients for an admin", admin.clients() == (0, ["alice", "bob"]), admin.clients())
        check("ListClients for others is AdminOperation", alice.clients()[0] == 21, alice.clients())
        check("DeleteClient for others is AdminOperation", alice.delete_client("bob") == 21)
        files_before = len(svc.key_files())
        check("DeleteClient of bob", admin.delete_client("bob") == 0)
        check("bob's keys are gone from the key store", bob.keys() == (0, []), bob.keys())
        check("bob's keys are gone from the provider", len(svc.key_files()) == files_before - 2,
              (files_before, svc.key_files()))
        check("alice's key is untouched", alice.public("a1")[0] == 0 and alice.keys() == (0, ["a1"]))
        check("bob may use his names again", bob.generate("b1") == 0)
        check("ListClients after the deletion", admin.clients() == (0, ["alice", "bob"]), admin.clients())
    finally:
        svc.stop()
        svc.remove()


PEER_CLIENT = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
import e2elib as t
svc = type("S", (), {"sock": sys.argv[2]})()
uid = os.getuid()
me = t.App(svc, str(uid), t.AUTH_PEER, uid.to_bytes(4, "little"))
liar = t.App(svc, "0", t.AUTH_PEER, (0).to_bytes(4, "little"))
out = {"create": me.generate("shared"), "keys": me.keys(), "public": me.public("shared")[0],
       "claim_root": liar.keys()[0], "uid": uid}
print(json.dumps(out))
"""

# Claims to be root: ListKeys and ListClients statuses, as JSON.
CLAIM_ROOT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import e2elib as t
svc = type("S", (), {"sock": sys.argv[2]})()
liar = t.App(svc, "0", t.AUTH_PEER, (0).to_bytes(4, "little"))
print(json.dumps([liar.keys()[0], liar.clients()[0]]))
"""


def client_as(user, script, svc):
    """Runs a client script as user against svc; its answer, parsed from JSON on its last
    line, or {"error": ...}."""
    r = subprocess.run(["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid,
                        "--clear-groups", "/usr/bin/python3", "-c", script,
                        os.path.join(other_top(), "tests"), svc.sock],
                       capture_output=True, text=True,
                       env={"PYTHONPATH": os.path.join(other_top(), "tests", "pb")})
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"error": r.stderr[-500:]}


def peer_credential_tests():
    if os.geteuid() != 0:
        print("# UnixPeerCredentials with real uids needs root to create users; skipped")
        return
    users = [ensure_user("parsec-test-a"), ensure_user("parsec-test-b")]
    svc = Service(auth="UnixPeerCredentials")
    svc.start()
    try:
        results = []
        for u in users:
            results.append(client_as(u, PEER_CLIENT, svc))
        for u, res in zip(users, results):
            check("uid %d creates its key under its own uid" % u.pw_uid,
                  res.get("create") == 0 and res.get("uid") == u.pw_uid, res)
            check("uid %d sees only its own key" % u.pw_uid, res.get("keys") == [0, ["shared"]], res)
            check("a client claiming uid 0 as uid %d is refused" % u.pw_uid,
                  res.get("claim_root") == 11, res)
        root = App(svc, "0", AUTH_PEER, (0).to_bytes(4, "little"))
        check("root's namespace holds none of their keys", root.keys() == (0, []), root.keys())
        direct = App(svc, "alice")
        check("Direct authentication is not registered here", direct.keys()[0] == 13, direct.keys())
    finally:
        svc.stop()
        svc.remove()


def authenticator_isolation_tests():
    svc = Service(auth="Direct")
    svc.start()
    try:
        as_direct = App(svc, str(os.getuid()))
        check("a key made under Direct", as_direct.generate("cross") == 0)
        svc.stop()
        svc = Service(auth="UnixPeerCredentials", directory=svc.dir)
        svc.start()
        me = App(svc, str(os.getuid()), AUTH_PEER, os.getuid().to_bytes(4, "little"))
        check("is invisible under UnixPeerCredentials for the same name",
              me.keys() == (0, []) and me.public("cross")[0] == 1140, me.keys())
        check("whose namespace may reuse the name", me.generate("cross") == 0)
        svc.stop()
        svc = Service(auth="Direct", directory=svc.dir)
        svc.start()
        check("and the Direct key is still there after switching back",
              App(svc, str(os.getuid())).keys() == (0, ["cross"]))
    finally:
        svc.stop()
        svc.remove()


DIRECT_ADMIN_WARNING = "any local user who can reach the socket becomes Direct's admin"


def with_peer_credentials(svc, peer_admins):
    """svc's config with UnixPeerCredentials first and its Direct table after it."""
    cfg = os.path.join(svc.dir, "config.toml")
    text = open(cfg).read().replace(
        '[authenticator]\nauth_type = "Direct"',
        '[[authenticator]]\nauth_type = "UnixPeerCredentials"\nadmins = [ %s ]\n[[authenticator]]\n'
        'auth_type = "Direct"' % ", ".join('{ name = "%s" }' % a for a in peer_admins))
    open(cfg, "w").write(text)
    return cfg


def direct_admin_tests():
    """Direct admins beside UnixPeerCredentials: served as upstream means it, and warned of."""
    unsafe = Service(admins=("ops",))
    safe = Service()
    alone = Service(admins=("ops",))
    try:
        cfg = with_peer_credentials(unsafe, ["0"])
        r = subprocess.run([PARSECD, "-t", "-c", cfg], capture_output=True, text=True)
        line = open(cfg).read().split("\n").index('auth_type = "Direct"')  # its table is the line before
        check("parsecd -t: Direct admins beside UnixPeerCredentials are warned of, naming the admin "
              "and the line, and the file is still OK",
              r.returncode == 0 and DIRECT_ADMIN_WARNING + ' "ops"' in r.stderr and
              "config.toml:%d: authenticator.admins" % line in r.stderr, r.stdout + r.stderr)
        r = subprocess.run([PARSECD, "-t", "-c", with_peer_credentials(safe, ["0"])], capture_output=True,
                           text=True)
        check("parsecd -t: admins under UnixPeerCredentials only, no warning",
              r.returncode == 0 and DIRECT_ADMIN_WARNING not in r.stderr, r.stderr)
        r = subprocess.run([PARSECD, "-t", "-c", os.path.join(alone.dir, "config.toml")],
                           capture_output=True, text=True)
        check("parsecd -t: Direct alone with admins (upstream's own model), no warning",
              r.returncode == 0 and DIRECT_ADMIN_WARNING not in r.stderr, r.stderr)
        unsafe.start()
        check("the start log warns of it too", DIRECT_ADMIN_WARNING in unsafe.log(), unsafe.log()[-2000:])
        App(unsafe, "victim").generate("k")
        check("and, as the warning says, any client naming ops is Direct's admin",
              App(unsafe, "ops").clients() == (0, ["victim"]), App(unsafe, "ops").clients())
    finally:
        unsafe.stop()
        unsafe.remove()
        for svc in (safe, alone):  # never started: no log to show
            subprocess.run(["rm", "-rf", svc.dir])


def crash_tests():
    fault_tree = os.path.join(TOP, "tests", "faults")
    if not os.path.exists(os.path.join(fault_tree, "brokerd", "parsec-brokerd")):
        print("# no fault build (make fault-tree); crash tests skipped")
        return
    for point, op in (("create-after-pending", "create"), ("create-before-commit", "create"),
                      ("destroy-after-mark", "destroy"), ("destroy-before-remove", "destroy")):
        svc = Service()
        try:
            svc.start()
            app = App(svc, "app")
            app.generate("kept")
            svc.stop()
            svc.start(tree=fault_tree, fault=point)
            app.generate("victim") if op == "create" else app.destroy("kept")
            code = svc.wait_exit()
            check("%s: brokerd died and parsecd exited non-zero" % point, code not in (0, None), code)
            svc.start()
            st, names = app.keys()
            name = "victim" if op == "create" else "kept"
            if name in (names or []):
                ok = app.public(name)[0] == 0
                state = "exists fully"
            else:
                ok = app.generate(name) == 0 and app.public(name)[0] == 0
                state = "is gone and its name is free"
            check("%s: the key %s" % (point, state), st == 0 and ok, (st, names))
            st, names = app.keys()
            check("%s: the provider holds exactly the listed keys" % point,
                  len(svc.key_files()) == len(names or []), (svc.key_files(), names))
        finally:
            svc.stop()
            svc.remove()


def group_crash_tests(clients=8, per_client=30):
    """Creations from several clients at once share brokerd's commits (one sync for the
    group). brokerd dies (SIGKILL, the test build) right after the answers of the first group
    of several answered creations reached the clients; after a restart every creation answered success is there and
    usable, and the provider holds no key the store does not list."""
    fault_tree = os.path.join(TOP, "tests", "faults")
    if not os.path.exists(os.path.join(fault_tree, "brokerd", "parsec-brokerd")):
        print("# no fault build (make fault-tree); group commit crash test skipped")
        return
    svc = Service()
    answered, lock, go = [], threading.Lock(), threading.Event()

    def client(c):
        app = App(svc, "group%d" % c)
        go.wait(30)
        for i in range(per_client):
            try:
                st = app.generate("k%d" % i)
            except Exception:  # the service went down under the call: no answer
                return
            if st == 0:
                with lock:
                    answered.append((c, "k%d" % i))

    try:
        svc.start(tree=fault_tree, fault="group-answered")
        threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join(60)
        code = svc.wait_exit(30)
        check("concurrent creations: brokerd died after answering %d of them, the service "
              "exits" % len(answered), len(answered) > 1 and code not in (0, None), (answered, code))
        svc.start()
        listed = {c: App(svc, "group%d" % c).keys()[1] or [] for c in range(clients)}
        lost = [(c, k) for c, k in answered if k not in listed[c]]
        check("every creation answered success is listed after the restart", not lost, lost)
        unusable = [(c, k) for c, k in answered if App(svc, "group%d" % c).public(k)[0] != 0]
        check("and usable (its public key exported)", not unusable, unusable)
        total = sum(len(v) for v in listed.values())
        check("the provider holds exactly the listed keys, nothing half-made",
              len(svc.key_files()) == total, (len(svc.key_files()), total))
    finally:
        svc.stop()
        svc.remove()


def passed_listener_tests():
    """A compromised frontd hands brokerd its listener (made by root) as a client's socket."""
    fault_tree = os.path.join(TOP, "tests", "faults")
    if os.geteuid() != 0 or not os.path.exists(os.path.join(fault_tree, "frontd", "parsec-frontd")):
        print("# a passed listener needs root and the fault build; skipped")
        return
    svc = Service(auth="UnixPeerCredentials", admins=("0",))
    svc.start()
    try:
        root = App(svc, "0", AUTH_PEER, (0).to_bytes(4, "little"))
        check("root makes a key", root.generate("roots-key") == 0)
        svc.stop()
        svc.start(tree=fault_tree, fault="pass-listener")
        user = ensure_user("parsec-test-a")
        out = client_as(user, CLAIM_ROOT, svc)
        check("a passed listener gives no identity: a user claiming uid 0 gets "
              "AuthenticationError for ListKeys and ListClients", out == [11, 11], out)
        check("and brokerd says frontd passed a listening socket",
              "frontd passed a listening socket" in open(os.path.join(svc.dir, "parsecd.log")).read())
        check("and the service keeps running", svc.proc.poll() is None)
    finally:
        svc.stop()
        svc.remove()


def worker_fault_tests():
    """A provider worker that answers a request it was never given costs only itself."""
    fault_tree = os.path.join(TOP, "tests", "faults")
    if not os.path.exists(os.path.join(fault_tree, "providerd", "parsec-provider-mbed")):
        print("# no fault build (make fault-tree); worker fault tests skipped")
        return
    import psa_generate_random_pb2 as random_pb
    import psa_hash_compute_pb2 as hash_pb
    import psa_algorithm_pb2 as alg_pb
    svc = Service()
    try:
        svc.start(tree=fault_tree, fault="answer-unknown")
        app = App(svc, "app")
        # 4097 bytes: past what frontd answers alone, so the worker is asked.
        st, _ = app._call(1, 0x0D, random_pb.Operation(size=4097))
        check("a worker answering an unknown request id: that request gets "
              "PsaErrorCommunicationFailure", st == 1145, st)
        log = open(os.path.join(svc.dir, "parsecd.log")).read()
        check("and brokerd drops that worker, saying why",
              "answered a request it was not given; dropping it" in log, log[-1500:])
        check("brokerd and the service keep running", svc.proc.poll() is None)
        results = [app._call(1, 0x0F, hash_pb.Operation(alg=alg_pb.Algorithm.SHA_256,
                                                         input=b"abc"))[0] for _ in range(20)]
        check("and the provider's other requests are served", results.count(0) >= 19, results)
        check("and keys are made as before", app.generate("after-fault") == 0)
    finally:
        svc.stop()
        svc.remove()


def ping_tests():
    """frontd answers a Ping without authentication alone; one with an auth field is brokerd's."""
    import signal
    import e2elib as eb
    import ping_pb2 as ping_pb
    svc = Service()
    svc.start()
    broker = [pid for pid, comm in eb.service_pids(svc.proc.pid) if comm == "parsec-brokerd"][0]
    try:
        os.kill(broker, signal.SIGSTOP)
        try:
            try:
                st, body = eb.call(svc.sock, 0, 0x01, b"", 0, b"", timeout=5)
            except OSError:
                st, body = "no answer", b""
            res = ping_pb.Result.FromString(body) if st == 0 else None
            check("with brokerd stopped, a Ping without authentication is answered: Success, "
                  "wire protocol 1.0", res is not None and (res.wire_protocol_version_maj,
                                                            res.wire_protocol_version_min) == (1, 0),
                  (st, body))
            try:
                st = eb.call(svc.sock, 0, 0x01, b"", eb.AUTH_DIRECT, b"app", timeout=1)[0]
            except OSError:
                st = "no answer"
            check("and a Ping with an auth field waits for brokerd", st == "no answer", st)
        finally:
            # Gone by now is a failure shown with the log, not a traceback that hides it.
            try:
                os.kill(broker, signal.SIGCONT)
                gone = False
            except ProcessLookupError:
                gone = True
        check("brokerd outlives being stopped: nothing killed it meanwhile", not gone,
              (svc.proc.poll(), svc.log()[-3000:]))
        check("brokerd judges a Ping's auth field: an empty Direct name is AuthenticationError",
              eb.call(svc.sock, 0, 0x01, b"", eb.AUTH_DIRECT, b"")[0] == 11)
        check("and an authenticator not configured is AuthenticatorNotRegistered",
              eb.call(svc.sock, 0, 0x01, b"", AUTH_PEER, (0).to_bytes(4, "little"))[0] == 13)
        check("a Ping to a crypto provider is PsaErrorNotSupported, as before",
              eb.call(svc.sock, 1, 0x01, b"", 0, b"")[0] == 1134)
    finally:
        svc.stop()
        svc.remove()


def stopped_asleep_tests():
    """A brokerd stopped while it sleeps (here waiting for the key store's lock) and continued
    goes on: the kernel resumes such a sleep with restart_syscall, which the sandbox must allow
    (without it the resumed brokerd dies of SIGSYS, and the service with it)."""
    import signal
    import sqlite3
    import threading
    import e2elib as eb
    svc = Service()
    svc.start()
    broker = [pid for pid, comm in eb.service_pids(svc.proc.pid) if comm == "parsec-brokerd"][0]
    app = App(svc, "app")
    db = sqlite3.connect(os.path.join(svc.dir, "kim", "kim.sqlite3"), isolation_level=None)
    try:
        db.execute("BEGIN EXCLUSIVE")
        got = []
        creator = threading.Thread(target=lambda: got.append(app.generate("while-stopped")))
        creator.start()
        # brokerd retries the locked store in short sleeps: one of them is where it stops.
        time.sleep(1)
        os.kill(broker, signal.SIGSTOP)
        time.sleep(0.3)
        os.kill(broker, signal.SIGCONT)
        time.sleep(0.3)
        db.execute("COMMIT")
        creator.join(30)
        check("brokerd stopped and continued in a sleep keeps running (no SIGSYS)",
              svc.proc.poll() is None and eb.service_pids(svc.proc.pid).count(
                  (broker, "parsec-brokerd")) == 1, svc.log()[-1500:])
        check("and the request it was waiting with is answered: Success", got == [0], got)
    finally:
        db.close()
        svc.stop()
        svc.remove()


def late_peer_tests():
    """The client socket reaches brokerd with the first UnixPeerCredentials request of a
    kept connection, after Direct ones that did not need it."""
    import socket
    import struct
    import e2elib as eb
    svc = Service(auth="Direct")
    with_peer_credentials(svc, ())
    svc.start()

    def ask(s, auth_type, auth):
        hdr = struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 1, 0, 1, 0, 0, auth_type, 0,
                          len(auth), 0x1A, 0, 0, 0)
        s.sendall(hdr + auth)
        fields, _ = eb.read_response(s)
        return fields[13] if fields else "closed"

    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(30)
            s.connect(svc.sock)
            first = [ask(s, eb.AUTH_DIRECT, b"app"), ask(s, eb.AUTH_DIRECT, b"app")]
            mine = ask(s, AUTH_PEER, os.getuid().to_bytes(4, "little"))
            other = ask(s, AUTH_PEER, (os.getuid() + 1).to_bytes(4, "little"))
            again = ask(s, AUTH_PEER, os.getuid().to_bytes(4, "little"))
        check("on one kept connection two Direct ListKeys, then one claiming our own uid: "
              "all Success", first + [mine] == [0, 0, 0], (first, mine))
        check("and on it a claim of another uid is AuthenticationError, ours still Success",
              (other, again) == (11, 0), (other, again))
    finally:
        svc.stop()
        svc.remove()


def main():
    late_peer_tests()
    ping_tests()
    stopped_asleep_tests()
    worker_fault_tests()
    passed_listener_tests()
    admin_tests()
    peer_credential_tests()
    authenticator_isolation_tests()
    direct_admin_tests()
    crash_tests()
    group_crash_tests()
    return summary("e2e_broker")


if __name__ == "__main__":
    sys.exit(main())
