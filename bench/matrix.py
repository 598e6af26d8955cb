#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make bench-matrix: parsecd's latency and throughput per operation, client
count and connection style, beside a raw Unix-socket echo round trip and, when
PARSEC_UPSTREAM_BIN names an upstream parsec build, upstream tuned for speed
(8 threads, no idle sleep), each service measured while the other is stopped.
The hot loop is bench/parsec-bench-matrix (C); this script starts the services,
makes the keys, encodes the requests and prints the table.
Usage: matrix.py TOP   (BENCH_MATRIX_SECONDS per row, default 2)"""

import os
import subprocess
import sys
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
sys.path.insert(0, os.path.join(TOP, "tests"))
import e2elib as eb  # noqa: E402
import e2e_ops as ops  # noqa: E402
import e2e_upstream as up  # noqa: E402
import psa_generate_random_pb2 as random_pb  # noqa: E402
import psa_hash_compute_pb2 as hash_pb  # noqa: E402

A = ops.A
APP = "bench"
SECONDS = int(os.environ.get("BENCH_MATRIX_SECONDS", "2"))
CLIENT = os.path.join(TOP, "bench", "parsec-bench-matrix")
UPSTREAM_TUNED = "thread_pool_size = 8\nidle_listener_sleep_duration = 0\n"


def requests():
    """name -> (provider, opcode, auth_type, body): one prepared request each."""
    rsa_sign = A.AsymmetricSignature()
    rsa_sign.rsa_pkcs1v15_sign.hash_alg.specific = A.SHA_256
    return {
        "ping": (0, 0x01, 0, b""),
        "hash": (1, ops.OPS["hash"], eb.AUTH_DIRECT,
                 hash_pb.Operation(alg=A.SHA_256, input=bytes(range(32))).SerializeToString()),
        "random32": (1, 0x0D, eb.AUTH_DIRECT, random_pb.Operation(size=32).SerializeToString()),
        "sign-ecc": (1, ops.OPS["sign_hash"], eb.AUTH_DIRECT, ops.sign_pb.Operation(
            key_name="bench-ecc", alg=ops.sign_alg("ecdsa"), hash=bytes(32)).SerializeToString()),
        "sign-rsa": (1, ops.OPS["sign_hash"], eb.AUTH_DIRECT, ops.sign_pb.Operation(
            key_name="bench-rsa", alg=rsa_sign, hash=bytes(32)).SerializeToString()),
    }


def make_keys(sock):
    """The two signing keys, as application APP; their absence would fail every sign row."""
    rsa_sign = A.AsymmetricSignature()
    rsa_sign.rsa_pkcs1v15_sign.hash_alg.specific = A.SHA_256
    for name, kt, bits, alg in (("bench-ecc", ops.ecc_pair(), 256, ops.sign_alg("ecdsa")),
                                ("bench-rsa", ops.plain("rsa_key_pair"), 2048, rsa_sign)):
        at = ops.attrs(kt, bits, ["sign_hash"], ops.alg_of(asymmetric_signature=alg))
        body = ops.gen_pb.Operation(key_name=name, attributes=at).SerializeToString()
        st, _ = eb.call(sock, 1, ops.OPS["generate"], body, eb.AUTH_DIRECT, APP.encode(), timeout=60)
        if st not in (0, ops.ST["already_exists"]):
            raise RuntimeError("could not create %s: status %d" % (name, st))


def measure(args):
    out = subprocess.run([CLIENT] + [str(a) for a in args], capture_output=True, text=True,
                         check=True).stdout
    fields = dict(kv.split("=") for kv in out.split())
    return float(fields["ops_s"]), float(fields["p50_us"]), int(fields["errors"])


def rows(sock, conns):
    """{(op, clients, conn): (ops/s, p50 us, errors)} against the service on sock."""
    result = {}
    for op, (provider, opcode, auth_type, body) in requests().items():
        for clients in (1, 8):
            for conn in conns:
                result[(op, clients, conn)] = measure(
                    [sock, SECONDS, clients, conn, provider, opcode, auth_type,
                     APP if auth_type else "", body.hex()])
    return result


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def idle_cpu(pids, seconds=5):
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return cpu_seconds(pids) - before


def run_parsecd():
    svc = eb.Service(auth="Direct")
    try:
        svc.start()
        make_keys(svc.sock)
        result = rows(svc.sock, ("once", "keep"))
        time.sleep(1)
        idle = idle_cpu([p for p, _ in eb.service_pids(svc.proc.pid)])
    finally:
        svc.stop()
        svc.remove()
    return result, idle


def run_upstream(binary):
    u = up.Upstream(binary, "Direct", core_extra=UPSTREAM_TUNED)
    try:
        make_keys(u.sock)
        result = rows(u.sock, ("once",))
        time.sleep(1)
        idle = idle_cpu([u.proc.pid])
    finally:
        u.stop()
    return result, idle


def main():
    echo = {(c, conn): measure(["--echo", SECONDS, c, conn]) for c in (1, 8) for conn in ("once", "keep")}
    ours, our_idle = run_parsecd()
    binary = os.environ.get("PARSEC_UPSTREAM_BIN")
    theirs, their_idle = run_upstream(binary) if binary else ({}, None)

    print("bench-matrix: %d s per row on %d cores, load average %.1f at the end" %
          (SECONDS, os.cpu_count(), os.getloadavg()[0]))
    print("%-9s %7s %5s | %10s %8s | %10s %8s | %6s | %s" % (
        "op", "clients", "conn", "parsecd/s", "p50 us", "upstream/s", "p50 us", "ratio", "errors"))
    for (op, clients, conn), (n, p50, err) in ours.items():
        other = theirs.get((op, clients, conn))
        print("%-9s %7d %5s | %10.0f %8.1f | %10s %8s | %6s | %d%s" % (
            op, clients, conn, n, p50,
            "%.0f" % other[0] if other else "-", "%.1f" % other[1] if other else "-",
            "%.2f" % (n / other[0]) if other and other[0] else "-", err,
            "" if not other else " / %d" % other[2]))
    for (clients, conn), (n, p50, err) in echo.items():
        print("%-9s %7d %5s | %10.0f %8.1f | %10s %8s | %6s | %d" % ("echo", clients, conn, n, p50,
                                                                 "", "", "", err))
    for conn in ("once", "keep"):
        ping, floor = ours[("ping", 1, conn)][1], echo[(1, conn)][1]
        print("Ping p50 with one client, %s: %.1f us = %.2fx the raw echo round trip (target <= 1.5)" %
              ("a connection per request" if conn == "once" else "kept alive", ping, ping / floor))
    print("idle CPU over 5 s: parsecd %.2f s%s" % (
        our_idle, "" if their_idle is None else ", upstream tuned %.2f s" % their_idle))
    errors = sum(e for _, _, e in list(ours.values()) + list(echo.values()))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
