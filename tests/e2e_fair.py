#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Fair sharing in brokerd ([privsep] max_requests_per_application): one
application's pile of slow key generations waits in its own queue (all are
served) and cannot take every provider worker from another application;
without that limit, RSA generations still leave one worker for short
operations; and an application alone keeps every worker busy with its RSA
signatures (what keeps a worker free of them is another application's use,
tests/e2e_starve.py)."""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import App, Service, check  # noqa: E402

import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_generate_key_pb2 as gen_pb  # noqa: E402
import psa_import_key_pb2 as import_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

SLOW = 4  # RSA generations application A asks at once


def rsa_generate(svc, app, name, bits, results):
    op = gen_pb.Operation(key_name=name)
    op.attributes.key_type.rsa_key_pair.SetInParent()
    op.attributes.key_bits = bits
    op.attributes.key_policy.key_usage_flags.sign_hash = True
    op.attributes.key_policy.key_algorithm.asymmetric_signature.rsa_pkcs1v15_sign.hash_alg.specific = 3
    st = eb.call(svc.sock, 1, eb.OP_GENERATE, op.SerializeToString(), eb.AUTH_DIRECT, app.encode())[0]
    results.append((time.monotonic(), name, st))


def run(limit, short_app="b"):
    """A's SLOW generations against one P-256 generate of short_app, on two workers:
    (A's results, its time, its status, A's keys, the log)."""
    svc = Service(privsep_extra="max_requests_per_application = %d" % limit)
    try:
        svc.start()
        results = []
        threads = [threading.Thread(target=rsa_generate, args=(svc, "a", "rsa%d" % i, 3072, results))
                   for i in range(SLOW)]
        for t in threads:
            t.start()
        time.sleep(0.2)
        st = App(svc, short_app).generate("p256")
        b_done = time.monotonic()
        for t in threads:
            t.join()
        keys = App(svc, "a").keys()
        return sorted(results), b_done, st, keys, svc.log()
    finally:
        svc.stop()
        svc.remove()


def cpu_ns(pid):
    """Nanoseconds process pid has run, from /proc/PID/schedstat."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[0])


def sign_loop(svc, body, seconds, counts):
    """RSA signatures of application "a" on one kept connection for seconds."""
    auth = b"a"
    req = struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 1, 1, 1, 0, 0, eb.AUTH_DIRECT,
                      len(body), len(auth), 0x04, 0, 0, 0) + body + auth
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(60)
        s.connect(svc.sock)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            s.sendall(req)
            fields, _ = eb.read_response(s)
            counts.append(fields[13] if fields else None)


def run_alone():
    """Application a alone signs with RSA-3072 on 8 connections: both workers'
    CPU time grows, neither by less than a quarter of the whole."""
    svc = Service()
    try:
        svc.start()
        op = import_pb.Operation(key_name="rsa", data=rsa.generate_private_key(65537, 3072).private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption()))
        op.attributes.key_type.rsa_key_pair.SetInParent()
        op.attributes.key_bits = 3072
        op.attributes.key_policy.key_usage_flags.sign_hash = True
        op.attributes.key_policy.key_algorithm.asymmetric_signature.rsa_pkcs1v15_sign.hash_alg.specific = \
            alg_pb.Algorithm.SHA_256
        st = eb.call(svc.sock, 1, 0x06, op.SerializeToString(), eb.AUTH_DIRECT, b"a")[0]
        check("application a imports an RSA-3072 key", st == 0, st)
        body = sign_pb.Operation(key_name="rsa", hash=bytes(32))
        body.alg.rsa_pkcs1v15_sign.hash_alg.specific = alg_pb.Algorithm.SHA_256
        workers = eb.worker_pids(svc, "parsec-provider-mbed")
        before = [cpu_ns(p) for p in workers]
        counts = []
        threads = [threading.Thread(target=sign_loop, args=(svc, body.SerializeToString(), 3, counts))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ran = [cpu_ns(p) - b for p, b in zip(workers, before)]
        check("a's %d signatures succeed" % len(counts), counts and set(counts) == {0}, set(counts))
        print("# alone: %d RSA-3072 signatures in 3 s; the workers ran %s ms"
              % (len(counts), ", ".join("%.0f" % (r / 1e6) for r in ran)))
        check("an application alone has both workers sign for it (each over a quarter of the time)",
              len(ran) == 2 and min(ran) > 0.25 * sum(ran), ran)
    finally:
        svc.stop()
        svc.remove()


def main():
    a, b_done, b_st, keys, log = run(1)
    check("A's requests past the limit waited in brokerd", log.count("wait: 1 in flight") >= 1,
          log.count("wait: 1 in flight"))
    check("every queued generation of A is served", [st for _, _, st in a] == [0] * SLOW, a)
    check("A holds its %d keys" % SLOW, keys == (0, ["rsa%d" % i for i in range(SLOW)]), keys)
    check("B's generate succeeds", b_st == 0, b_st)
    # Two workers; A may hold one: B's key comes before A's second one.
    check("B is answered before A's second generation (A holds at most one worker)",
          b_done < a[1][0], (b_done, [t for t, _, _ in a]))
    a, short_done, short_st, keys, log = run(0, short_app="a")
    check("no request limit: nothing waits in brokerd", "in flight" not in log)
    check("no request limit: every RSA generation is served", [st for _, _, st in a] == [0] * SLOW, a)
    check("A's own P-256 generate succeeds", short_st == 0, short_st)
    check("RSA generations leave a worker free: A's P-256 key comes before its second RSA key",
          short_done < a[1][0], (short_done, [t for t, _, _ in a]))
    run_alone()
    return eb.summary("e2e_fair")


if __name__ == "__main__":
    sys.exit(main())
