#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make bench-hops: where one client's round trip goes, hop by hop (bench/HOPS.md).
Starts parsecd from bench/hops/ (every process built with -DPARSEC_HOPTIME, which
stamps the monotonic clock at each point of a request's path and writes the
stamps to the log at exit), runs bench/parsec-bench-matrix with one client per
row (it stamps each round trip's start and end), then cuts the stamps into
round trips and prints, per row, the median time between consecutive points.
Usage: hops.py TOP [op:conn ...]   (default ping:keep ping:once hash:keep hash:once;
BENCH_HOPS_SECONDS per row, default 2)"""

import bisect
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "bench"))
import e2elib as eb  # noqa: E402
import matrix as mx  # noqa: E402

SECONDS = int(os.environ.get("BENCH_HOPS_SECONDS", "2"))
TREE = os.path.join(TOP, "bench", "hops")
ROWS = sys.argv[2:] or ["ping:keep", "ping:once", "hash:keep", "hash:once"]


def parse(lines):
    """hop lines -> sorted [(ns, label)], label "process what"."""
    out = []
    for line in lines:
        f = line.split()
        if len(f) == 5 and f[0] == "hop":
            out.append((int(float(f[4])), "%s %s" % (f[1].replace("parsec-", ""), f[3])))
    out.sort()
    return out


def run_rows(svc):
    """{row: [(send ns, recv ns)]} for each row, one client each."""
    reqs = mx.requests()
    trips = {}
    for row in ROWS:
        op, conn = row.split(":")
        provider, opcode, auth_type, body = reqs[op]
        with tempfile.NamedTemporaryFile("r", suffix=".hops") as f:
            env = dict(os.environ, PARSEC_BENCH_HOPS=f.name)
            subprocess.run([mx.CLIENT, svc.sock, str(SECONDS), "1", conn, str(provider),
                            str(opcode), str(auth_type), mx.APP if auth_type else "", body.hex()],
                           env=env, check=True, capture_output=True)
            stamps = parse(f)
        sends = [ns for ns, what in stamps if what.endswith("c.send")]
        recvs = [ns for ns, what in stamps if what.endswith("c.recv")]
        trips[row] = list(zip(sends, recvs))
    return trips


def table(row, trips, stamps):
    """Prints the row's hops: the commonest sequence of points, median per step."""
    times = [ns for ns, _ in stamps]
    seqs = collections.Counter()
    per = []
    for send, recv in trips:
        lo, hi = bisect.bisect_left(times, send), bisect.bisect_right(times, recv)
        window = [(send, "client c.send")] + stamps[lo:hi] + [(recv, "client c.recv")]
        seq = tuple(what for _, what in window)
        seqs[seq] += 1
        per.append((seq, window))
    if not seqs:
        print("%s: no round trips" % row)
        return
    path, count = seqs.most_common(1)[0]
    steps = [[] for _ in path[1:]]
    totals = []
    for seq, window in per:
        if seq != path:
            continue
        for i in range(1, len(window)):
            steps[i - 1].append((window[i][0] - window[i - 1][0]) / 1000.0)
        totals.append((window[-1][0] - window[0][0]) / 1000.0)
    print("%s: %d round trips, %d along this path; median round trip %.1f us" % (
        row, len(trips), count, statistics.median(totals)))
    print("  %-24s -> %-24s %8s %8s" % ("from", "to", "p50 us", "p90 us"))
    for i, d in enumerate(steps):
        d.sort()
        print("  %-24s -> %-24s %8.1f %8.1f" % (path[i], path[i + 1], statistics.median(d),
                                               d[int(len(d) * 0.9)]))


def main():
    svc = eb.Service(auth="Direct")
    try:
        svc.start(tree=TREE)
        trips = run_rows(svc)
    finally:
        svc.stop()
    # The daemons write their stamps as they exit.
    time.sleep(0.5)
    stamps = parse(svc.log().splitlines())
    svc.remove()
    print("bench-hops: %d s per row, one client, %d cores, load average %.1f" % (
        SECONDS, os.cpu_count(), os.getloadavg()[0]))
    for row in ROWS:
        table(row, trips[row], stamps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
