#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Secrets that pass through the service leave no copy behind: a private key
imported and exported through libparsec (tests/wipe_client), the shared secret
of a raw key agreement and GenerateRandom's bytes are, once answered, in the
memory of no process of the service (the parent, frontd, brokerd, every
provider worker) nor of the application, but in the provider that keeps the
key until it is destroyed; after the destroy, nowhere at all.

Usage: e2e_wipe.py TOPDIR
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
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
    finally:
        svc.stop()
        svc.remove()
    return summary("e2e_wipe")


if __name__ == "__main__":
    sys.exit(main())
