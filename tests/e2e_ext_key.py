#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""parsecd's key extensions on a real daemon: volatile keys (ExtGenerateVolatile,
ExtImportVolatile) live as long as the connection that made them -- gone after
it closes, after its process is killed with SIGKILL, after brokerd is killed and
the service started again, after a restart of the service -- and no more than
the per-connection bound; a connection holding one outlives the idle timeout.
ExtCopyKey: the source must permit copying, the copy's usage and algorithm are
narrowed to the source's and never widened, a type or size other than the
source's is refused, the copy holds the same material, and other applications
reach neither key; libparsec's calls do the same from a program
(tests/ext_key_client). On the Mbed Crypto provider and, where SoftHSMv2 is
installed, the PKCS#11 provider (copies with C_CopyObject) and, with swtpm,
the TPM provider (volatile keys; no copy)."""
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import App, Service, check  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402

import ext_key_copy_pb2 as copy_pb  # noqa: E402
import list_keys_pb2 as list_keys_pb  # noqa: E402
import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_export_key_pb2 as export_pb  # noqa: E402
import psa_export_public_key_pb2 as export_pub_pb  # noqa: E402
import psa_generate_key_pb2 as gen_pb  # noqa: E402
import psa_import_key_pb2 as import_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402

OP_GEN_VOLATILE, OP_IMPORT_VOLATILE, OP_COPY = 0x1050, 0x1051, 0x1052
OP_GENERATE, OP_SIGN_HASH, OP_EXPORT_PUBLIC, OP_EXPORT, OP_LIST_KEYS = 0x02, 0x04, 0x07, 0x0C, 0x1A
KEEP_ALIVE, EXTENSIONS = 0x0001, 0x0002
ST_NOT_PERMITTED, ST_NOT_SUPPORTED, ST_INVALID_ARGUMENT = 1133, 1134, 1135
ST_BAD_STATE, ST_ALREADY_EXISTS, ST_DOES_NOT_EXIST, ST_INSUFFICIENT_MEMORY = 1137, 1139, 1140, 1141
BOUND = 256  # volatile keys per connection
H = alg_pb.Algorithm


class Conn:
    """One kept connection of one application (Direct authentication)."""

    def __init__(self, svc, app):
        self.app = app.encode()
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(90)
        self.s.connect(svc.sock)

    def call(self, provider, opcode, msg, flags=KEEP_ALIVE | EXTENSIONS):
        body = msg.SerializeToString()
        hdr = struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, flags, provider, 1, 0, 0, eb.AUTH_DIRECT,
                          len(body), len(self.app), opcode, 0, 0, 0)
        self.s.sendall(hdr + body + self.app)
        fields, out = eb.read_response(self.s)
        return (fields[13] if fields else None), out

    def closed_by_service(self, seconds):
        """Whether the service closes the connection within seconds (EOF)."""
        self.s.settimeout(seconds)
        try:
            return self.s.recv(1) == b""
        except socket.timeout:
            return False
        finally:
            self.s.settimeout(90)

    def close(self):
        self.s.close()


def p256(sign_hash_any=False, copy=True, alg_hash=H.SHA_256):
    a = gen_pb.Operation().attributes
    a.key_type.ecc_key_pair.curve_family = a.key_type.SECP_R1
    a.key_bits = 256
    a.key_policy.key_usage_flags.sign_hash = True
    a.key_policy.key_usage_flags.copy = copy
    h = a.key_policy.key_algorithm.asymmetric_signature.ecdsa.hash_alg
    if sign_hash_any:
        h.any.SetInParent()
    else:
        h.specific = alg_hash
    return a


def aes(bits=128, export=True, copy=True, encrypt=True, decrypt=True):
    a = gen_pb.Operation().attributes
    a.key_type.aes.SetInParent()
    a.key_bits = bits
    u = a.key_policy.key_usage_flags
    u.export, u.copy, u.encrypt, u.decrypt = export, copy, encrypt, decrypt
    a.key_policy.key_algorithm.cipher = H.CTR
    return a


def gen_volatile(conn, name, attrs, provider=1, flags=KEEP_ALIVE | EXTENSIONS):
    op = gen_pb.Operation(key_name=name)
    op.attributes.CopyFrom(attrs)
    return conn.call(provider, OP_GEN_VOLATILE, op, flags)[0]


def copy_key(conn, source, target, attrs, volatile=False, provider=1):
    op = copy_pb.Operation(source_key_name=source, target_key_name=target, is_volatile=1 if volatile else 0)
    op.attributes.CopyFrom(attrs)
    return conn.call(provider, OP_COPY, op)[0]


def public(svc, app, name, provider=1):
    st, out = eb.call(svc.sock, provider, OP_EXPORT_PUBLIC, export_pub_pb.Operation(key_name=name).SerializeToString(),
                      eb.AUTH_DIRECT, app.encode())
    return st, export_pub_pb.Result.FromString(out).data if st == 0 else None


def export(svc, app, name, provider=1):
    st, out = eb.call(svc.sock, provider, OP_EXPORT, export_pb.Operation(key_name=name).SerializeToString(),
                      eb.AUTH_DIRECT, app.encode())
    return st, export_pb.Result.FromString(out).data if st == 0 else None


def listed(svc, app):
    """{name: attributes} of the application's keys, as ListKeys shows them."""
    st, out = eb.call(svc.sock, 0, OP_LIST_KEYS, b"", eb.AUTH_DIRECT, app.encode())
    return {k.name: k.attributes for k in list_keys_pb.Result.FromString(out).keys} if st == 0 else None


def gone(svc, app, name, provider=1, seconds=10):
    """Whether the key is gone within seconds: unusable (DoesNotExist) and its
    name free (the key store forgets it once the provider has destroyed it)."""
    deadline = time.monotonic() + seconds
    while True:
        st, _ = public(svc, app, name, provider)
        free = name not in (listed(svc, app) or {}) and not pending(svc, app, name)
        if (st == ST_DOES_NOT_EXIST and free) or time.monotonic() > deadline:
            return st == ST_DOES_NOT_EXIST and free
        time.sleep(0.05)


def store_count(svc, app):
    """The application's entries in the key store, in any state."""
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(svc.dir, "kim", "kim.sqlite3"), uri=True)
    try:
        return db.execute("SELECT COUNT(*) FROM keys WHERE app = ?", (app,)).fetchone()[0]
    finally:
        db.close()


def pending(svc, app, name):
    """Whether the key store still holds the name (in any state): read from its file."""
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(svc.dir, "kim", "kim.sqlite3"), uri=True)
    try:
        return db.execute("SELECT 1 FROM keys WHERE app = ? AND name = ?", (app, name)).fetchone() is not None
    finally:
        db.close()


def child(sock, app, name, provider):
    """Run as a child process: makes a volatile key on a kept connection, says so, waits."""
    svc = type("S", (), {"sock": sock})()
    conn = Conn(svc, app)
    print(gen_volatile(conn, name, p256(), int(provider)), flush=True)
    time.sleep(600)


def volatile_life(svc, provider, tag):
    """A volatile key works, and goes with its connection however that ends."""
    conn = Conn(svc, "vol")
    st = gen_volatile(conn, "v1", p256(), provider)
    check("%s: a volatile key is made on a kept connection" % tag, st == 0, st)
    hop = sign_pb.Operation(key_name="v1", hash=b"\x01" * 32)
    hop.alg.ecdsa.hash_alg.specific = H.SHA_256
    st, _ = conn.call(provider, OP_SIGN_HASH, hop)
    check("%s: it signs" % tag, st == 0, st)
    st, _ = public(svc, "vol", "v1", provider)
    check("%s: another connection of its application uses it while it lives" % tag, st == 0, st)
    check("%s: another application does not reach it" % tag, public(svc, "other", "v1", provider)[0] == ST_DOES_NOT_EXIST)
    conn.close()
    check("%s: gone once its connection closes" % tag, gone(svc, "vol", "v1", provider))
    check("%s: its name is free again" % tag, App(svc, "vol").generate("v1") == 0 if provider == 1 else True)
    if provider == 1:
        App(svc, "vol").destroy("v1")

    kid = subprocess.Popen([sys.executable, os.path.abspath(__file__), eb.TOP, "--child", svc.sock, "vol", "v2",
                            str(provider)],
                           stdout=subprocess.PIPE, text=True)
    said = kid.stdout.readline().strip()
    check("%s: a child process made a volatile key" % tag, said == "0", said)
    check("%s: it is there while the child lives" % tag, public(svc, "vol", "v2", provider)[0] == 0)
    kid.send_signal(signal.SIGKILL)
    kid.wait()
    check("%s: gone after the child is killed with SIGKILL" % tag, gone(svc, "vol", "v2", provider))

    last = Conn(svc, "vol")
    check("%s: a volatile key on a kept connection" % tag, gen_volatile(last, "vl", p256(), provider) == 0)
    st, _ = last.call(provider, OP_EXPORT_PUBLIC, export_pub_pb.Operation(key_name="vl"), flags=EXTENSIONS)
    check("%s: a last request (no keep-alive) still uses it" % tag, st == 0, st)
    check("%s: and closes the connection" % tag, last.closed_by_service(5))
    last.close()
    check("%s: which destroys the key" % tag, gone(svc, "vol", "vl", provider))

    one_shot = Conn(svc, "vol")
    st = gen_volatile(one_shot, "v3", p256(), provider, flags=EXTENSIONS)
    check("%s: refused (BadState) on a connection that closes after the answer" % tag,
          st == ST_BAD_STATE, st)
    check("%s: and nothing made" % tag, public(svc, "vol", "v3", provider)[0] == ST_DOES_NOT_EXIST)


def lib_client(svc):
    """libparsec's calls, from a program: its kept connection holds its volatile keys."""
    prog = os.path.join(eb.TOP, "tests", "ext_key_client")
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock)
    kid = subprocess.Popen([prog, "libapp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    said = {}
    for line in kid.stdout:
        if line.strip() == "ready":
            break
        k, v = line.split()
        said[k] = int(v)
    check("libparsec: volatile generate, volatile import and copy succeed",
          said == {"generate": 0, "import": 0, "copy": 0, "same": 1}, said)
    ks = listed(svc, "libapp") or {}
    check("libparsec: the copy took the source's type and size, and only export",
          "lib-copy" in ks and ks["lib-copy"].key_bits == 128 and ks["lib-copy"].key_type.HasField("aes")
          and usage_names(ks["lib-copy"]) == ["export"], ks.get("lib-copy"))
    check("libparsec: its volatile keys live while the program runs",
          export(svc, "libapp", "lib-vol")[0] == 0 and export(svc, "libapp", "lib-imp")[0] == 0)
    kid.stdin.close()
    kid.wait()
    check("libparsec: gone when the program exits", gone(svc, "libapp", "lib-vol") and gone(svc, "libapp", "lib-imp"))
    check("libparsec: the persistent copy stays", export(svc, "libapp", "lib-copy")[0] == 0)


def bound(svc):
    conn = Conn(svc, "many")
    imp = import_pb.Operation(data=b"\x11" * 16)
    imp.attributes.CopyFrom(aes())
    sts = []
    for i in range(BOUND):
        imp.key_name = "b%d" % i
        sts.append(conn.call(1, OP_IMPORT_VOLATILE, imp)[0])
    check("%d volatile keys fit one connection" % BOUND, sts == [0] * BOUND, set(sts))
    imp.key_name = "over"
    st = conn.call(1, OP_IMPORT_VOLATILE, imp)[0]
    check("one more is refused with InsufficientMemory", st == ST_INSUFFICIENT_MEMORY, st)
    other = Conn(svc, "many")
    check("another connection of the application still makes one", gen_volatile(other, "b-other", p256()) == 0)
    n = len(listed(svc, "many"))
    check("ListKeys shows the volatile keys (%d)" % n, n == BOUND + 1, n)
    files_before = len(svc.key_files())
    conn.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and store_count(svc, "many") > 1:
        time.sleep(0.1)
    check("all %d go when their connection closes; the other connection's stays" % BOUND,
          list(listed(svc, "many")) == ["b-other"], len(listed(svc, "many")))
    check("and their material leaves the provider", len(svc.key_files()) == files_before - BOUND,
          (files_before, len(svc.key_files())))
    other.close()
    check("the other goes with its own connection", gone(svc, "many", "b-other"))


def idle(svc):
    """keep_alive_timeout is 1 s in this service: a plain kept connection is closed, one with a volatile key is not."""
    plain, holder = Conn(svc, "idle"), Conn(svc, "idle")
    check("a volatile key on the holder", gen_volatile(holder, "held", p256()) == 0)
    check("an idle kept connection without one is closed after the keep-alive timeout",
          plain.closed_by_service(5))
    time.sleep(1.5)
    hop = sign_pb.Operation(key_name="held", hash=b"\x02" * 32)
    hop.alg.ecdsa.hash_alg.specific = H.SHA_256
    st, _ = holder.call(1, OP_SIGN_HASH, hop)
    check("the one holding a volatile key outlives the timeout, and its key signs", st == 0, st)
    holder.close()
    plain.close()


def restarts(svc):
    conn = Conn(svc, "boot")
    check("a volatile key before brokerd dies", gen_volatile(conn, "vb", p256()) == 0)
    check("and a persistent one", App(svc, "boot").generate("kept") == 0)
    files = len(svc.key_files())
    broker = eb.worker_pids(svc, "parsec-brokerd")
    os.kill(broker[0], signal.SIGKILL)
    code = svc.wait_exit(20)
    check("brokerd killed with SIGKILL: the service stops (non-zero) for its manager to restart it",
          code not in (None, 0), code)
    check("the connection that made the volatile key did not survive", conn.closed_by_service(10))
    conn.close()
    svc.start()
    check("after the restart the volatile key is gone", public(svc, "boot", "vb")[0] == ST_DOES_NOT_EXIST)
    check("its material too", len(svc.key_files()) == files - 1, (files, len(svc.key_files())))
    check("the start said so", "1 volatile keys left by the previous start are destroyed" in svc.log())
    check("the persistent key is still there", public(svc, "boot", "kept")[0] == 0)
    conn = Conn(svc, "boot")
    check("a volatile key before a restart of the service", gen_volatile(conn, "vs", p256()) == 0)
    svc.stop()
    conn.close()
    svc.start()
    check("after a restart of the service it is gone", public(svc, "boot", "vs")[0] == ST_DOES_NOT_EXIST)
    check("its name is free", App(svc, "boot").generate("vs") == 0)


def migration(svc):
    """A key store made before volatile keys (no conn_id column) gains it; its keys stay persistent."""
    import sqlite3
    check("a persistent key before", App(svc, "old").generate("old-key") == 0)
    svc.stop()
    path = os.path.join(svc.dir, "kim", "kim.sqlite3")
    owner = os.stat(path)
    db = sqlite3.connect(path)
    db.execute("DROP INDEX keys_volatile")
    db.execute("ALTER TABLE keys DROP COLUMN conn_id")
    db.commit()
    db.close()
    for f in os.listdir(os.path.dirname(path)):
        os.chown(os.path.join(os.path.dirname(path), f), owner.st_uid, owner.st_gid)
    svc.start()
    check("an older key store is served", public(svc, "old", "old-key")[0] == 0)
    check("no volatile key was dropped from it", "volatile keys left by the previous start" not in
          svc.log().split("listening on")[-2])
    conn = Conn(svc, "old")
    check("volatile keys work on it", gen_volatile(conn, "old-vol", p256()) == 0)
    conn.close()
    check("and go with their connection", gone(svc, "old", "old-vol"))
    check("its persistent key stays", public(svc, "old", "old-key")[0] == 0)


def usage_names(attrs):
    u = attrs.key_policy.key_usage_flags
    return sorted(f.name for f, v in u.ListFields() if v)


def copies(svc):
    conn = Conn(svc, "cp")
    st = gen_volatile(conn, "nocopy", aes(copy=False))
    check("a source without the copy permission", st == 0, st)
    st = copy_key(conn, "nocopy", "c0", aes())
    check("copying it is NotPermitted", st == ST_NOT_PERMITTED, st)

    check("an exportable, copyable AES source", gen_volatile(conn, "src", aes(decrypt=False)) == 0)
    want = aes(encrypt=True, decrypt=True)
    st = copy_key(conn, "src", "c1", want)
    check("copied into a persistent key", st == 0, st)
    ks = listed(svc, "cp")
    check("the copy's usage is the intersection (no decrypt, which the source lacks)",
          ks and usage_names(ks["c1"]) == ["copy", "encrypt", "export"], ks and usage_names(ks["c1"]))
    s1, m1 = export(svc, "cp", "src")
    s2, m2 = export(svc, "cp", "c1")
    check("the copy holds the source's material", s1 == 0 and s2 == 0 and m1 == m2 and len(m1) == 16, (s1, s2))
    narrow = aes(export=False, copy=False, decrypt=False)
    check("a narrower copy", copy_key(conn, "src", "c2", narrow) == 0)
    check("which cannot be exported", export(svc, "cp", "c2")[0] == ST_NOT_PERMITTED)
    check("nor copied again", copy_key(conn, "c2", "c3", aes()) == ST_NOT_PERMITTED)
    check("a copy onto an existing name is AlreadyExists", copy_key(conn, "src", "c1", aes()) == ST_ALREADY_EXISTS)
    check("a copy of a missing key is DoesNotExist", copy_key(conn, "nope", "c4", aes()) == ST_DOES_NOT_EXIST)
    bad_bits = aes(bits=256)
    check("a size other than the source's is InvalidArgument", copy_key(conn, "src", "c5", bad_bits) == ST_INVALID_ARGUMENT)
    check("a type other than the source's is InvalidArgument", copy_key(conn, "src", "c6", p256()) == ST_INVALID_ARGUMENT)
    unset = aes()
    unset.ClearField("key_type")
    unset.key_bits = 0
    check("type and size left unset take the source's", copy_key(conn, "src", "c7", unset) == 0)
    ks = listed(svc, "cp")
    check("so listed", ks["c7"].key_bits == 128 and ks["c7"].key_type.HasField("aes"), ks.get("c7"))
    other_alg = aes()
    other_alg.key_policy.key_algorithm.cipher = H.CBC_NO_PADDING
    check("an algorithm the source does not permit is InvalidArgument",
          copy_key(conn, "src", "c8", other_alg) == ST_INVALID_ARGUMENT)

    check("a source signing with any hash", gen_volatile(conn, "sig-any", p256(sign_hash_any=True)) == 0)
    check("copied for SHA-384 only", copy_key(conn, "sig-any", "s384", p256(alg_hash=H.SHA_384)) == 0)
    ks = listed(svc, "cp")
    got = ks["s384"].key_policy.key_algorithm.asymmetric_signature.ecdsa.hash_alg
    check("the copy's algorithm is the specific one", got.specific == H.SHA_384, got)
    check("a SHA-256 source", gen_volatile(conn, "sig256", p256()) == 0)
    check("copied asking for any hash", copy_key(conn, "sig256", "swide", p256(sign_hash_any=True)) == 0)
    got = listed(svc, "cp")["swide"].key_policy.key_algorithm.asymmetric_signature.ecdsa.hash_alg
    check("is narrowed to SHA-256, never widened", got.HasField("specific") and got.specific == H.SHA_256, got)
    s1, p1 = public(svc, "cp", "sig256")
    s2, p2 = public(svc, "cp", "swide")
    check("and has the source's public key", s1 == 0 and p1 == p2, (s1, s2))

    check("a volatile copy", copy_key(conn, "src", "cv", aes(), volatile=True) == 0)
    thief = Conn(svc, "thief")
    check("another application cannot copy the source", copy_key(thief, "src", "stolen", aes()) == ST_DOES_NOT_EXIST)
    check("nor export the copy", export(svc, "thief", "c1")[0] == ST_DOES_NOT_EXIST)
    check("nor the volatile copy", export(svc, "thief", "cv")[0] == ST_DOES_NOT_EXIST)
    thief.close()
    conn.close()
    check("the volatile copy goes with the connection", gone(svc, "cp", "cv"))
    check("the volatile source too", gone(svc, "cp", "src"))
    s, m = export(svc, "cp", "c1")
    check("the persistent copy stays, with the material", s == 0 and m == m1, s)


def pkcs11(svc, token):
    volatile_life(svc, 2, "PKCS#11")
    conn = Conn(svc, "p11")
    check("PKCS#11: a source", gen_volatile(conn, "ps", p256(sign_hash_any=True), 2) == 0)
    st = copy_key(conn, "ps", "pc", p256(alg_hash=H.SHA_384), provider=2)
    check("PKCS#11: copied (C_CopyObject)", st == 0, st)
    s1, p1 = public(svc, "p11", "ps", 2)
    s2, p2 = public(svc, "p11", "pc", 2)
    check("PKCS#11: the copy has the source's public key", s1 == 0 and s2 == 0 and p1 == p2, (s1, s2))
    hop = sign_pb.Operation(key_name="pc", hash=b"\x03" * 48)
    hop.alg.ecdsa.hash_alg.specific = H.SHA_384
    check("PKCS#11: the copy signs with its algorithm", conn.call(2, OP_SIGN_HASH, hop)[0] == 0)
    hop.hash = b"\x03" * 32
    hop.alg.ecdsa.hash_alg.specific = H.SHA_256
    check("PKCS#11: and not with another the source permitted",
          conn.call(2, OP_SIGN_HASH, hop)[0] == ST_NOT_PERMITTED)
    check("PKCS#11: a source without copy", gen_volatile(conn, "pn", p256(copy=False), 2) == 0)
    check("PKCS#11: is not copied", copy_key(conn, "pn", "pn2", p256(), provider=2) == ST_NOT_PERMITTED)
    check("PKCS#11: a volatile copy", copy_key(conn, "ps", "pv", p256(), volatile=True, provider=2) == 0)
    objects = len(token.objects())
    conn.close()
    check("PKCS#11: the volatile source and copies go with the connection",
          gone(svc, "p11", "ps", 2) and gone(svc, "p11", "pv", 2) and gone(svc, "p11", "pn", 2))
    check("PKCS#11: their objects leave the token (two per key pair)",
          len(token.objects()) == objects - 6, (objects, len(token.objects())))
    check("PKCS#11: the persistent copy stays", public(svc, "p11", "pc", 2) == (0, p1))


def tpm_provider():
    """The TPM provider (swtpm): volatile keys as on the others; copy NotSupported."""
    with swtpmlib.Swtpm() as tpm:
        svc = Service(provider_extra='\n[[provider]]\nprovider_type = "Tpm"\nkey_info_manager = '
                      '"sqlite-manager"\ntcti = "%s"\n' % tpm.tcti)
        try:
            svc.start()
            volatile_life(svc, 3, "TPM")
            conn = Conn(svc, "tpm")
            check("TPM: a volatile source", gen_volatile(conn, "ts", p256(), 3) == 0)
            st = copy_key(conn, "ts", "tc", p256(), provider=3)
            check("TPM: copy is NotSupported", st == ST_NOT_SUPPORTED, st)
            conn.close()
            check("TPM: the volatile source goes with its connection", gone(svc, "tpm", "ts", 3))
        finally:
            svc.stop()
            svc.remove()


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "--child":
        child(*sys.argv[3:7])
        return 0
    svc = Service(privsep_extra="keep_alive_timeout = 1000")
    token = None
    if softhsmlib.available():
        token = softhsmlib.Token(svc.dir)
        svc = Service(directory=svc.dir, provider_extra=token.provider_table(),
                      privsep_extra="keep_alive_timeout = 1000")
    try:
        svc.start()
        volatile_life(svc, 1, "Mbed Crypto")
        idle(svc)
        copies(svc)
        lib_client(svc)
        bound(svc)
        if token is not None:
            pkcs11(svc, token)
        else:
            print("# SoftHSMv2 missing: the PKCS#11 provider is not tested")
        restarts(svc)
        migration(svc)
    finally:
        svc.stop()
        svc.remove()
    if swtpmlib.available():
        tpm_provider()
    else:
        print("# swtpm missing: the TPM provider is not tested")
    return eb.summary("e2e_ext_key")


if __name__ == "__main__":
    sys.exit(main())
