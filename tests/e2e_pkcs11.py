#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end through a real parsecd with the PKCS#11 provider on a real
SoftHSMv2 token (its own SOFTHSM2_CONF and token directory): the operation
suite on provider 2 and, in the same service, on provider 1; what the token
holds (pkcs11-tool); start-up errors; two providers under load; a token that
goes away and comes back.

Usage: e2e_pkcs11.py TOPDIR
"""
import hashlib
import os
import re
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import asym_suite  # noqa: E402
import e2e_ops as ops  # noqa: E402
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

import psa_generate_key_pb2 as gen_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402

A, KT, ST = ops.A, ops.KT, ops.ST
COMM_FAILURE = 1145


def key_id(svc, app, name):
    """The CKA_ID the key store holds for a key, as pkcs11-tool prints it."""
    db = sqlite3.connect(os.path.join(svc.dir, "kim", "kim.sqlite3"))
    row = db.execute("SELECT key_ref FROM keys WHERE app = ? AND name = ?", (app, name)).fetchone()
    db.close()
    return row[0].hex() if row else None


def sign(svc, provider, app, name, digest, alg=None):
    alg = alg or ops.sign_alg("ecdsa")
    st, out = ops.call(svc, "sign_hash", sign_pb.Operation(key_name=name, alg=alg, hash=digest),
                       app=app, provider=provider)
    return st, sign_pb.Result.FromString(out).signature if st == 0 else None


def token_contents(svc, token):
    app = "holder"
    r = asym_suite.Runner(svc, 2, app)
    at = ops.attrs(ops.ecc_pair(), 256, ["sign_hash", "verify_hash"],
                   ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
    r.check("generate a key to look at on the token", r.generate("seen", at) == 0)
    kid = key_id(svc, app, "seen")
    objs = token.objects_with_id(kid) if kid else []
    kinds = sorted(o["kind"].split(";")[0] for o in objs)
    check("the key is a private and a public object on the token, CKA_ID %s" % kid,
          kinds == ["Private Key Object", "Public Key Object"], [o["kind"] for o in objs])
    priv = [o for o in objs if o["kind"].startswith("Private")]
    access = priv[0].get("Access", "") if priv else ""
    check("the private key is sensitive and never extractable",
          "sensitive" in access and "never extractable" in access, access)
    check("the private key may sign and nothing else",
          priv and priv[0].get("Usage", "") == "sign", priv and priv[0].get("Usage"))
    at = ops.attrs(ops.ecc_pair(), 256, ["sign_hash", "export"],
                   ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
    r.generate("exportable", at)
    objs = token.objects_with_id(key_id(svc, app, "exportable") or "none")
    priv = [o for o in objs if o["kind"].startswith("Private")]
    access = priv[0].get("Access", "") if priv else ""
    check("a key with the export usage is extractable on the token (allow_export)",
          priv and "never extractable" not in access and "sensitive" not in access.split(",")[0:1],
          access)
    check("destroy through the service", r.destroy("seen") == 0)
    # A destroy reaches both workers at once; whichever removes the objects, it succeeds.
    results = []
    for i in range(40):
        r.generate("cycle%d" % i, at)
        results.append(r.destroy("cycle%d" % i))
    check("40 create/destroy cycles: every destroy succeeds", results == [0] * 40, results)
    check("the destroyed key's objects are gone from the token", token.objects_with_id(kid) == [],
          token.objects_with_id(kid))


def concurrency(svc):
    """A slow token operation (RSA-4096 key generation) beside software signing."""
    app = "busy"
    at = ops.attrs(ops.ecc_pair(), 256, ["sign_hash"], ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
    ops.call(svc, "generate", gen_pb.Operation(key_name="soft", attributes=at), app=app, provider=1)
    big = ops.attrs(KT(rsa_key_pair={}), 4096, ["sign_hash"],
                    ops.alg_of(asymmetric_signature=ops.sign_alg("rsa_pkcs1v15_sign")))
    slow = {}

    def generate_big(i):
        # RSA-4096 prime search takes seconds, and far longer on a loaded machine:
        # what is measured is the software signing meanwhile, so wait for it generously.
        t0 = time.monotonic()
        op = gen_pb.Operation(key_name="big%d" % i, attributes=big)
        slow[i] = (eb.call(svc.sock, 2, ops.OPS["generate"], op.SerializeToString(), eb.AUTH_DIRECT,
                           app.encode(), timeout=300)[0], time.monotonic() - t0)

    threads = [threading.Thread(target=generate_big, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    latencies, errors = [], 0
    while any(t.is_alive() for t in threads):
        t0 = time.monotonic()
        st, _ = sign(svc, 1, app, "soft", bytes(32))
        latencies.append(time.monotonic() - t0)
        errors += st != 0
    for t in threads:
        t.join()
    longest = max(d for _, d in slow.values())
    latencies.sort()
    worst = latencies[-1] if latencies else 1e9
    print("# RSA-4096 generation on the token: %.2f s; %d software signatures meanwhile, "
          "p50 %.2f ms, max %.2f ms" % (longest, len(latencies), 1e3 * latencies[len(latencies) // 2]
                                      if latencies else 0, 1e3 * worst))
    check("two RSA-4096 generations on the token succeed", all(st == 0 for st, _ in slow.values()), slow)
    check("software signing goes on while the token works (>= 20 signatures, no error)",
          len(latencies) >= 20 and errors == 0, (len(latencies), errors))
    check("no software signature waited for the token (max latency < a quarter of its work)",
          worst < longest / 4, (worst, longest))

    # Both workers serve the same token: a key made by one is usable by the other.
    ok = []

    def burst():
        ok.append(sign(svc, 2, "suite2", "rsa-rsa_pss", hashlib.sha256(b"b").digest(),
                       ops.sign_alg("rsa_pss"))[0] == 0)

    threads = [threading.Thread(target=burst) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("16 concurrent signatures on the token, across both workers, all succeed", all(ok) and len(ok) == 16, ok)


def token_away(svc, token):
    """The token's storage disappears and a worker restarts: requests fail, then recover."""
    app = "away"
    at = ops.attrs(ops.ecc_pair(), 256, ["sign_hash"], ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
    ops.call(svc, "generate", gen_pb.Operation(key_name="k", attributes=at), app=app, provider=2)
    digest = hashlib.sha256(b"away").digest()
    check("a token key signs before the token goes away", sign(svc, 2, app, "k", digest)[0] == 0)
    os.rename(token.tokens, token.tokens + ".away")
    for pid in eb.worker_pids(svc, "parsec-provider-pkcs11"):
        os.kill(pid, signal.SIGKILL)
    seen = set()
    for _ in range(20):
        seen.add(sign(svc, 2, app, "k", digest)[0])
        time.sleep(0.1)
    check("without the token, requests answer CommunicationFailure", seen == {COMM_FAILURE}, seen)
    st, _ = sign(svc, 1, "suite1", "rsa-rsa_pss", hashlib.sha256(b"x").digest(), ops.sign_alg("rsa_pss"))
    check("the software provider keeps serving meanwhile", st == 0, st)
    os.rename(token.tokens + ".away", token.tokens)
    t0 = time.monotonic()
    st = None
    while time.monotonic() - t0 < 20:
        st, _ = sign(svc, 2, app, "k", digest)
        if st == 0:
            break
        time.sleep(0.2)
    check("when the token is back, the same key signs again without a restart of parsecd "
          "(%.1f s)" % (time.monotonic() - t0), st == 0 and svc.proc.poll() is None, st)


def junk(svc):
    """Random key data and inputs: precise PSA errors, and no worker lost on the way."""
    import random
    rnd = random.Random(7)
    app = "junk"
    types = [ops.ecc_pair(), KT(ecc_public_key={"curve_family": KT.SECP_R1}), KT(rsa_key_pair={}),
             KT(rsa_public_key={}), KT(aes={})]
    statuses = set()
    for i in range(150):
        at = ops.attrs(rnd.choice(types), rnd.choice([0, 256, 2048]), ["sign_hash", "encrypt", "decrypt"])
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.choice([0, 1, 31, 32, 65, 97, 270, 600])))
        if data and rnd.random() < 0.5:
            data = bytes([rnd.choice([0x04, 0x30])]) + data[1:]
        st, _ = ops.call(svc, "import", ops.import_pb.Operation(key_name="j%d" % i, attributes=at, data=data),
                         app=app, provider=2)
        statuses.add(st)
    for i in range(50):
        st, _ = sign(svc, 2, "suite2", "rsa-rsa_pss", os.urandom(rnd.choice([0, 1, 32, 33, 64, 600])),
                     ops.sign_alg("rsa_pss"))
        statuses.add(st)
    log = open(os.path.join(svc.dir, "parsecd.log")).read()
    check("150 random imports and 50 odd hashes answer PSA statuses (%s)" % sorted(statuses),
          COMM_FAILURE not in statuses and None not in statuses, statuses)
    check("and no PKCS#11 worker died on them", "pkcs11-provider/0 (pid" not in log and
          "pkcs11-provider/1 (pid" not in log, log[-500:])


def start_fails(token, table, key, what):
    svc = eb.Service(provider_extra=table)
    started, code, log = svc.start_refused()
    check("%s: parsecd exits non-zero and the log names %s" % (what, key),
          not started and code not in (0, None) and key in log, (started, code, log[-600:]))
    check("%s: the PIN appears nowhere in the log" % what, "wrong-pin-7y" not in log, log[-300:])
    if key == "provider.user_pin":
        # Per worker: one refusal, and no attempt after it (a transient token
        # error before it, from the other worker's login, may be retried).
        refused, tried_after = {}, []
        for line in log.splitlines():
            m = re.match(r"provider-pkcs11\[(\d+)\]: ", line)
            if not m:
                continue
            if "refused the PIN" in line:
                refused[m.group(1)] = refused.get(m.group(1), 0) + 1
            elif "transient device error" in line and m.group(1) in refused:
                tried_after.append(line)
        check("a refused PIN is never tried again (each worker is refused once, then stops)",
              refused and all(n == 1 for n in refused.values()) and not tried_after,
              (refused, tried_after, log[-600:]))
    svc.stop()
    svc.remove()


def token_busy_at_start(token):
    """A token that fails for a moment while the workers start (as SoftHSM does
    when two processes log in at once) is tried again: the service starts.
    The token's configuration is unreadable until the service logs the failure."""
    if os.geteuid() != 0:
        print("# not root: the token's configuration cannot be hidden from the service user")
        return
    os.chmod(token.conf, 0)
    svc = eb.Service(provider_extra=token.provider_table())

    def give_back():
        # The token comes back once the service has met it failing (its own log line).
        svc.wait_log("transient device error", 1, seconds=10)
        os.chmod(token.conf, 0o644)
    timer = threading.Thread(target=give_back)
    timer.start()
    try:
        try:
            svc.start()
            started = True
        except RuntimeError:
            started = False
        log = svc.log()
        check("a token failing for a moment at start is tried again and the service starts",
              started and "transient device error; attempt 2 of 6" in log, log[-1500:])
        check("and it signs", started and ops.call(svc, "generate", gen_pb.Operation(
            key_name="busy", attributes=ops.attrs(ops.ecc_pair(), 256, ["sign_hash"], ops.alg_of(
                asymmetric_signature=ops.sign_alg("ecdsa"))) ), app="busy", provider=2)[0] == 0)
    finally:
        timer.join()
        os.chmod(token.conf, 0o644)
        svc.stop()
        svc.remove()


def without_pin(token):
    """No user_pin: private keys are out of reach, which is a refusal, not a lost token."""
    svc = eb.Service(provider_extra=token.provider_table(pin=None))
    svc.start()
    try:
        at = ops.attrs(ops.ecc_pair(), 256, ["sign_hash"], ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
        sts = [ops.call(svc, "generate", gen_pb.Operation(key_name="nopin%d" % i, attributes=at),
                        app="nopin", provider=2)[0] for i in range(3)]
        log = open(os.path.join(svc.dir, "parsecd.log")).read()
        check("without user_pin a private key cannot be made (NotPermitted), every time",
              sts == [ST["not_permitted"]] * 3, sts)
        check("and no worker is restarted for it", "exiting so that a fresh worker" not in log, log[-500:])
    finally:
        svc.stop()
        svc.remove()


# Distinctive values: found in a process's memory, they can only be these.
MEMORY_PIN = "pin-7Qx9Vw2eLk5m"
REJECTED_PIN = "pin-R3jq8Tz0Hc4w"


def pin_holders(svc, pin=MEMORY_PIN):
    """Every process of the service whose memory (stacks included) holds the PIN."""
    return eb.memory_holders(eb.service_pids(svc.proc.pid), pin.encode())


def restart_refused(svc):
    """A worker restarted while the file no longer configures its provider as
    the service runs it, or lets others read the PIN, is not set up: parsecd
    says why and tries again with backoff, the other providers serve, and once
    the file is right again the worker is back."""
    config = os.path.join(svc.dir, "config.toml")
    good = open(config).read()
    cases = [("its provider's settings changed without SIGHUP",
              good.replace("[privsep]", "allow_export = false\n[privsep]"), 0o600,
              "changed the Pkcs11 provider's settings since it was loaded: send SIGHUP"),
             ("the file readable by others", good, 0o644, "but group or others may read it")]
    for what, text, mode, why in cases:
        with open(config, "w") as f:
            f.write(text)
        os.chmod(config, mode)
        refused = svc.log().count("cannot be set up")
        os.kill(eb.worker_pids(svc, "parsec-provider-pkcs11")[0], signal.SIGKILL)
        log = svc.wait_log("cannot be set up", refused + 2)
        check("with %s, a PKCS#11 worker is not set up, again and again, saying why" % what,
              log.count("cannot be set up") >= refused + 2 and why in log, log[-800:])
        check("and the software provider serves meanwhile", eb.App(svc, "other").generate("k-%o" % mode) == 0)
        serving = log.count("is serving again")
        with open(config, "w") as f:
            f.write(good)
        os.chmod(config, 0o600)
        log = svc.wait_log("is serving again", serving + 1)
        check("once the file is right again the worker is back", log.count("is serving again") > serving,
              log[-800:])
    st = sign(svc, 2, "mem", "mem", bytes(32))[0]
    check("and the token signs", st == 0, st)


def secrets_in_memory():
    """The PIN logs the worker in and is then gone from its memory and the
    parent's: no process holds it once the service is ready, nor after a
    worker's restart (which reads it again from the file), nor once the
    provider leaves the configuration or a reload is refused."""
    if os.geteuid() != 0:
        print("# not root: process memory is not read")
        return
    if os.environ.get("PARSEC_SANITIZED"):
        # ASan's terabytes of reserved shadow and heap cannot be read through; the plain
        # build's run of this suite reads every mapping.
        print("# sanitizer build: process memory is not read")
        return
    conf_before = os.environ.get("SOFTHSM2_CONF")
    svc = eb.Service()
    token = softhsmlib.Token(svc.dir, user_pin=MEMORY_PIN)
    table = token.provider_table(pin=MEMORY_PIN)
    svc = eb.Service(directory=svc.dir, provider_extra=table)
    svc.start()
    try:
        at = ops.attrs(ops.ecc_pair(), 256, ["sign_hash"], ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
        st = ops.call(svc, "generate", gen_pb.Operation(key_name="mem", attributes=at), app="mem", provider=2)[0]
        st2 = sign(svc, 2, "mem", "mem", bytes(32))[0]
        check("with the distinctive PIN the token makes and signs a private key", (st, st2) == (0, 0), (st, st2))
        procs = eb.service_pids(svc.proc.pid)
        check("the service has its parent and children to look into", len(procs) >= 5, procs)
        check("once ready, the PIN is in no process of the service, parsecd included", pin_holders(svc) == [],
              pin_holders(svc))
        check("a killed PKCS#11 worker is replaced, the PIN read again from the file",
              eb.restart_worker(svc, "parsec-provider-pkcs11"), svc.log()[-800:])
        st = sign(svc, 2, "mem", "mem", bytes(32))[0]
        check("the fresh worker logged in and signs with the token's key", st == 0, st)
        check("after the restart too, the PIN is in no process of the service", pin_holders(svc) == [],
              pin_holders(svc))
        restart_refused(svc)
        # A refused reload carrying another PIN: gone from the parent once refused.
        eb.Service(directory=svc.dir, provider_extra=token.provider_table(pin=REJECTED_PIN).replace(
            '"sqlite-manager"', '"no-such-manager"'))
        refused = svc.log().count("reload refused")
        os.kill(svc.proc.pid, signal.SIGHUP)
        log = svc.wait_log("reload refused", refused + 1)
        check("a reload naming an unknown key manager is refused", log.count("reload refused") == refused + 1,
              log[-500:])
        check("the refused configuration's PIN is in no process of the service",
              pin_holders(svc, REJECTED_PIN) == [], pin_holders(svc, REJECTED_PIN))
        # The provider leaves the configuration: its PIN leaves every process.
        eb.Service(directory=svc.dir)
        reloaded = svc.log().count("reloaded")
        os.kill(svc.proc.pid, signal.SIGHUP)
        log = svc.wait_log("reloaded", reloaded + 1)
        check("a reload without the PKCS#11 provider is taken", "Pkcs11 provider" in log and "removed" in log,
              log[-500:])
        check("after it the PIN is in no process of the service", pin_holders(svc) == [], pin_holders(svc))
    finally:
        svc.stop()
        svc.remove()
        if conf_before is not None:
            os.environ["SOFTHSM2_CONF"] = conf_before


# RFC 4231 test case 6 (a 131-byte key, which SoftHSMv2 takes for every HMAC) and
# RFC 2202 test case 6 (HMAC-SHA-1, an 80-byte key): the same message.
RFC_6_DATA = b"Test Using Larger Than Block-Size Key - Hash Key First"
HMAC_CASES = (
    (A.SHA_256, b"\xaa" * 131, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    (A.SHA_1, b"\xaa" * 80, 0, "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
    (A.SHA_256, b"\xaa" * 131, 16, "60e431591ee0b67f0d8a26aacbf5b77f"),
    (A.SHA_1, b"\xaa" * 80, 12, "aa4ae5e15272d00e95705637"),
)


def mac_alg(hash_alg, length=0):
    """The wire's Mac: HMAC with hash_alg, truncated to length bytes unless 0."""
    m = A.Mac()
    if length:
        m.truncated.mac_alg.hmac.hash_alg = hash_alg
        m.truncated.mac_length = length
    else:
        m.full_length.hmac.hash_alg = hash_alg
    return m


def mac_oneshot(svc):
    """PsaMacCompute and PsaMacVerify on the token: HMAC-SHA-256 and HMAC-SHA-1, full and
    truncated (the service cuts the token's MAC and checks the prefix), and a verify-only key."""
    for i, (h, key, length, want) in enumerate(HMAC_CASES):
        alg = mac_alg(h, length)
        usage = ["sign_message", "verify_message"] if i % 2 == 0 else ["verify_message"]
        name = "hmac-%d" % i
        st, _ = ops.call(svc, "import", ops.import_pb.Operation(
            key_name=name, attributes=ops.attrs(ops.plain("hmac"), len(key) * 8, usage,
                                                ops.alg_of(mac=alg)), data=key), provider=2)
        what = "HMAC-%s%s" % ("SHA-256" if h == A.SHA_256 else "SHA-1",
                              " truncated to %d" % length if length else "")
        mac = bytes.fromhex(want)
        if "sign_message" in usage:
            st2, out = ops.call(svc, "mac", ops.mac_pb.Operation(key_name=name, alg=alg,
                                                                  input=RFC_6_DATA), provider=2)
            got = ops.mac_pb.Result.FromString(out).mac if st2 == 0 else None
            check("PKCS#11 PsaMacCompute %s (RFC test case 6)" % what,
                  st == 0 and got == mac, (st, st2, got))
        st2, _ = ops.call(svc, "mac_verify", ops.mac_verify_pb.Operation(
            key_name=name, alg=alg, input=RFC_6_DATA, mac=mac), provider=2)
        st3, _ = ops.call(svc, "mac_verify", ops.mac_verify_pb.Operation(
            key_name=name, alg=alg, input=RFC_6_DATA, mac=mac[:-1]), provider=2)
        st4, _ = ops.call(svc, "mac_verify", ops.mac_verify_pb.Operation(
            key_name=name, alg=alg, input=RFC_6_DATA, mac=mac[:-1] + bytes([mac[-1] ^ 1])),
            provider=2)
        check("PKCS#11 PsaMacVerify %s%s: right MAC, one byte short, last bit flipped" %
              (what, "" if "sign_message" in usage else " (verify-only key)"),
              st == 0 and st2 == 0 and st3 == ST["invalid_signature"] and
              st4 == ST["invalid_signature"], (st, st2, st3, st4))
    st, _ = ops.call(svc, "mac", ops.mac_pb.Operation(
        key_name="hmac-1", alg=mac_alg(A.SHA_1), input=b"x"), provider=2)
    check("PKCS#11 PsaMacCompute with a verify-only key: NotPermitted",
          st == ST["not_permitted"], st)
    st, _ = ops.call(svc, "mac", ops.mac_pb.Operation(
        key_name="hmac-0", alg=mac_alg(A.SHA_256, 16), input=b"x"), provider=2)
    check("PKCS#11 PsaMacCompute truncated with a full-length policy: NotPermitted",
          st == ST["not_permitted"], st)


def hash_oneshot(svc):
    """PsaHashCompute and PsaHashCompare on the token's digests: SHA-256 and SHA-1 of "abc"
    (FIPS 180), and a wrong or short hash to compare."""
    for h, name in ((A.SHA_256, "sha256"), (A.SHA_1, "sha1")):
        want = hashlib.new(name, b"abc").digest()
        st, out = ops.call(svc, "hash", ops.hash_pb.Operation(alg=h, input=b"abc"), provider=2)
        got = ops.hash_pb.Result.FromString(out).hash if st == 0 else None
        sts = [ops.call(svc, "hash_compare", ops.hash_cmp.Operation(alg=h, input=b"abc",
                                                                     hash=x), provider=2)[0]
               for x in (want, want[:-1] + bytes([want[-1] ^ 1]), want[:-1])]
        check("PKCS#11 PsaHashCompute %s(abc) on the token, and PsaHashCompare of it, of a "
              "changed one and of a short one" % name,
              got == want and sts == [0, ST["invalid_signature"], ST["invalid_signature"]],
              (st, got, sts))


def mac_listing(token):
    """The one-shot MAC opcodes are listed only when advertise_mac_opcodes says so
    (upstream's Rust client refuses a list naming opcodes it does not know)."""
    for extra, want in (("", False), ("advertise_mac_opcodes = true", True)):
        svc = eb.Service(provider_extra=token.provider_table(extra=extra))
        svc.start()
        try:
            st, out = ops.call(svc, "list_opcodes", ops.list_opcodes_pb.Operation(
                provider_id=2), provider=0)
            listed = set(ops.list_opcodes_pb.Result.FromString(out).opcodes) if st == 0 \
                else set()
            check("PKCS#11 ListOpcodes %s PsaMacCompute and PsaMacVerify%s" %
                  ("names" if want else "does not name", " (advertise_mac_opcodes)"
                   if want else " by default"),
                  st == 0 and ({0x16, 0x17} <= listed) == want and
                  (want or not {0x16, 0x17} & listed), (st, sorted(listed)))
        finally:
            svc.stop()
            svc.remove()


def main():
    if not softhsmlib.available():
        print("SoftHSMv2 or pkcs11-tool missing: skipped")
        return 77
    base = eb.Service()
    token = softhsmlib.Token(base.dir)
    svc = eb.Service(directory=base.dir, provider_extra=token.provider_table())
    svc.start()
    try:
        asym_suite.run(svc, 2)
        asym_suite.run(svc, 1)
        token_contents(svc, token)
        mac_oneshot(svc)
        hash_oneshot(svc)
        junk(svc)
        concurrency(svc)
        # Keys live on the token: a restart of the service finds them.
        pub = asym_suite.Runner(svc, 2, "suite2").public("rsa-rsa_pss")
        svc.stop()
        svc.start()
        r = asym_suite.Runner(svc, 2, "suite2")
        check("after a restart the token key has the same public key", r.public("rsa-rsa_pss") == pub)
        token_away(svc, token)
        st, _ = ops.call(svc, "hash", ops.hash_pb.Operation(alg=A.SHA_256, input=b""))
        check("still serving after all of it", st == 0, st)
    finally:
        svc.stop()
    without_pin(token)
    mac_listing(token)
    token_busy_at_start(token)
    start_fails(token, token.provider_table(pin="wrong-pin-7y"), "provider.user_pin", "a wrong PIN")
    start_fails(token, token.provider_table().replace(softhsmlib.MODULE, "/nonexistent/libp11.so"),
                "provider.library_path", "a missing module")
    start_fails(token, token.provider_table().replace("slot_number = %d" % token.slot, "slot_number = 4242"),
                "provider.slot_number", "a missing slot")
    svc.remove()
    secrets_in_memory()
    return summary("e2e_pkcs11")


if __name__ == "__main__":
    sys.exit(main())
