#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make bench-matrix: parsecd's latency and throughput per operation, client
count and connection style, beside a raw Unix-socket echo round trip and, when
PARSEC_UPSTREAM_BIN names an upstream parsec build, upstream tuned for speed
(8 threads, no idle sleep), each service measured while the other is stopped.
The hot loop is bench/parsec-bench-matrix (C); this script starts the services,
makes the keys, encodes the requests and prints the table.
It also measures memory (the PSS of every process of each service after the
rows, and whether parsecd's processes grow over a million Pings and 100,000
hashes on kept connections) and draws bench/matrix.png with gnuplot.
Usage: matrix.py TOP   (BENCH_MATRIX_SECONDS per row, default 2;
BENCH_MATRIX_CLIENTS, default 1,2,4,8)"""

import os
import socket
import struct
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
CLIENTS = tuple(int(c) for c in os.environ.get("BENCH_MATRIX_CLIENTS", "1,2,4,8").split(","))
# The growth check: Pings stay in frontd; hashes pass brokerd and a worker.
GROWTH = (("ping", 1000000), ("hash", 100000))
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
        for clients in CLIENTS:
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


# ---- memory ----------------------------------------------------------------------

def smaps_rollup(pid):
    """{field: KiB} of /proc/PID/smaps_rollup (Pss, Rss, Private_Dirty...); {} once gone."""
    fields = {}
    try:
        for line in open("/proc/%d/smaps_rollup" % pid):
            f = line.split()
            if len(f) == 3 and f[2] == "kB":
                fields[f[0].rstrip(":")] = int(f[1])
    except OSError:
        pass
    return fields


def memory(procs):
    """[(name, PSS, RSS, private KiB)] of each (pid, name): PSS shares a page among all
    the processes of the machine that map it, so a library other programs use costs
    a service less; private memory (clean and dirty) is the process's own."""
    out = []
    for pid, name in procs:
        f = smaps_rollup(pid)
        out.append((name, f.get("Pss", 0), f.get("Rss", 0),
                    f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)))
    return out


def keep_requests(sock_path, op, count):
    """count requests op (a name of requests()) on one kept connection (keep-alive,
    header flag bit 0)."""
    provider, opcode, auth_type, body = requests()[op]
    auth = APP.encode() if auth_type else b""
    hdr = struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 1, provider, 0, 0, 0, auth_type,
                      len(body), len(auth), opcode, 0, 0, 0)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(sock_path)
        for _ in range(count):
            s.sendall(hdr + body + auth)
            fields, _ = eb.read_response(s)
            if fields is None or fields[13] != 0:
                raise RuntimeError("a kept-alive %s failed" % op)


def growth(sock, procs, op, total):
    """Each process's RSS after the first 1,000 requests op and after at least total,
    8 clients on kept connections: (op, [(name, KiB after 1,000, KiB after all)], requests,
    errors)."""
    provider, opcode, auth_type, body = requests()[op]
    keep_requests(sock, op, 1000)
    first = [eb.rss_kib(pid) for pid, _ in procs]
    done, errors, chunk = 1000, 0, 5
    while done < total:
        # ops/s times the chunk's seconds is at most what was served: a lower bound.
        n, _, err = measure([sock, chunk, 8, "keep", provider, opcode, auth_type,
                             APP if auth_type else "", body.hex()])
        done += int(n * chunk)
        errors += err
    after = [eb.rss_kib(pid) for pid, _ in procs]
    return op, [(name, a, b) for (_, name), a, b in zip(procs, first, after)], done, errors


def print_memory(title, mem):
    print("%s: PSS %d KiB in all (%s)" % (title, sum(m[1] for m in mem), ", ".join(
        "%s %d" % (name, pss) for name, pss, _, _ in mem)))
    for name, pss, rss, private in mem:
        print("  %-24s PSS %6d KiB  RSS %6d KiB  private %6d KiB" % (name, pss, rss, private))


def print_growth(op, grown, done, errors):
    print("growth over %d %s requests on kept connections (at least; %d errors), RSS after "
          "the first 1,000 -> after all, target within 5 %%:" % (done, op, errors))
    worst = 0.0
    for name, first, after in grown:
        change = 100.0 * (after - first) / first if first else 0.0
        worst = max(worst, change)
        print("  %-24s %6d -> %6d KiB  %+5.1f %%" % (name, first, after, change))
    print("growth verdict (%s): %s" % (op, "PASS" if worst <= 5.0 else "FAIL"))
    return worst <= 5.0


# ---- the plot ----------------------------------------------------------------------

def plot(ours, theirs):
    """bench/matrix.png: ops/s by clients per operation, parsecd once and keep (and
    upstream once when measured), from bench/matrix.dat."""
    dat, png = os.path.join(TOP, "bench", "matrix.dat"), os.path.join(TOP, "bench", "matrix.png")
    ops_ = list(dict.fromkeys(op for op, _, _ in ours))
    series = [("parsecd, kept connection", ours, "keep"),
              ("parsecd, a connection per request", ours, "once")]
    if theirs:
        series.append(("upstream Parsec 1.1.0 tuned", theirs, "once"))
    with open(dat, "w") as f:
        for op in ops_:
            for title, res, conn in series:
                f.write("# %s %s\n" % (op, title))
                for c in CLIENTS:
                    if (op, c, conn) in res:
                        f.write("%d %.0f\n" % (c, res[(op, c, conn)][0]))
                f.write("\n\n")
    cols = 3
    script = ['set terminal pngcairo size 1200,%d font ",10"' % (330 * ((len(ops_) + cols - 1) // cols)),
              'set output "%s"' % png, 'set logscale x 2', 'set xtics (%s)' % ", ".join(map(str, CLIENTS)),
              'set xlabel "clients"', 'set ylabel "ops/s"', 'set yrange [0:*]', 'set grid',
              'set key below font ",9"', 'set xrange [0.8:%d]' % (max(CLIENTS) * 1.25),
              'set multiplot layout %d,%d title "make bench-matrix: %d cores, load average %.1f"' % (
                  (len(ops_) + cols - 1) // cols, cols, os.cpu_count(), os.getloadavg()[0])]
    for i, op in enumerate(ops_):
        lines = ['"%s" index %d with linespoints lw 2 title "%s"' % (dat, i * len(series) + j, t)
                 for j, (t, _, _) in enumerate(series)]
        script += ['set title "%s"' % op, "plot " + ", ".join(lines)]
    script.append("unset multiplot")
    r = subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, capture_output=True)
    if r.returncode != 0:
        print("plot: gnuplot failed: %s" % r.stderr.strip())
    else:
        print("plot: %s" % png)


def run_parsecd():
    svc = eb.Service(auth="Direct")
    try:
        svc.start()
        make_keys(svc.sock)
        result = rows(svc.sock, ("once", "keep"))
        time.sleep(1)
        procs = eb.service_pids(svc.proc.pid)
        idle = idle_cpu([p for p, _ in procs])
        mem = memory(procs)
        grown = [growth(svc.sock, procs, op, total) for op, total in GROWTH]
    finally:
        svc.stop()
        svc.remove()
    return result, idle, mem, grown


def run_upstream(binary):
    u = up.Upstream(binary, "Direct", core_extra=UPSTREAM_TUNED)
    try:
        make_keys(u.sock)
        result = rows(u.sock, ("once",))
        time.sleep(1)
        idle = idle_cpu([u.proc.pid])
        mem = memory([(u.proc.pid, "parsec (upstream)")] + eb.service_pids(u.proc.pid)[1:])
    finally:
        u.stop()
    return result, idle, mem


def main():
    echo = {(c, conn): measure(["--echo", SECONDS, c, conn]) for c in (1, 8) for conn in ("once", "keep")}
    ours, our_idle, our_mem, grown = run_parsecd()
    binary = os.environ.get("PARSEC_UPSTREAM_BIN")
    theirs, their_idle, their_mem = run_upstream(binary) if binary else ({}, None, None)

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
    print_memory("memory, parsecd after the rows", our_mem)
    if their_mem:
        print_memory("memory, upstream tuned after the rows", their_mem)
    grew_ok = all([print_growth(*g) for g in grown])
    plot(ours, theirs)
    errors = sum(e for _, _, e in list(ours.values()) + list(echo.values()))
    errors += sum(g[3] for g in grown)
    return 1 if errors or not grew_ok else 0


if __name__ == "__main__":
    sys.exit(main())
