#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the end-to-end scripts: a real parsecd in a temp
directory, raw wire-protocol calls, applications, and the check counter."""
import atexit
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "pb"))
_other_top = None


def other_top():
    """Where another uid (a client run as nobody or as some user) finds tests/ and tool/:
    TOP, or for a clone those uids cannot enter (/root is 0700) the copy of make check's
    run (PARSEC_TEST_STAGE) or one made now by tests/stage.sh, removed at exit."""
    global _other_top
    if _other_top is None:
        _other_top = os.environ.get("PARSEC_TEST_STAGE") or subprocess.run(
            ["bash", os.path.join(TOP, "tests", "stage.sh"), TOP], check=True,
            capture_output=True, text=True).stdout.strip()
        if _other_top != TOP and not os.environ.get("PARSEC_TEST_STAGE"):
            atexit.register(shutil.rmtree, _other_top, True)
    return _other_top

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

counts = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    if ok:
        print("ok - " + name)
        counts["passed"] += 1
    else:
        print("not ok - %s: %s" % (name, detail))
        counts["failed"] += 1


def summary(suite):
    """The closing line run-tests.sh counts; the exit status to return."""
    print("%s: %d passed, %d failed" % (suite, counts["passed"], counts["failed"]))
    return 1 if counts["failed"] else 0


HDR_FORMAT = "<IHBBHBQBBBIHIHBB"


def read_response(s):
    """One response from socket s: (header fields, body), or (None, b'') at EOF."""
    raw = b""
    while len(raw) < 36:
        chunk = s.recv(36 - len(raw))
        if not chunk:
            return None, b""
        raw += chunk
    fields = struct.unpack(HDR_FORMAT, raw)
    body = b""
    while len(body) < fields[10]:
        chunk = s.recv(fields[10] - len(body))
        if not chunk:
            return None, b""
        body += chunk
    return fields, body


def call(sock_path, provider, opcode, body, auth_type, auth, timeout=90):
    """One request on a connection of its own; (status, body). The timeout only
    guards against a hang: an RSA generation in swtpm took over 10 s at load
    average 23, so a test that wants a bound on time asserts it itself."""
    hdr = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, 0, provider, 1, 0, 0,
                      auth_type, len(body), len(auth), opcode, 0, 0, 0)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(hdr + body + auth)
        fields, out = read_response(s)
        return (fields[13] if fields else None), out


def memory_count(pid, needle, stack=True):
    """How often needle appears in the readable memory of process pid (needs
    root, or CAP_SYS_PTRACE for a sandboxed child): every readable mapping of
    /proc/PID/maps read through /proc/PID/mem; stack=False leaves [stack] out.
    A process that has exited meanwhile (a worker a reload stopped) holds nothing: 0."""
    count = 0
    try:
        maps, mem = open("/proc/%d/maps" % pid), open("/proc/%d/mem" % pid, "rb", 0)
    except (FileNotFoundError, ProcessLookupError):
        return 0
    with maps, mem:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]")):
                continue
            if not stack and len(fields) > 5 and fields[5] == "[stack]":
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            # In chunks that overlap by the needle's length, so a copy across a border counts once.
            step, pos = 8 << 20, start
            while pos < end:
                try:
                    mem.seek(pos)
                    chunk = mem.read(min(end, pos + step + len(needle) - 1) - pos)
                except (OSError, ValueError, OverflowError):
                    break
                count += chunk.count(needle)
                pos += step
    return count


def rss_kib(pid):
    """Resident memory of process pid, in KiB."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def proc_status(pid):
    """/proc/PID/status as a dict of lists of words (Uid, Gid, Groups, CapEff...)."""
    fields = {}
    for line in open("/proc/%d/status" % pid):
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return fields


def service_pids(parent):
    """The parent's pid and its children's, each with its command name."""
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(parent)], capture_output=True,
                         text=True).stdout
    kids = [(int(p), c.strip()) for p, c in (line.split(None, 1) for line in out.strip().splitlines())]
    return [(parent, "parsecd")] + kids


def ensure_user(name):
    """A system user of that name, created if missing (tests run as root): a real
    second uid for UnixPeerCredentials."""
    import pwd
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", name], check=True)
        return pwd.getpwnam(name)


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
    def __init__(self, auth="Direct", admins=(), directory=None, provider_extra="",
                 privsep_extra=""):
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
%(extra)s
[privsep]
state_dir = "%(d)s/state"
workers = 2
%(privsep)s
""" % {"d": self.dir, "auth": auth, "admins": admin_list, "extra": provider_extra,
       "privsep": privsep_extra})
        # Configs may hold a PIN: parsecd refuses those that group or others can read.
        os.chmod(os.path.join(self.dir, "config.toml"), 0o600)
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

    def start_refused(self):
        """Starts parsecd expecting it to refuse: (started, exit status, log)."""
        try:
            self.start()
            started = True
        except RuntimeError:
            started = False
        code = self.wait_exit(10)
        return started, code, open(os.path.join(self.dir, "parsecd.log")).read()

    def ready_lines(self):
        try:
            return open(os.path.join(self.dir, "parsecd.log")).read().count("listening on")
        except FileNotFoundError:
            return 0

    def log(self):
        try:
            return open(os.path.join(self.dir, "parsecd.log")).read()
        except FileNotFoundError:
            return ""

    def wait_log(self, text, count, seconds=20):
        """Waits (generously) until the log holds text count times; returns the log."""
        deadline = time.time() + seconds
        while True:
            log = self.log()
            if log.count(text) >= count or time.time() > deadline:
                return log
            time.sleep(0.05)

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
        log = os.path.join(self.dir, "parsecd.log")
        if counts["failed"] and os.path.exists(log):  # a test may never have started it
            print(open(log).read()[-4000:])
        subprocess.run(["rm", "-rf", self.dir])


def memory_holders(procs, secret, piece=None):
    """[(command, pid, copies)] of the processes procs ([(pid, command)]) whose
    memory holds secret. With piece, any piece bytes of it at a multiple of
    piece / 2 count: a freed block keeps all but its first 16 bytes (malloc's
    list pointers)."""
    pieces = [secret] if piece is None else [secret[i:i + piece]
                                             for i in range(0, len(secret) - piece + 1, piece // 2)]
    found = []
    for pid, comm in procs:
        n = sum(memory_count(pid, p) for p in pieces)
        if n:
            found.append((comm, pid, n))
    return found


def worker_pids(svc, binary):
    """The pids of this service's workers running binary (not another service's)."""
    out = subprocess.run(["pgrep", "-P", str(svc.proc.pid), "-f", binary], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


def restart_worker(svc, binary, seconds=30):
    """Kills one of the service's workers running binary and waits until parsecd
    says a fresh one serves; True once it does."""
    before = svc.log().count("is serving again")
    pids = worker_pids(svc, binary)
    if not pids:
        return False
    os.kill(pids[0], 9)
    return svc.wait_log("is serving again", before + 1, seconds).count("is serving again") > before
