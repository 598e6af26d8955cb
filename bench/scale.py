#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make bench-scale (and the last part of make bench): one key store grown to
KEYS keys over APPS applications of the Direct authenticator, 8 clients on kept
connections, each key an AES-128 import into the Mbed Crypto provider (the
cheapest creation that still takes the whole path: brokerd's two-phase entry
in the key store, the worker's key file, both made durable). Then: the create
rate of the first and last thousand keys, start to ready, one application's
ListKeys, an admin's ListClients, brokerd's memory, the store's size on disk
per key, a SIGKILL of brokerd in the middle of creations and the restart
(every key answered success exported back, nothing half-made left), and 1,000
connections from 100 uids at once under UnixPeerCredentials.
The hot loop is bench/parsec-bench-scale (C).
Usage: scale.py TOP   (BENCH_SCALE_KEYS, default 1000000; BENCH_SCALE_APPS, 10000;
BENCH_SCALE_DIR, a directory for the store, default a temporary one, removed after; a store
already there is grown on to KEYS; BENCH_SCALE_GROW_ONLY=1 stops after the growth, listings,
memory and size)"""

import os
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
sys.path.insert(0, os.path.join(TOP, "tests"))
import e2elib as eb  # noqa: E402
import e2e_ops as ops  # noqa: E402

KEYS = int(os.environ.get("BENCH_SCALE_KEYS", "1000000"))
APPS = int(os.environ.get("BENCH_SCALE_APPS", "10000"))
CLIENTS = 8
CLIENT = os.path.join(TOP, "bench", "parsec-bench-scale")
TEMPLATE = "k0000000000"  # the key name; its ten digits are the key's index
A = ops.A
rows = []


def load():
    return "%.2f" % os.getloadavg()[0]


def report(what, value, target=""):
    rows.append((what, value, target, load()))
    print("%-46s %-28s %-14s load %s" % (what, value, target, load()), flush=True)


def bodies():
    """(import body, its name offset, export body, its name offset)."""
    at = ops.attrs(ops.plain("aes"), 128, ["export", "encrypt"], ops.alg_of(cipher=A.CTR))
    imp = ops.import_pb.Operation(key_name=TEMPLATE, attributes=at, data=bytes(range(16)))
    exp = ops.export_pb.Operation(key_name=TEMPLATE)
    b1, b2 = imp.SerializeToString(), exp.SerializeToString()
    return b1, b1.find(TEMPLATE.encode()) + 1, b2, b2.find(TEMPLATE.encode()) + 1


def run_client(sock, opcode, body, off, where, okfile="-", background=False):
    argv = [CLIENT, sock, str(CLIENTS), str(APPS), str(opcode), body.hex(), str(off), where, okfile]
    if background:
        return subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    return parse(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


def parse(out):
    blocks, summary = [], {}
    for line in out.splitlines():
        if line.startswith("block "):
            blocks.append(float(line.split()[2]))
        elif line.startswith("done="):
            summary = {k: float(v) for k, v in (kv.split("=") for kv in line.split())}
    return blocks, summary


def pid_of(svc, comm):
    return next((p for p, c in eb.service_pids(svc.proc.pid) if c == comm), None)


def vm(pid, field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def start_cpu(svc):
    """CPU seconds the service has used so far: every live process's, and those of the
    children parsecd has reaped (its helpers). Load stretches the wall clock, not these."""
    total = 0
    for pid, _ in eb.service_pids(svc.proc.pid):
        fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        total += sum(int(f) for f in fields[11:13])
        if pid == svc.proc.pid:
            total += sum(int(f) for f in fields[13:15])
    return total / os.sysconf("SC_CLK_TCK")


def timed_start(svc):
    """Starts parsecd; seconds until its log says it listens (polled every 2 ms)."""
    before = svc.ready_lines()
    log = open(os.path.join(svc.dir, "parsecd.log"), "a")
    t0 = time.monotonic()
    svc.proc = subprocess.Popen([os.path.join(TOP, "parsecd", "parsecd"), "-c",
                                 os.path.join(svc.dir, "config.toml")],
                                stdout=log, stderr=subprocess.STDOUT)
    while svc.ready_lines() <= before:
        if svc.proc.poll() is not None or time.monotonic() - t0 > 600:
            raise RuntimeError("parsecd did not start:\n" + svc.log()[-3000:])
        time.sleep(0.002)
    return time.monotonic() - t0


def stored(svc, sql="SELECT COUNT(*) FROM keys WHERE state = 1"):
    """Active keys already in the store (a run resumed on BENCH_SCALE_DIR)."""
    path = os.path.join(svc.dir, "kim", "kim.sqlite3")
    if not os.path.exists(path):
        return 0
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return db.execute(sql).fetchone()[0] or 0
    finally:
        db.close()


def grow(svc, imp, off, done):
    """Creates keys done..KEYS in steps of a tenth; returns (first thousand's rate, last
    thousand's), or None when the store already holds KEYS keys."""
    step = max(1000, KEYS // 10 // 1000 * 1000)
    first_rate = last_rate = None
    while done < KEYS:
        n = min(step, KEYS - done)
        blocks, s = run_client(svc.sock, ops.OPS["import"], imp, off, "%d:%d" % (done, n))
        if s.get("ok") != n:
            raise RuntimeError("creations %d..%d: %s" % (done, done + n, s))
        if first_rate is None:
            first_rate = 1000 / blocks[0]
            print("# first thousand: %.0f/s" % first_rate, flush=True)
        last_rate = 1000 / (blocks[-1] - blocks[-2]) if len(blocks) > 1 else 1000 / blocks[0]
        done += n
        print("# %8d keys: %6.0f/s over the step, last thousand %6.0f/s, brokerd RSS %d KiB, "
              "load %s" % (done, n / s["seconds"], last_rate,
                           vm(pid_of(svc, "parsec-brokerd"), "VmRSS"), load()), flush=True)
    return first_rate, last_rate


def spread(xs):
    return "%.0f (%.0f..%.0f)" % (statistics.median(xs), min(xs), max(xs))


def rate_beside_fresh(svc, imp, off, work, rounds=int(os.environ.get("BENCH_SCALE_ROUNDS", "7"))):
    """The create rate on the grown store against an empty one's, alternately in one sitting
    (the machine's load moves both alike): rounds pairs of runs of n keys each. The ratio is
    the median of the pairs' ratios; its verdict is clear only when the middle half of them
    (the quartiles) is on one side of 0.8."""
    n = min(2000, max(500, KEYS // 10 // 100 * 100))
    os.makedirs(os.path.join(work, "fresh"), exist_ok=True)
    fresh = eb.Service(auth="Direct", directory=os.path.join(work, "fresh"))
    first = max(KEYS, stored(svc, "SELECT MAX(CAST(SUBSTR(name, 2) AS INTEGER)) + 1 FROM keys"))
    big, empty, loads, cpu_big, cpu_empty = [], [], [], [], []
    try:
        timed_start(fresh)
        for r in range(rounds):
            c0 = start_cpu(fresh)
            _, s = run_client(fresh.sock, ops.OPS["import"], imp, off, "%d:%d" % (r * n, n))
            empty.append(s["ok"] / s["seconds"])
            cpu_empty.append((start_cpu(fresh) - c0) * 1e6 / n)
            c0 = start_cpu(svc)
            _, s = run_client(svc.sock, ops.OPS["import"], imp, off, "%d:%d" % (first + r * n, n))
            big.append(s["ok"] / s["seconds"])
            cpu_big.append((start_cpu(svc) - c0) * 1e6 / n)
            loads.append(os.getloadavg()[0])
    finally:
        fresh.stop()
        fresh.remove()
    ratios = sorted(x / y for x, y in zip(big, empty))
    q1, q3 = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
    verdict = ("met" if q1 >= 0.8 else "not met" if q3 < 0.8 else
               "unclear (quartiles %.2f..%.2f straddle 0.8: more rounds)" % (q1, q3))
    report("create rate, %d keys in store / empty store" % stored(svc),
           "%.2f (%.2f..%.2f): %s" % (statistics.median(ratios), ratios[0], ratios[-1], verdict),
           ">= 0.8")
    print("# %d rounds of %d keys, alternated, load %.1f..%.1f; in store: %s/s; empty: %s/s; "
          "pairs' ratios: %s" % (rounds, n, min(loads), max(loads), spread(big), spread(empty),
                                 " ".join("%.2f" % x for x in ratios)), flush=True)
    # CPU time of the service's processes per key, which the machine's load moves less.
    report("service CPU per creation, in store / empty store",
           "%s us / %s us" % (spread(cpu_big), spread(cpu_empty)), "")


def median_call(svc, provider, opcode, body, app, times):
    took = []
    for _ in range(times):
        t0 = time.monotonic()
        st, out = eb.call(svc.sock, provider, opcode, body, eb.AUTH_DIRECT, app.encode())
        took.append(time.monotonic() - t0)
        if st != 0:
            raise RuntimeError("opcode %d: status %s" % (opcode, st))
    return statistics.median(took) * 1000, out


def listings(svc):
    ms, out = median_call(svc, 0, eb.OP_LIST_KEYS, eb.list_keys_pb.Operation().SerializeToString(),
                          "app00007", 21)
    n = len(eb.list_keys_pb.Result.FromString(out).keys)
    report("ListKeys, one application (%d keys), median 21" % n, "%.2f ms" % ms, "<= 5 ms")
    ms, out = median_call(svc, 0, eb.OP_LIST_CLIENTS,
                          eb.list_clients_pb.Operation().SerializeToString(), "admin", 5)
    n = len(eb.list_clients_pb.Result.FromString(out).clients)
    report("ListClients, admin (%d applications), median 5" % n, "%.1f ms" % ms, "<= 200 ms")


def disk(svc):
    kim = os.path.join(svc.dir, "kim")
    db = sum(os.path.getsize(os.path.join(kim, f)) for f in os.listdir(kim))
    files = used = 0
    with os.scandir(os.path.join(svc.dir, "state", "mbed-crypto-provider")) as it:
        for e in it:
            st = e.stat(follow_symlinks=False)
            files += st.st_size
            used += st.st_blocks * 512
    return db, files, used


def restarts(svc):
    svc.stop()
    took, cpu = [], []
    for _ in range(3):
        took.append(timed_start(svc))
        cpu.append(start_cpu(svc))
        svc.stop()
    report("start to ready, median of 3 (CPU used)", "%.3f s (%.3f..%.3f; %.2f s)" % (
        statistics.median(took), min(took), max(took), statistics.median(cpu)), "<= 2 s")


def crash(svc, imp, off, exp, eoff, work):
    """SIGKILL of brokerd mid-creation, restart, every key answered success usable."""
    okfile = os.path.join(work, "ok.txt")
    n = max(5000, KEYS // 50)
    # past the grown keys and any earlier crash run's
    first = max(KEYS, stored(svc, "SELECT MAX(CAST(SUBSTR(name, 2) AS INTEGER)) + 1 FROM keys"))
    timed_start(svc)
    proc = run_client(svc.sock, ops.OPS["import"], imp, off, "%d:%d" % (first, n), okfile, True)
    time.sleep(1)
    os.kill(pid_of(svc, "parsec-brokerd"), signal.SIGKILL)
    _, s = parse(proc.communicate()[0])
    svc.wait_exit(30)
    settled = svc.log().count("settling")
    took = timed_start(svc)
    report("restart after SIGKILL of brokerd (%d answered ok)" % s.get("ok", 0),
           "%.3f s, %d entries settled" % (took, svc.log().count("settling") - settled), "")
    _, v = run_client(svc.sock, ops.OPS["export"], exp, eoff, "@" + okfile)
    report("keys answered success, exported after", "%d of %d" % (v.get("ok", 0), s.get("ok", 0)),
           "all")
    svc.stop()
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(svc.dir, "kim", "kim.sqlite3"), uri=True)
    left = db.execute("SELECT COUNT(*) FROM keys WHERE state != 1").fetchone()[0]
    total = db.execute("SELECT COUNT(*) FROM keys WHERE provider_id = 1").fetchone()[0]
    db.close()
    files = sum(1 for f in os.listdir(os.path.join(svc.dir, "state", "mbed-crypto-provider"))
                if f.endswith(".key"))
    report("half-made left: entries unsettled, files - entries", "%d, %d" % (left, files - total),
           "0, 0")


def peer_child(sock, uid, conns, ready_w, go_r):
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    socks = []
    for _ in range(conns):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(60)
        s.connect(sock)
        socks.append(s)
    os.write(ready_w, b"r")
    os.read(go_r, 1)
    auth = uid.to_bytes(4, "little")
    hdr = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, 0, 0, 1, 0, 0, eb.AUTH_PEER, 0,
                      len(auth), eb.OP_LIST_KEYS, 0, 0, 0)
    for s in socks:
        s.sendall(hdr + auth)
    ok = 0
    for s in socks:
        fields, _ = eb.read_response(s)
        ok += 1 if fields and fields[13] == 0 else 0
    return ok


def peers(svc, uids=100, per_uid=10):
    """1,000 connections from 100 uids, all open before any asks; ListKeys on each."""
    cfg = os.path.join(svc.dir, "config.toml")
    text = open(cfg).read().replace('"Direct"', '"UnixPeerCredentials"')
    open(cfg, "w").write(text)
    timed_start(svc)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    kids = []
    for k in range(uids):
        pid = os.fork()
        if pid == 0:
            try:
                os._exit(peer_child(svc.sock, 20000 + k, per_uid, ready_w, go_r))
            except Exception:
                os._exit(255)
        kids.append(pid)
    for _ in range(uids):
        os.read(ready_r, 1)
    t0 = time.monotonic()
    os.write(go_w, b"g" * uids)
    served = 0
    for pid in kids:
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        served += code if code <= per_uid else 0
    report("%d connections from %d uids at once, served" % (uids * per_uid, uids),
           "%d in %.2f s" % (served, time.monotonic() - t0), "all")
    svc.stop()


def main():
    imp, off, exp, eoff = bodies()
    work = os.environ.get("BENCH_SCALE_DIR") or tempfile.mkdtemp(prefix="parsecd-scale.")
    os.makedirs(os.path.join(work, "svc"), exist_ok=True)
    os.chmod(work, 0o755)
    svc = eb.Service(auth="Direct", admins=("admin",), directory=os.path.join(work, "svc"))
    done = stored(svc)
    print("# scale: %d keys over %d applications, %d clients, AES-128 imports (Mbed Crypto), "
          "%d cores" % (KEYS, APPS, CLIENTS, os.cpu_count()), flush=True)
    try:
        timed_start(svc)
        if done < KEYS:
            first, last = grow(svc, imp, off, done)
            report("create rate, thousand %d / last thousand" % (done // 1000 + 1),
                   "%.0f/s / %.0f/s = %.2f" % (first, last, last / first), ">= 0.8")
        rate_beside_fresh(svc, imp, off, work)
        listings(svc)
        broker = pid_of(svc, "parsec-brokerd")
        report("brokerd RSS now / peak", "%d KiB / %d KiB" % (vm(broker, "VmRSS"),
                                                             vm(broker, "VmHWM")), "<= 16 MB")
        db, files, used = disk(svc)
        n = stored(svc)
        report("on disk per key (%d): SQLite / key files (blocks)" % n, "%.0f B / %.0f B (%.0f B)" % (
            db / n, files / n, used / n), "")
        if os.environ.get("BENCH_SCALE_GROW_ONLY"):
            return 0
        restarts(svc)
        crash(svc, imp, off, exp, eoff, work)
        peers(svc)
    finally:
        svc.stop()
        if not os.environ.get("BENCH_SCALE_DIR"):
            subprocess.run(["rm", "-rf", work])
    return 0


if __name__ == "__main__":
    sys.exit(main())
