#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A storm of 50 SIGHUP reloads while clients sign on every provider at once:
software (1, two workers), PKCS#11 on SoftHSMv2 (2, two workers) and TPM on
swtpm (3, one worker), and keys are made and destroyed on the software
provider meanwhile. Each reload changes the administrators and the body
limit (settings taken in place) and leaves the providers as they are: every
request must be answered Success, no worker may be restarted or go missing,
and every key made before the storm must still sign, verifiably, after it.

Usage: e2e_reload.py TOPDIR
"""
import hashlib
import os
import re
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_multi  # noqa: E402
import e2e_ops as ops  # noqa: E402
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

import psa_destroy_key_pb2 as destroy_pb  # noqa: E402
import psa_export_public_key_pb2 as export_pub_pb  # noqa: E402
import psa_generate_key_pb2 as gen_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402

RELOADS = 50
PROVIDER_RELOADS = 20
PROVIDERS = {1: ("software", "parsec-provider-mbed", 2), 2: ("PKCS#11", "parsec-provider-pkcs11", 2),
             3: ("TPM", "parsec-provider-tpm", 1)}
KEYS_PER_PROVIDER = 2
APP = "storm"


def p256_signing():
    return ops.attrs(ops.ecc_pair(), 256, ["sign_hash", "verify_hash"],
                     ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))


def make_key(svc, provider, name):
    return ops.call(svc, "generate", gen_pb.Operation(key_name=name, attributes=p256_signing()),
                    app=APP, provider=provider)[0]


def public_key(svc, provider, name):
    st, out = ops.call(svc, "export_public", export_pub_pb.Operation(key_name=name), app=APP,
                       provider=provider)
    if st != 0:
        return None
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                         export_pub_pb.Result.FromString(out).data)


def sign_verified(svc, provider, name, pub, text):
    """Signs a digest with the key; 0 if OpenSSL verifies the signature, else why not."""
    digest = hashlib.sha256(text).digest()
    try:
        st, out = ops.call(svc, "sign_hash", sign_pb.Operation(key_name=name, alg=ops.sign_alg("ecdsa"),
                                                               hash=digest), app=APP, provider=provider)
    except OSError as e:
        return repr(e)
    if st != 0:
        return st
    return ops.verify_p256(pub, digest, sign_pb.Result.FromString(out).signature)


def signer(svc, provider, name, pub, stop, out):
    """Signs in a loop until stop is set; records each answer."""
    n = 0
    while not stop.is_set():
        out.append(sign_verified(svc, provider, name, pub, b"storm %d" % n))
        n += 1


def kept_signer(svc, provider, name, pub, stop, out):
    """Signs in a loop on one connection kept open (header flag 0x0001), as
    e2e_service's reload test keeps one: a connection the reloads must not cut."""
    digest = hashlib.sha256(b"kept").digest()
    body = sign_pb.Operation(key_name=name, alg=ops.sign_alg("ecdsa"), hash=digest).SerializeToString()
    hdr = struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 1, provider, 1, 0, 0, eb.AUTH_DIRECT,
                      len(body), len(APP), ops.OPS["sign_hash"], 0, 0, 0)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(svc.sock)
        while not stop.is_set():
            try:
                s.sendall(hdr + body + APP.encode())
                fields, out_body = eb.read_response(s)
            except OSError as e:
                out.append(repr(e))
                return
            if fields is None:
                out.append("connection closed")
                return
            sig = sign_pb.Result.FromString(out_body).signature if fields[13] == 0 else b""
            out.append(fields[13] or ops.verify_p256(pub, digest, sig))


def churn(svc, stop, out):
    """Makes and destroys keys on the software provider: key files written during reloads."""
    n = 0
    while not stop.is_set():
        try:
            out.append(make_key(svc, 1, "churn%d" % n))
            out.append(ops.call(svc, "destroy", destroy_pb.Operation(key_name="churn%d" % n), app=APP,
                                provider=1)[0])
        except OSError as e:
            out.append(repr(e))
        n += 1


def workers(svc):
    return {p: sorted(eb.worker_pids(svc, binary)) for p, (_, binary, _) in PROVIDERS.items()}


def write_config(config, text):
    """Replaces the file whole (a rename), so a reload never reads half of it."""
    with open(config + ".new", "w") as f:
        f.write(text)
    os.chmod(config + ".new", 0o600)
    os.rename(config + ".new", config)


def storm(svc, config, variants):
    return storm_n(svc, config, variants, RELOADS)


def storm_n(svc, config, variants, count):
    """count SIGHUPs, each once the last is done (signals sent closer merge into one)."""
    done = "reloaded " + config
    before = svc.log().count(done)
    t0 = time.monotonic()
    for i in range(count):
        write_config(config, variants[i % 2])
        os.kill(svc.proc.pid, signal.SIGHUP)
        if svc.wait_log(done, before + i + 1, 10).count(done) < before + i + 1:
            return i, time.monotonic() - t0
    return count, time.monotonic() - t0


def burst(svc, config, variants):
    """RELOADS SIGHUPs back to back, the file changing between them: how many reloads ran."""
    done = "reloaded " + config
    before = svc.log().count(done)
    for i in range(RELOADS):
        write_config(config, variants[i % 2])
        os.kill(svc.proc.pid, signal.SIGHUP)
        time.sleep(0.002)
    # The last signal's reload reads the last file; wait until the count stops moving.
    last, stable = -1, 0
    while stable < 5:
        n = svc.log().count(done)
        stable = stable + 1 if n == last else 0
        last = n
        time.sleep(0.1)
    return last - before


def make_keys(svc):
    """KEYS_PER_PROVIDER signing keys on each provider: {(provider, name): public key}."""
    keys = {}
    for p in PROVIDERS:
        for k in range(KEYS_PER_PROVIDER):
            name = "pre%d-%d" % (p, k)
            st = make_key(svc, p, name)
            keys[(p, name)] = public_key(svc, p, name) if st == 0 else None
    check("keys are made on every provider before the storm", all(v is not None for v in keys.values()),
          [k for k, v in keys.items() if v is None])
    return keys


def start_traffic(svc, keys, providers, churned=None):
    """Signers on every key of providers, one kept connection each, and the churn
    if churned is a list: (stop event, threads, {provider: answers})."""
    stop = threading.Event()
    results = {p: [] for p in providers}
    threads = [threading.Thread(target=signer, args=(svc, p, name, pub, stop, results[p]))
               for (p, name), pub in keys.items() if p in providers]
    threads += [threading.Thread(target=kept_signer, args=(svc, p, "pre%d-0" % p, keys[(p, "pre%d-0" % p)],
                                                           stop, results[p])) for p in providers]
    if churned is not None:
        threads.append(threading.Thread(target=churn, args=(svc, stop, churned)))
    for t in threads:
        t.start()
    time.sleep(0.5)
    return stop, threads, results


def stop_traffic(stop, threads):
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()


def check_answers(results, when):
    for p, answers in results.items():
        kind = PROVIDERS[p][0]
        bad = [r for r in answers if r != 0]
        print("# %s: %d signatures %s, %d not answered Success" % (kind, len(answers), when, len(bad)))
        check("%s: every signature %s is answered Success and verifies" % (kind, when),
              len(answers) >= 10 and not bad, (len(answers), bad[:5]))


def settings_storm(svc, keys, config, original):
    """The storm of reloads that change settings taken in place, then the same back to back."""
    before = workers(svc)
    check("worker processes as configured before the storm (2 software, 2 PKCS#11, 1 TPM)",
          all(len(before[p]) == PROVIDERS[p][2] for p in PROVIDERS), before)
    # In place: a second authenticator and its administrator, frontd's body limit.
    uid = os.getuid()
    changed = original.replace('[authenticator]\nauth_type = "Direct"',
                               '[[authenticator]]\nauth_type = "UnixPeerCredentials"\n'
                               'admins = [ { name = "%d" } ]\n[[authenticator]]\nauth_type = "Direct"' % uid).replace(
        'log_level = "info"', 'log_level = "info"\nbody_len_limit = 65536')
    check("the second configuration differs from the first", changed.count("authenticator") == 2 and
          "body_len_limit" in changed, changed)
    churned = []
    stop, threads, results = start_traffic(svc, keys, PROVIDERS, churned)
    reloads, seconds = storm(svc, config, (changed, original))
    burst_reloads = burst(svc, config, (changed, original))
    stop_traffic(stop, threads)

    print("# %d reloads in %.1f s under traffic" % (reloads, seconds))
    check("all %d reloads are taken while clients sign" % RELOADS, reloads == RELOADS, reloads)
    print("# then %d SIGHUPs back to back: %d reloads ran" % (RELOADS, burst_reloads))
    check("SIGHUPs back to back run reloads and none is refused", burst_reloads >= 1 and
          "reload refused" not in svc.log(), burst_reloads)
    check_answers(results, "during the storm")
    bad = [r for r in churned if r != 0]
    print("# software: %d key creations and destructions during the storm, %d failed" % (len(churned), len(bad)))
    check("software: keys are made and destroyed throughout the storm", len(churned) >= 10 and not bad,
          (len(churned), bad[:5]))
    after = workers(svc)
    check("the same worker processes serve after the storm: none lost or restarted", after == before,
          (before, after))
    log = svc.log()
    check("no worker was stopped or restarted by a reload",
          "restarting" not in log and "is serving again" not in log and "provider" not in
          "".join(line for line in log.splitlines() if "reload:" in line),
          [line for line in log.splitlines() if "restart" in line or "reload:" in line][:5])
    # The last reload took the original file; one more takes the second authenticator, in place.
    write_config(config, changed)
    done = "reloaded " + config
    n = log.count(done)
    os.kill(svc.proc.pid, signal.SIGHUP)
    svc.wait_log(done, n + 1, 10)
    me = eb.App(svc, str(uid), eb.AUTH_PEER, uid.to_bytes(4, "little"))
    check("the reloaded settings are in force: uid %d is an admin under UnixPeerCredentials" % uid,
          me.clients()[0] == 0, me.clients())
    write_config(config, original)


def provider_storm(svc, keys, config, original):
    """Reloads that change the software provider, which restarts it each time: the
    PKCS#11 and TPM clients do not notice, and the software provider comes back whole."""
    before = workers(svc)
    changed = original.replace('key_info_manager = "sqlite-manager"\n',
                               'key_info_manager = "sqlite-manager"\nadvertise_mac_opcodes = true\n', 1)
    stop, threads, results = start_traffic(svc, keys, (2, 3))
    reloads, seconds = storm_n(svc, config, (changed, original), PROVIDER_RELOADS)
    # Back once both workers of the last start serve (a key of theirs signs).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (len(workers(svc)[1]) != 2 or sign_verified(
            svc, 1, "pre1-0", keys[(1, "pre1-0")], b"back") != 0):
        time.sleep(0.1)
    stop_traffic(stop, threads)
    print("# %d reloads restarting the software provider in %.1f s" % (reloads, seconds))
    check("all %d reloads that change the software provider are taken" % PROVIDER_RELOADS,
          reloads == PROVIDER_RELOADS, reloads)
    check_answers(results, "while the software provider restarts")
    after = workers(svc)
    check("the software provider runs its 2 workers again; PKCS#11 and TPM the same processes as before",
          len(after[1]) == 2 and after[2] == before[2] and after[3] == before[3], (before, after))


def reload_memory(svc, config):
    """Reloads keep brokerd's memory as it was: copying the new settings whole used
    to back all its authenticators' bundle space (440 KiB) at the first reload."""
    broker = [p for p, name in eb.service_pids(svc.proc.pid) if name == "parsec-brokerd"][0]
    before = eb.rss_kib(broker)
    done = "reloaded " + config
    for _ in range(3):
        n = svc.log().count(done)
        os.kill(svc.proc.pid, signal.SIGHUP)
        svc.wait_log(done, n + 1, 10)
    time.sleep(0.5)
    after = eb.rss_kib(broker)
    check("brokerd's resident memory grows by less than 128 KiB over 3 reloads (%d -> %d KiB)" %
          (before, after), after - before < 128, (before, after))


def run(svc):
    config = os.path.join(svc.dir, "config.toml")
    reload_memory(svc, config)
    keys = make_keys(svc)
    original = open(config).read()
    settings_storm(svc, keys, config, original)
    check("frontd survived the reloads and stamps its lines (log_timestamp)", re.search(
        r"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ frontd\[\d+\]: info: front_conn_reconfigure: reloaded", svc.log())
          is not None and "frontd (pid" not in svc.log(), svc.log()[-1500:])
    provider_storm(svc, keys, config, original)
    check("the service was never stopped by a signal it did not get", "received SIGTERM" not in svc.log(),
          [line for line in svc.log().splitlines() if "SIGTERM" in line])
    lost = [k for (p, k), pub in keys.items() if sign_verified(svc, p, k, pub, b"after") != 0]
    check("every key made before the storms still signs verifiably after them", not lost, lost)
    st, names = eb.App(svc, APP).keys()
    check("the key store lists exactly the keys made before the storms", st == 0 and
          names == sorted(k for _, k in keys), names)


def stamped(svc):
    """Time-stamped log lines: frontd's first stamped line used to be the one a reload writes."""
    cfg = os.path.join(svc.dir, "config.toml")
    write_config(cfg, open(cfg).read().replace('log_level = "info"', 'log_level = "info"\nlog_timestamp = true'))


def main():
    if not softhsmlib.available() or not swtpmlib.available():
        print("SoftHSMv2 or swtpm missing: skipped")
        return 77
    t0 = time.monotonic()
    svc = e2e_multi.serve_three(run, stamped)
    svc.remove()
    print("# e2e_reload ran in %.1f s" % (time.monotonic() - t0))
    return summary("e2e_reload")


if __name__ == "__main__":
    sys.exit(main())
