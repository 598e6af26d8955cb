#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Starvation: while uid A (a real second uid, UnixPeerCredentials) generates
24 RSA-4096 keys at once, or keeps 64 connections of RSA-4096 signatures or
decryptions going (an imported key), uid B's rounds of "create a P-256 key,
sign, destroy" stay short: B's worst round under 250 ms on an unloaded
machine, or less its run-queue waits on a loaded one (before fair queueing a
round took 17 s behind generations; before operations had a cost, 1 to 3.7
s behind a flood). Each flood runs FLOOD_SECONDS, about 10 s in all.
Run for the Mbed Crypto provider, and with PARSEC_LONG=1 for PKCS#11
(SoftHSMv2) too. e2e_starve.py TOP [LABEL...] runs only the runs named."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import App, Service, check  # noqa: E402

import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402

GENERATIONS = 24
FLOOD_CONNS = 64  # A's connections in a flood of private-key operations
FLOOD_SECONDS = 5  # how long each of them loops
BOUND = 0.250  # seconds: B's worst round, unloaded
OP_SIGN = 0x04
PHASES = []

# Run as uid A: GENERATIONS RSA-4096 generations at once, each on its own
# connection; prints "sent" once all are started, then the results as JSON.
A_CLIENT = r"""
import json, os, sys, threading, time
sys.path.insert(0, sys.argv[1])
import e2elib as t
import psa_generate_key_pb2 as gen_pb
sock, provider, count = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
uid = os.getuid()
res = []
def gen(i):
    op = gen_pb.Operation(key_name="rsa%d" % i)
    op.attributes.key_type.rsa_key_pair.SetInParent()
    op.attributes.key_bits = 4096
    op.attributes.key_policy.key_usage_flags.sign_hash = True
    op.attributes.key_policy.key_algorithm.asymmetric_signature.rsa_pkcs1v15_sign.hash_alg.specific = 3
    t0 = time.monotonic()
    st = t.call(sock, provider, t.OP_GENERATE, op.SerializeToString(), t.AUTH_PEER,
                uid.to_bytes(4, "little"), timeout=900)[0]
    res.append((t0, time.monotonic(), st))
threads = [threading.Thread(target=gen, args=(i,)) for i in range(count)]
for th in threads:
    th.start()
print("sent", flush=True)
for th in threads:
    th.join()
print(json.dumps({"uid": uid, "gens": res}), flush=True)
"""

# Run as uid A: imports an RSA-4096 key, then CONNS connections (kept open),
# each looping one private-key operation (SignHash or AsymmetricDecrypt) for
# SECONDS; prints "sent" once every connection has its first request out,
# then one line of JSON: [t0, t1, status] of each connection's first
# failure or its last request, and the count answered.
A_FLOOD = r"""
import json, os, socket, struct, sys, threading, time
sys.path.insert(0, sys.argv[1])
import e2elib as t
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
import psa_algorithm_pb2 as alg_pb
import psa_asymmetric_decrypt_pb2 as dec_pb
import psa_import_key_pb2 as imp_pb
import psa_sign_hash_pb2 as sign_pb
sock, provider, conns, kind, seconds = (sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                                         sys.argv[5], float(sys.argv[6]))
uid = os.getuid()
auth = uid.to_bytes(4, "little")
priv = rsa.generate_private_key(65537, 4096)
op = imp_pb.Operation(key_name="flood", data=priv.private_bytes(
    serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption()))
op.attributes.key_type.rsa_key_pair.SetInParent()
op.attributes.key_bits = 4096
if kind == "sign":
    op.attributes.key_policy.key_usage_flags.sign_hash = True
    op.attributes.key_policy.key_algorithm.asymmetric_signature.rsa_pkcs1v15_sign.hash_alg.specific = alg_pb.Algorithm.SHA_256
    body = sign_pb.Operation(key_name="flood", hash=bytes(32))
    body.alg.rsa_pkcs1v15_sign.hash_alg.specific = alg_pb.Algorithm.SHA_256
    opcode = 0x04
else:
    op.attributes.key_policy.key_usage_flags.decrypt = True
    op.attributes.key_policy.key_algorithm.asymmetric_encryption.rsa_pkcs1v15_crypt.SetInParent()
    body = dec_pb.Operation(key_name="flood",
                            ciphertext=priv.public_key().encrypt(b"flood", padding.PKCS1v15()))
    body.alg.rsa_pkcs1v15_crypt.SetInParent()
    opcode = 0x0B
st = t.call(sock, provider, 0x06, op.SerializeToString(), t.AUTH_PEER, auth)[0]
if st != 0:
    print(json.dumps({"import": st}), flush=True)
    sys.exit(1)
body = body.SerializeToString()
# flags bit 0: keep the connection for the next request
req = struct.pack(t.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 1, provider, 1, 0, 0, t.AUTH_PEER,
                  len(body), len(auth), opcode, 0, 0, 0) + body + auth
res, started = [], threading.Semaphore(0)
def flood():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(120)
    s.connect(sock)
    t0 = time.monotonic()
    end, n, st, first = t0 + seconds, 0, 0, True
    while st == 0 and time.monotonic() < end:
        s.sendall(req)
        if first:
            started.release()
            first = False
        fields, _ = t.read_response(s)
        st = fields[13] if fields else -1
        n += 1
    s.close()
    res.append((t0, time.monotonic(), st, n))
threads = [threading.Thread(target=flood) for _ in range(conns)]
for th in threads:
    th.start()
for _ in threads:
    started.acquire()
print("sent", flush=True)
for th in threads:
    th.join()
print(json.dumps({"uid": uid, "gens": [r[:3] for r in res], "count": sum(r[3] for r in res)}),
      flush=True)
"""


def b_round(svc, b, provider, i):
    """One round of B: (seconds, [statuses of create, sign, destroy])."""
    name = "b%d" % i
    t0 = time.monotonic()
    sts = [b._call_p(provider, eb.OP_GENERATE, name)]
    t1 = time.monotonic()
    op = sign_pb.Operation(key_name=name, hash=bytes(32))
    op.alg.ecdsa.hash_alg.specific = alg_pb.Algorithm.SHA_256
    sts.append(eb.call(svc.sock, provider, OP_SIGN, op.SerializeToString(), b.auth_type, b.auth)[0])
    t2 = time.monotonic()
    sts.append(eb.call(svc.sock, provider, eb.OP_DESTROY,
                       eb.destroy_pb.Operation(key_name=name).SerializeToString(),
                       b.auth_type, b.auth)[0])
    t3 = time.monotonic()
    PHASES.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2, t0))
    return t3 - t0, sts


class B(App):
    def _call_p(self, provider, opcode, name):
        msg = eb.gen_pb.Operation(key_name=name, attributes=eb.p256_attributes())
        return eb.call(self.service.sock, provider, opcode, msg.SerializeToString(), self.auth_type,
                       self.auth)[0]


def schedstats(paths):
    """Per task, (nanoseconds on a CPU, nanoseconds waiting on a run queue) from
    /proc/PID/schedstat; (0, 0) for a task gone."""
    out = []
    for path in paths:
        try:
            with open(path) as f:
                run, delay = (int(x) for x in f.read().split()[:2])
        except (OSError, ValueError):
            run, delay = 0, 0
        out.append((run, delay))
    return out


def queue_wait(before, after, seconds):
    """Seconds the tasks on a round's path waited for a CPU during that round:
    time lost to a loaded machine, not to the service. A task that ran for most
    of the time it was not waiting (a worker generating) was computing, not
    serving B: its waits do not count."""
    wait = 0
    for (r0, d0), (r1, d1) in zip(before, after):
        ran, waited = (r1 - r0) / 1e9, (d1 - d0) / 1e9
        if ran < 0.5 * max(seconds - waited, 0.001):
            wait += waited
    return wait


def other_load():
    """The 1-minute load average before our run: others' work on this shared machine."""
    return os.getloadavg()[0]


def run(label, svc, provider, user, flood=None):
    """B's rounds while uid A generates (flood None) or floods with
    private-key operations (flood: "sign" or "decrypt")."""
    b = B(svc, "0", eb.AUTH_PEER, (0).to_bytes(4, "little"))
    del PHASES[:]
    idle = [b_round(svc, b, provider, 1000 + i) for i in range(20)]
    idle_t = sorted(t for t, _ in idle)
    load = other_load()
    if flood is None:
        what = "%d RSA-4096 generations" % GENERATIONS
        args = [A_CLIENT, os.path.join(eb.other_top(), "tests"), svc.sock, str(provider), str(GENERATIONS)]
    else:
        what = "%d connections, each looping RSA-4096 %s" % (FLOOD_CONNS, flood)
        args = [A_FLOOD, os.path.join(eb.other_top(), "tests"), svc.sock, str(provider), str(FLOOD_CONNS),
                flood, str(FLOOD_SECONDS)]
    a = subprocess.Popen(["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid,
                          "--clear-groups", "/usr/bin/python3", "-c"] + args,
                         stdout=subprocess.PIPE, text=True,
                         env={"PYTHONPATH": os.path.join(eb.other_top(), "tests", "pb")})
    try:
        check("%s: uid %d sends its %s" % (label, user.pw_uid, what),
              a.stdout.readline().strip() == "sent")
        busy = []
        i = 0
        tasks = ["/proc/%d/schedstat" % pid for pid, comm in eb.service_pids(svc.proc.pid)
                 if comm != "parsecd"]
        tasks.append("/proc/self/task/%d/schedstat" % threading.get_native_id())
        while a.poll() is None:
            s0 = schedstats(tasks)
            start = time.monotonic()
            t, sts = b_round(svc, b, provider, i)
            s1 = schedstats(tasks)
            busy.append((start, t, sts, t - queue_wait(s0, s1, t)))
            i += 1
        out = json.loads(a.stdout.read().strip().splitlines()[-1])
    finally:
        if a.poll() is None:
            a.kill()
            a.wait()
    gens = sorted(out["gens"])
    first, last = min(g[0] for g in gens), max(g[1] for g in gens)
    durations = sorted(g[1] - g[0] for g in gens)
    # B's rounds that started while A still had generations in flight.
    during = [(t, sts) for start, t, sts, _ in busy if start < last]
    times = sorted(t for t, _ in during)
    own = sorted(x for start, _, _, x in busy if start < last)
    check("%s: A's %s all succeed" % (label, what),
          [g[2] for g in gens] == [0] * (FLOOD_CONNS if flood else GENERATIONS),
          [g[2] for g in gens])
    check("%s: B's rounds all succeed" % label,
          all(sts == [0, 0, 0] for _, sts in during + idle), [s for _, s in during + idle])
    check("%s: B ran rounds while A's %s were in flight" % (label, what), len(times) >= 10,
          len(times))
    worst = times[-1] if times else float("inf")
    if flood:
        print("# %s: A's connections answered %d requests in %.1f s (%.1f a second)"
              % (label, out["count"], last - first, out["count"] / (last - first)))
    print("# %s: A's work took %.1f s in all (each connection done after %.2f..%.2f s); "
          "B idle: median %.1f ms, worst %.1f ms; B during A: %d rounds, median %.1f ms, "
          "p95 %.1f ms, worst %.1f ms; load average before A: %.2f"
          % (label, last - first, durations[0], durations[-1],
             1000 * statistics.median(idle_t), 1000 * idle_t[-1], len(times),
             1000 * statistics.median(times) if times else 0,
             1000 * times[int(len(times) * 0.95)] if times else 0, 1000 * worst, load))
    for ph in sorted(PHASES)[-3:]:
        print("# slow round at +%.2f s: %.1f ms (create %.1f, sign %.1f, destroy %.1f)"
              % (ph[4] - first, 1000 * ph[0], 1000 * ph[1], 1000 * ph[2], 1000 * ph[3]))
    print("# A's answers at +" + " ".join("%.1f" % (g[1] - first) for g in gens))
    # Starved, a round waits for RSA-4096 generations (seconds; 17 to 70 s before
    # fair queueing). The 250 ms bound holds on an unloaded machine. On a machine
    # others load (2 cores shared), rounds also wait for a CPU (B alone saw 2.2 s
    # in a minute at load average 8): then what must stay under 250 ms is each
    # round less the time the processes on its path (the service's, B's client)
    # spent waiting on a run queue meanwhile. Waiting behind a generation is not such time.
    unloaded = load < 1.0 and idle_t[-1] < BOUND / 5
    print("# %s: B's rounds less run-queue waits: median %.1f ms, worst %.1f ms"
          % (label, 1000 * statistics.median(own) if own else 0, 1000 * own[-1] if own else 0))
    if unloaded:
        check("%s: B's worst round stays under %d ms" % (label, BOUND * 1000), worst < BOUND,
              "%.1f ms" % (1000 * worst))
        return
    print("# %s: the machine is loaded (load average %.2f before A)" % (label, load))
    check("%s: loaded machine: B's worst round, less its run-queue waits, under %d ms"
          % (label, BOUND * 1000), bool(own) and own[-1] < BOUND,
          "%.1f ms" % (1000 * own[-1] if own else 0))


def run_on(label, provider, pkcs11=False, flood=None):
    """run() on a fresh service (Mbed Crypto is provider 1; a SoftHSMv2 token is 2).
    In memory: the key store's fsyncs would wait for a disk other engineers share."""
    import softhsmlib
    user = eb.ensure_user("parsec-test-a")
    d = tempfile.mkdtemp(prefix="parsecd-starve.", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    os.chmod(d, 0o755)
    table = softhsmlib.Token(d).provider_table() if pkcs11 else ""
    svc = Service(auth="UnixPeerCredentials", directory=d, provider_extra=table)
    svc.start()
    try:
        run(label, svc, provider, user, flood)
    finally:
        svc.stop()
        svc.remove()


def main():
    if os.geteuid() != 0:
        print("# the starvation test needs root for a second real uid; skipped")
        return 77
    import softhsmlib
    runs = [("mbed", 1, False, None), ("mbed sign flood", 1, False, "sign"),
            ("mbed decrypt flood", 1, False, "decrypt")]
    if os.environ.get("PARSEC_LONG") == "1":
        if softhsmlib.available():
            runs += [("pkcs11", 2, True, None), ("pkcs11 sign flood", 2, True, "sign")]
        else:
            print("# SoftHSMv2 is not installed: the PKCS#11 runs are skipped")
    # e2e_starve.py TOP [LABEL...]: only the runs named
    for label, provider, pkcs11, flood in runs:
        if len(sys.argv) < 3 or label in sys.argv[2:]:
            run_on(label, provider, pkcs11, flood)
    return eb.summary("e2e_starve")


if __name__ == "__main__":
    sys.exit(main())
