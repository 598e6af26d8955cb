#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Fair sharing in brokerd ([privsep] max_requests_per_application): one
application's pile of slow key generations waits in its own queue (all are
served) and cannot take every provider worker from another application; and
without that limit, RSA generations still leave one worker for short operations."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import App, Service, check  # noqa: E402

import psa_generate_key_pb2 as gen_pb  # noqa: E402

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
    return eb.summary("e2e_fair")


if __name__ == "__main__":
    sys.exit(main())
