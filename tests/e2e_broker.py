#!/usr/bin/python3
"""End to end through a real parsecd: what brokerd decides.

- Admin operations: ListClients and DeleteClient for admins only; DeleteClient
  destroys the client's keys in the provider too.
- UnixPeerCredentials with real uids (two test users, clients run through
  setpriv): each sees only its own keys; claiming another uid is refused.
- Crash safety: a test build of brokerd dies at each crash point of key
  creation and destruction; after a restart every key exists fully or not at
  all, its name is usable again, and the provider holds no orphan key.

Usage: e2e_broker.py TOPDIR
"""
import json
import os
import pwd
import socket
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "pb"))

import delete_client_pb2 as delete_client_pb  # noqa: E402
import list_clients_pb2 as list_clients_pb  # noqa: E402
import list_keys_pb2 as list_keys_pb  # noqa: E402
import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_destroy_key_pb2 as destroy_pb  # noqa: E402
import psa_export_public_key_pb2 as export_pub_pb  # noqa: E402
import psa_generate_key_pb2 as gen_pb  # noqa: E402

OP_GENERATE, OP_DESTROY, OP_EXPORT_PUBLIC = 0x02, 0x03, 0x07
OP_LIST_KEYS, OP_LIST_CLIENTS, OP_DELETE_CLIENT = 0x1A, 0x1B, 0x1C
AUTH_DIRECT, AUTH_PEER = 1, 3

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        print("ok - " + name)
        passed += 1
    else:
        print("not ok - %s: %s" % (name, detail))
        failed += 1


def call(sock_path, provider, opcode, body, auth_type, auth):
    hdr = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, 0, provider, 1, 0, 0,
                      auth_type, len(body), len(auth), opcode, 0, 0, 0)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(sock_path)
        s.sendall(hdr + body + auth)
        raw = b""
        while len(raw) < 36:
            chunk = s.recv(36 - len(raw))
            if not chunk:
                return None, b""
            raw += chunk
        fields = struct.unpack("<IHBBHBQBBBIHIHBB", raw)
        out = b""
        while len(out) < fields[10]:
            out += s.recv(fields[10] - len(out))
        return fields[13], out


def p256_attributes():
    a = gen_pb.Operation().attributes
    a.key_type.ecc_key_pair.curve_family = a.key_type.SECP_R1
    a.key_bits = 256
    a.key_policy.key_usage_flags.sign_hash = True
    a.key_policy.key_algorithm.asymmetric_signature.ecdsa.hash_alg.specific = alg_pb.Algorithm.SHA_256
    return a


class App:
    """One application, named by Direct authentication."""

    def __init__(self, service, name, auth_type=AUTH_DIRECT, auth=None):
        self.service, self.name = service, name
        self.auth_type = auth_type
        self.auth = auth if auth is not None else name.encode()

    def _call(self, provider, opcode, msg):
        return call(self.service.sock, provider, opcode, msg.SerializeToString(), self.auth_type, self.auth)

    def generate(self, key):
        return self._call(1, OP_GENERATE, gen_pb.Operation(key_name=key, attributes=p256_attributes()))[0]

    def destroy(self, key):
        return self._call(1, OP_DESTROY, destroy_pb.Operation(key_name=key))[0]

    def public(self, key):
        st, out = self._call(1, OP_EXPORT_PUBLIC, export_pub_pb.Operation(key_name=key))
        return st, export_pub_pb.Result.FromString(out).data if st == 0 else None

    def keys(self):
        st, out = self._call(0, OP_LIST_KEYS, list_keys_pb.Operation())
        return st, sorted(k.name for k in list_keys_pb.Result.FromString(out).keys) if st == 0 else None

    def clients(self):
        st, out = self._call(0, OP_LIST_CLIENTS, list_clients_pb.Operation())
        return st, sorted(list_clients_pb.Result.FromString(out).clients) if st == 0 else None

    def delete_client(self, client):
        return self._call(0, OP_DELETE_CLIENT, delete_client_pb.Operation(client=client))[0]


class Service:
    def __init__(self, auth="Direct", admins=(), directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="parsecd-broker.")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "parsec.sock")
        admin_list = ", ".join('{ name = "%s" }' % a for a in admins)
        with open(os.path.join(self.dir, "config.toml"), "w") as f:
            f.write("""[core_settings]
log_level = "info"
[listener]
listener_type = "DomainSocket"
timeout = 3000
socket_path = "%(d)s/parsec.sock"
[authenticator]
auth_type = "%(auth)s"
admins = [ %(admins)s ]
[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "%(d)s/kim/kim.sqlite3"
[[provider]]
provider_type = "MbedCrypto"
key_info_manager = "sqlite-manager"
[privsep]
state_dir = "%(d)s/state"
workers = 2
""" % {"d": self.dir, "auth": auth, "admins": admin_list})
        self.proc = None

    def start(self, tree=TOP, fault=None):
        env = dict(os.environ)
        env.pop("PARSEC_FAULT", None)
        if fault:
            env["PARSEC_FAULT"] = fault
        log = open(os.path.join(self.dir, "parsecd.log"), "a")
        before = self.ready_lines()
        self.proc = subprocess.Popen([os.path.join(tree, "parsecd", "parsecd"), "-c",
                                      os.path.join(self.dir, "config.toml")],
                                     stdout=log, stderr=subprocess.STDOUT, env=env)
        for _ in range(150):
            if self.ready_lines() > before:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("parsecd did not start:\n" + open(os.path.join(self.dir, "parsecd.log")).read())

    def ready_lines(self):
        try:
            return open(os.path.join(self.dir, "parsecd.log")).read().count("listening on")
        except FileNotFoundError:
            return 0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def wait_exit(self, seconds=10):
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None

    def key_files(self):
        d = os.path.join(self.dir, "state", "mbed-crypto-provider")
        return sorted(f for f in os.listdir(d) if f.endswith(".key")) if os.path.isdir(d) else []

    def remove(self):
        if failed:
            print(open(os.path.join(self.dir, "parsecd.log")).read()[-4000:])
        subprocess.run(["rm", "-rf", self.dir])


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
import e2e_broker as t
svc = type("S", (), {"sock": sys.argv[2]})()
uid = os.getuid()
me = t.App(svc, str(uid), t.AUTH_PEER, uid.to_bytes(4, "little"))
liar = t.App(svc, "0", t.AUTH_PEER, (0).to_bytes(4, "little"))
out = {"create": me.generate("shared"), "keys": me.keys(), "public": me.public("shared")[0],
       "claim_root": liar.keys()[0], "uid": uid}
print(json.dumps(out))
"""


def ensure_user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", name], check=True)
        return pwd.getpwnam(name)


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
            r = subprocess.run(["setpriv", "--reuid=%d" % u.pw_uid, "--regid=%d" % u.pw_gid,
                                "--clear-groups", "/usr/bin/python3", "-c", PEER_CLIENT,
                                os.path.join(TOP, "tests"), svc.sock],
                               capture_output=True, text=True, env={"PYTHONPATH": os.path.join(TOP, "tests", "pb")})
            try:
                results.append(json.loads(r.stdout.strip().splitlines()[-1]))
            except (IndexError, ValueError):
                results.append({"error": r.stderr[-500:]})
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


def main():
    admin_tests()
    peer_credential_tests()
    authenticator_isolation_tests()
    crash_tests()
    print("e2e_broker: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
