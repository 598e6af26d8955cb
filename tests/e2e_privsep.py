#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Privilege separation under attack, through a real parsecd started as root.

- Every child runs as the service user with no capabilities, NO_NEW_PRIVS and
  a seccomp filter; frontd's root is its empty chroot.
- The test build makes each process kind attempt a system call its sandbox
  forbids: the process dies of SIGSYS; a provider is restarted, frontd or
  brokerd take the whole service down (non-zero exit), and parsecd says which
  child died and how.
- SIGKILL of a provider worker under a load of 8 clients: every in-flight
  request is answered, signing works again within 2 s, keys are intact.

Usage: e2e_privsep.py TOPDIR (root only; skipped otherwise)
"""
import os
import subprocess
import sys
import threading
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "tests", "pb"))

import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402
import psa_algorithm_pb2 as alg_pb  # noqa: E402



def children(pid):
    out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [(int(p), c) for p, c in (line.split(None, 1) for line in out.strip().splitlines())]


def status_fields(pid):
    fields = {}
    for line in open("/proc/%d/status" % pid):
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return fields


def sign_request(svc, key="k"):
    op = sign_pb.Operation(key_name=key, hash=bytes(32))
    op.alg.ecdsa.hash_alg.specific = alg_pb.Algorithm.SHA_256
    return eb.call(svc.sock, 1, 0x04, op.SerializeToString(), eb.AUTH_DIRECT, b"app")


def sandbox_status():
    svc = eb.Service()
    svc.start()
    try:
        kids = children(svc.proc.pid)
        check("parsecd has frontd, brokerd and provider workers", len(kids) >= 4, kids)
        for pid, comm in kids:
            f = status_fields(pid)
            check("%s runs as the service user" % comm, f["Uid"][0] != "0" and len(set(f["Uid"])) == 1, f["Uid"])
            check("%s has no capabilities" % comm, f["CapEff"] == ["0000000000000000"] and
                  f["CapPrm"] == ["0000000000000000"] and f["CapBnd"] == ["0000000000000000"], f["CapEff"])
            check("%s has NO_NEW_PRIVS and a seccomp filter" % comm,
                  f["NoNewPrivs"] == ["1"] and f["Seccomp"] == ["2"], (f["NoNewPrivs"], f["Seccomp"]))
            root = os.readlink("/proc/%d/root" % pid)
            if comm == "parsec-frontd":
                check("frontd's root is its empty directory", root == "/var/empty" and os.listdir(root) == [], root)
            elif comm.startswith("parsec-provide"):
                check("%s is confined to its state directory" % comm,
                      root == os.path.join(svc.dir, "state", "mbed-crypto-provider"), root)
    finally:
        svc.stop()
        svc.remove()


def forbidden_syscalls():
    fault_tree = os.path.join(TOP, "tests", "faults")
    for target in ("provider", "frontd", "brokerd"):
        svc = eb.Service()
        os.environ["PARSEC_FORBIDDEN"] = target
        try:
            svc.start(tree=fault_tree)
            app = eb.App(svc, "app")
            app.generate("k")
            os.kill(svc.proc.pid, 10)  # SIGUSR1: the test build relays the order
            if target == "provider":
                deadline = time.time() + 5
                log = ""
                while time.time() < deadline:
                    log = open(os.path.join(svc.dir, "parsecd.log")).read()
                    if "is serving again" in log:
                        break
                    time.sleep(0.1)
                check("a provider breaking its sandbox dies of SIGSYS",
                      "killed by signal 31" in log and "mbed-crypto-provider/0" in log, log[-800:])
                st, _ = sign_request(svc)
                check("the provider is restarted and signs again", "is serving again" in log and st == 0, st)
            else:
                code = svc.wait_exit()
                log = open(os.path.join(svc.dir, "parsecd.log")).read()
                check("%s breaking its sandbox dies of SIGSYS, named in the log" % target,
                      "%s (pid" % target in log and "killed by signal 31" in log, log[-800:])
                check("%s's death stops the service with a non-zero exit" % target, code not in (0, None), code)
        finally:
            os.environ.pop("PARSEC_FORBIDDEN", None)
            svc.stop()
            svc.remove()


def kill_provider_under_load():
    svc = eb.Service()
    svc.start()
    try:
        app = eb.App(svc, "app")
        app.generate("k")
        public_before = app.public("k")
        results, stop = [], threading.Event()
        lock = threading.Lock()

        def client():
            while not stop.is_set():
                try:
                    st, _ = sign_request(svc)
                except Exception as e:
                    st = "no answer: %r" % e
                with lock:
                    results.append((time.time(), st))

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(1)
        workers = [pid for pid, comm in children(svc.proc.pid) if comm.startswith("parsec-provide")]
        killed_at = time.time()
        os.kill(workers[0], 9)
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join()
        statuses = set(st for _, st in results)
        check("every in-flight request got an answer (%d requests)" % len(results),
              all(isinstance(st, int) for st in statuses), statuses)
        check("answers are signatures or CommunicationFailure", statuses <= {0, 1145}, statuses)
        failures = [t for t, st in results if st != 0 and t >= killed_at]
        recovered = [t for t, st in results if st == 0 and t > (max(failures) if failures else killed_at)]
        check("signing goes on within 2 s of the kill", recovered and recovered[0] - killed_at < 2.0,
              (len(failures), recovered[:1], killed_at))
        check("the key is intact", app.public("k") == public_before and sign_request(svc)[0] == 0)
        log = open(os.path.join(svc.dir, "parsecd.log")).read()
        check("parsecd logs the killed worker and its restart",
              "killed by signal 9" in log and "restarting" in log, log[-600:])
        # The restarted worker really serves: take the other one away too.
        survivor = [pid for pid, comm in children(svc.proc.pid)
                    if comm.startswith("parsec-provide") and pid != workers[0]]
        restarted = [pid for pid, comm in children(svc.proc.pid)
                     if comm.startswith("parsec-provide") and pid not in workers]
        if survivor and restarted:
            os.kill([p for p in survivor if p not in restarted][0], 9)
        time.sleep(0.3)
        ok = [sign_request(svc)[0] for _ in range(10)]
        check("the restarted worker serves requests", restarted and ok.count(0) >= 5, (restarted, ok))
    finally:
        svc.stop()
        svc.remove()


def main():
    if os.geteuid() != 0:
        print("e2e_privsep: needs root; skipped")
        return 77
    sandbox_status()
    if os.environ.get("PARSEC_SANITIZED"):
        print("# sanitizer build: its seccomp filter lets other calls through; not checked")
    else:
        forbidden_syscalls()
    kill_provider_under_load()
    return summary("e2e_privsep")


if __name__ == "__main__":
    sys.exit(main())
