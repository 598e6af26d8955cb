#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Privilege separation under attack, through a real parsecd started as root.

- Every child runs as the service user with no capabilities, NO_NEW_PRIVS and
  a seccomp filter; frontd's root is its empty chroot. The root parent maps no
  key store or device library (SQLite, p11-kit, tpm2-tss, mbedtls): what reads
  them runs in the children and in the adoption helper.
- The test build makes each process kind attempt a system call its sandbox
  forbids: the process dies of SIGSYS; a provider is restarted, frontd or
  brokerd take the whole service down (non-zero exit), and parsecd says which
  child died and how.
- The test build can leave a saved uid of 0 behind the privilege drop: the
  child's proof that root cannot be regained stops it, and the service.
- SIGKILL of a provider worker under a load of 8 clients: every in-flight
  request is answered, the service logs the worker back, and from then on
  every request is signed; keys are intact.
- A provider worker taken over (test build) that breaks the internal protocol
  costs only itself: towards brokerd (a garbage frame, a frame claiming a
  descriptor it does not carry, then it neither answers nor exits) brokerd
  drops it and the parent kills it; towards the parent (a second HELLO, a
  garbage frame) the parent kills it. Either way it is restarted, another
  client signs throughout, and the service does not exit.
- frontd saying HELLO out of turn (test build) is killed by the parent, whose
  policy for frontd then stops the service in order: non-zero exit, every
  child gone, the socket removed.

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
        libs = sorted({line.split()[-1] for line in open("/proc/%d/maps" % svc.proc.pid)
                       if any(n in line for n in ("libsqlite3", "libp11-kit", "libtss2", "libmbed",
                                                  "libseccomp", "libcap."))})
        check("the root parent maps no key store, device or sandbox library", libs == [], libs)
        for pid, comm in kids:
            f = eb.proc_status(pid)
            check("%s runs as the service user" % comm, f["Uid"][0] != "0" and len(set(f["Uid"])) == 1, f["Uid"])
            check("%s has no capabilities" % comm, all(f[c] == ["0000000000000000"] for c in (
                "CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb")), f["CapEff"])
            # Memory: libcap is not mapped for one capset, libseccomp is unloaded once
            # the filter is in, and brokerd links SQLite's archive, not its library.
            mapped = sorted({line.split()[-1] for line in open("/proc/%d/maps" % pid)
                             if any(n in line for n in ("libcap.", "libseccomp", "libsqlite3"))})
            check("%s maps none of libcap, libseccomp, libsqlite3.so" % comm, mapped == [], mapped)
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


def root_regain():
    """A drop that leaves a saved uid of 0 (test build) must not go unnoticed."""
    svc = eb.Service()
    try:
        svc.start(tree=os.path.join(TOP, "tests", "faults"), fault="keep-saved-uid")
        started = True
    except RuntimeError:
        started = False
    code = svc.wait_exit()
    log = open(os.path.join(svc.dir, "parsecd.log")).read()
    check("a child whose saved uid is still 0 dies saying root could be regained",
          "root could be regained" in log, log[-800:])
    check("and parsecd does not serve but exits non-zero", not started and code not in (0, None),
          (started, code))
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
        back = [t for t, st in results if t >= killed_at and st == 0]
        check("signing goes on after the kill (within a generous 10 s)",
              back and back[0] - killed_at < 10.0, (len(results), killed_at))
        # The exact part: once the service says the worker is back, nothing fails.
        log = svc.wait_log("is serving again", 1)
        check("parsecd logs the killed worker and its restart",
              "(pid %d) was killed by signal 9" % workers[0] in log and "restarting" in log and
              "is serving again" in log, log[-600:])
        check("the key is intact", app.public("k") == public_before and sign_request(svc)[0] == 0)
        after_back = [sign_request(svc)[0] for _ in range(10)]
        check("once the worker is back, 10 of 10 requests are signed", after_back == [0] * 10, after_back)
        # The restarted worker really serves: take the other one away too.
        survivor = [pid for pid, comm in children(svc.proc.pid)
                    if comm.startswith("parsec-provide") and pid != workers[0]]
        restarted = [pid for pid, comm in children(svc.proc.pid)
                     if comm.startswith("parsec-provide") and pid not in workers]
        check("a new worker replaced the killed one", len(restarted) == 1, (workers, survivor))
        others = [p for p in survivor if p not in restarted]
        if others:
            os.kill(others[0], 9)
        log = svc.wait_log("is serving again", 2)
        ok = [sign_request(svc)[0] for _ in range(10)]
        check("with both first workers gone, the restarted ones sign 10 of 10", ok == [0] * 10,
              (ok, log[-600:]))
    finally:
        svc.stop()
        svc.remove()


MISBEHAVIOURS = (
    # (PARSEC_FAULT, towards, what the log says of it)
    ("bad-frame-broker", "brokerd", "brokerd dropped provider mbed-crypto-provider/"),
    ("claim-fd-broker", "brokerd", "a message lacking its descriptor from provider"),
    ("hello-parent", "the parent", "sent HELLO out of turn"),
    ("bad-frame-parent", "the parent", "broke the internal protocol; killing it"),
)


def misbehaving_worker(fault, towards, said):
    """A worker breaking the protocol at a GenerateRandom (test build): only it pays."""
    import psa_generate_random_pb2 as random_pb
    svc = eb.Service()
    svc.start(tree=os.path.join(TOP, "tests", "faults"), fault=fault)
    try:
        app = eb.App(svc, "app")
        app.generate("k")
        workers = [pid for pid, comm in children(svc.proc.pid) if comm.startswith("parsec-provide")]
        results, stop = [], threading.Event()

        def signer():
            while not stop.is_set():
                try:
                    results.append((time.time(), sign_request(svc)[0]))
                except Exception as e:
                    results.append((time.time(), "no answer: %r" % e))

        t = threading.Thread(target=signer)
        t.start()
        time.sleep(0.3)
        faulted_at = time.time()
        try:
            # 4097 bytes: past what frontd answers alone, so the worker is asked.
            st = app._call(1, 0x0D, random_pb.Operation(size=4097))[0]
        except Exception as e:
            st = "no answer: %r" % e
        log = svc.wait_log("is serving again", 1)
        time.sleep(0.5)
        stop.set()
        t.join()
        check("%s: the request it broke on is answered" % fault, st in (0, 1145), st)
        check("%s: the worker breaking the protocol towards %s is killed, saying why" % (fault, towards),
              said in log and "was killed by signal 9" in log, log[-1500:])
        check("%s: and restarted" % fault, "restarting provider mbed-crypto-provider/" in log and
              "is serving again" in log, log[-800:])
        check("%s: the service did not exit" % fault, svc.proc.poll() is None, svc.proc.poll())
        statuses = set(st for _, st in results)
        check("%s: another client's signs are all answered, %d of them (Success or "
              "CommunicationFailure)" % (fault, len(results)), statuses <= {0, 1145}, statuses)
        check("%s: and signed during and after the fault" % fault,
              any(st == 0 for t0, st in results if t0 >= faulted_at), len(results))
        after = [sign_request(svc)[0] for _ in range(10)]
        check("%s: afterwards 10 of 10 signs succeed" % fault, after == [0] * 10, after)
        now = [pid for pid, comm in children(svc.proc.pid) if comm.startswith("parsec-provide")]
        check("%s: a new worker replaced the faulty one" % fault,
              len(now) == len(workers) and len(set(now) - set(workers)) == 1, (workers, now))
    finally:
        svc.stop()
        svc.remove()


def frontd_out_of_turn():
    """frontd speaking out of turn to the parent: it is killed, and the service stops in order."""
    svc = eb.Service()
    svc.start(tree=os.path.join(TOP, "tests", "faults"), fault="frontd-hello")
    try:
        kids = [pid for pid, _ in children(svc.proc.pid)]
        code = svc.wait_exit()
        log = svc.log()
        check("frontd saying HELLO out of turn is named and killed by the parent",
              "frontd sent HELLO out of turn" in log and "frontd (pid" in log and
              "was killed by signal 9" in log, log[-1200:])
        check("and the service stops as frontd's loss says, non-zero", code not in (0, None) and
              "stopping the service" in log, code)
        left = [pid for pid in kids if os.path.exists("/proc/%d" % pid)]  # reaped, so gone
        check("every child is gone and the socket removed", left == [] and not os.path.exists(svc.sock),
              (left, os.path.exists(svc.sock)))
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
    root_regain()
    kill_provider_under_load()
    for fault, towards, said in MISBEHAVIOURS:
        misbehaving_worker(fault, towards, said)
    frontd_out_of_turn()
    return summary("e2e_privsep")


if __name__ == "__main__":
    sys.exit(main())
