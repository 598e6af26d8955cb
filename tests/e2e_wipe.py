#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Secrets that pass through the service leave no copy behind: a private key
imported and exported through libparsec (tests/wipe_client), the shared secret
of a raw key agreement and GenerateRandom's bytes are, once answered, in the
memory of no process of the service (the parent, frontd, brokerd, every
provider worker) nor of the application, but in the provider that keeps the
key until it is destroyed; after the destroy, nowhere at all. A multipart
AEAD operation's key (AES-256-GCM, ChaCha20-Poly1305) is in its worker while
the operation lives, and in no process once it ended.

Usage: e2e_wipe.py TOPDIR
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
import e2e_ext_mp as mp  # noqa: E402
from e2elib import check, summary  # noqa: E402

CLIENT = os.path.join(eb.TOP, "tests", "wipe_client")


def private_key():
    """32 random bytes that are a P-256 private key (below the group order)."""
    key = bytearray(os.urandom(32))
    key[0] = 0x10 + key[0] % 0x60
    return bytes(key)


def client_lines(proc):
    """The client's reports up to its next "step" line: {name: bytes}."""
    got = {}
    while True:
        line = proc.stdout.readline().decode()
        if not line:
            raise RuntimeError("wipe_client stopped (exit %s)" % proc.poll())
        name, _, value = line.strip().partition(" ")
        if name == "step":
            return got
        got[name] = bytes.fromhex(value)


def where(secret, procs):
    """Who holds any 16 bytes of secret: as distinctive as a whole key."""
    return eb.memory_holders(procs, secret, piece=16)


def next_step(proc, line=b"next\n"):
    proc.stdin.write(line)
    proc.stdin.flush()
    return client_lines(proc)


def run(svc):
    key = private_key()
    proc = subprocess.Popen([CLIENT, svc.sock], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        next_step(proc, key)
        service = eb.service_pids(svc.proc.pid)
        workers = [p for p in service if p[1].startswith("parsec-provider")]
        others = [p for p in service if p not in workers] + [(proc.pid, "wipe_client")]
        everyone = service + [(proc.pid, "wipe_client")]
        check("the service has its parent, frontd, brokerd and two workers to look into",
              len(others) == 4 and len(workers) == 2, service)
        check("once imported, the private key is in no memory but the provider's (parsecd, "
              "frontd, brokerd, the application with libparsec)", where(key, others) == [],
              where(key, others))
        got = next_step(proc)
        check("ExportKey gives the key back whole", got.get("exported") == key, got)
        check("once exported, the private key is in no memory but the provider's",
              where(key, others) == [], where(key, others))
        for name, size in (("shared", 32), ("random", 48)):
            got = next_step(proc)
            check("%s: %d bytes answered" % (name, size), len(got.get(name, b"")) == size, got)
            check("once answered, the %s secret is in no process at all" % name,
                  where(got[name], everyone) == [], where(got[name], everyone))
        next_step(proc)
        check("once destroyed, the private key is in no process at all", where(key, everyone) == [],
              where(key, everyone))
        proc.stdin.write(b"exit\n")
        proc.stdin.flush()
        check("the application exits cleanly", proc.wait(30) == 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_aead(svc):
    """Multipart AEAD: the worker reads the key's material into its operation and wipes it."""
    service = eb.service_pids(svc.proc.pid)
    for name, kt, base in (("wipe-gcm", "aes", mp.GCM),
                           ("wipe-chachapoly", "chacha20", mp.CHACHA20_POLY1305)):
        key = os.urandom(32)
        st = mp.import_key(svc, name, mp.plain(kt), 256, ["encrypt", "decrypt"],
                           mp.aead_policy(base), key)
        c = mp.Conn(svc)
        st2, r = c.op("aead_setup", key_name=name, alg=base)
        c.op("aead_set_nonce", handle=r.handle if r else 0, input=bytes(12))
        st3, _ = c.op("aead_update", handle=r.handle if r else 0, input=bytes(40))
        check("%s: imported and a multipart encryption under way" % name,
              (st, st2, st3) == (0, 0, 0), (st, st2, st3))
        held = [w[0] for w in where(key, service)]
        check("%s: while the operation lives, its key is in its worker only" % name,
              held and all(h.startswith("parsec-provider") for h in held), held)
        st, f = c.op("aead_finish", handle=r.handle if r else 0)
        check("%s: finished, with a tag" % name, st == 0 and len(f.tag) == 16, st)
        check("%s: once the operation ended, its key is in no process at all" % name,
              where(key, service) == [], where(key, service))
        c.close()


def main():
    if os.geteuid() != 0:
        print("# not root: process memory is not read")
        return 77
    if os.environ.get("PARSEC_SANITIZED"):
        # ASan's reserved shadow and heap cannot be read through; the plain build reads them.
        print("# sanitizer build: process memory is not read")
        return 77
    svc = eb.Service()
    svc.start()
    try:
        run(svc)
        run_aead(svc)
    finally:
        svc.stop()
        svc.remove()
    return summary("e2e_wipe")


if __name__ == "__main__":
    sys.exit(main())
