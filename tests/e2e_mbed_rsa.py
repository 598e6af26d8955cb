#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end through a real parsecd: the software provider's workers keep
recently used RSA key pairs parsed between requests. A kept key must sign
(and decrypt) exactly as PSA does (PKCS#1 v1.5 is deterministic: byte for byte, and as
OpenSSL does), never outlive its destruction, never serve another
application's key of the same name, stay bounded, and leave no copy of its
numbers in the worker once destroyed or evicted.

One worker, logging at debug level: the worker says when it parses a key.

Usage: e2e_mbed_rsa.py TOPDIR
"""
import hashlib
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402
import e2e_ops as ops  # noqa: E402
from e2e_ops import A, attrs, call, plain, sign_alg  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed  # noqa: E402

PARSED = "RSA key pair parsed and kept"
# DER DigestInfo prefix of SHA-256 (RFC 8017, 9.2 note 1): raw PKCS#1 v1.5 over it and a
# digest is the same signature as PKCS#1 v1.5 with SHA-256.
SHA256_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
MANY = 40


def pkcs1():
    return ops.alg_of(asymmetric_signature=sign_alg("rsa_pkcs1v15_sign"))


def raw():
    a = A.AsymmetricSignature()
    a.rsa_pkcs1v15_sign_raw.SetInParent()
    return a


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def import_key(svc, name, priv, alg, app="app"):
    der = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    at = attrs(plain("rsa_key_pair"), 2048, ["sign_hash", "verify_hash"], ops.alg_of(asymmetric_signature=alg))
    st, _ = call(svc, "import", ops.import_pb.Operation(key_name=name, attributes=at, data=der), app=app)
    return st


def sign(svc, name, alg, digest, app="app"):
    st, out = call(svc, "sign_hash", ops.sign_pb.Operation(key_name=name, alg=alg, hash=digest), app=app)
    return ops.sign_pb.Result.FromString(out).signature if st == 0 else st


def openssl_sign(priv, digest):
    return priv.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def parsed(svc):
    return svc.log().count(PARSED)


def service():
    svc = eb.Service()
    path = os.path.join(svc.dir, "config.toml")
    text = open(path).read().replace('log_level = "info"', 'log_level = "debug"')
    open(path, "w").write(text.replace("workers = 2", "workers = 1"))
    return svc


def run_same_signature(svc):
    """A kept key signs as PSA's own path (raw PKCS#1 v1.5 over the DigestInfo, which
    the worker leaves to PSA) and as OpenSSL, byte for byte, on a miss and on a hit."""
    priv = new_key()
    st = (import_key(svc, "same", priv, sign_alg("rsa_pkcs1v15_sign")), import_key(svc, "same-raw", priv, raw()))
    check("two RSA-2048 keys of the same numbers import", st == (0, 0), st)
    before = parsed(svc)
    results = []
    for i in range(3):
        digest = hashlib.sha256(b"same %d" % i).digest()
        results.append((sign(svc, "same", sign_alg("rsa_pkcs1v15_sign"), digest),
                        sign(svc, "same", sign_alg("rsa_pkcs1v15_sign"), digest),
                        sign(svc, "same-raw", raw(), SHA256_INFO + digest), openssl_sign(priv, digest)))
    check("PKCS#1 v1.5 signatures of a kept key equal PSA's and OpenSSL's, byte for byte",
          all(isinstance(r[0], bytes) and len(set(r)) == 1 for r in results), results[0])
    message = b"a message signed whole"
    st, out = call(svc, "sign_message", ops.sign_msg_pb.Operation(key_name="same", alg=sign_alg("rsa_pkcs1v15_sign"),
                                                                   message=message))
    whole = ops.sign_msg_pb.Result.FromString(out).signature if st == 0 else st
    check("a kept key signs a message as OpenSSL signs its SHA-256 hash, byte for byte",
          whole == openssl_sign(priv, hashlib.sha256(message).digest()), whole)
    check("the key was parsed once for its seven signatures", parsed(svc) - before == 1, parsed(svc) - before)
    pss = ops.alg_of(asymmetric_signature=sign_alg("rsa_pss"))
    at = attrs(plain("rsa_key_pair"), 2048, ["sign_hash"], pss)
    der = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    st, _ = call(svc, "import", ops.import_pb.Operation(key_name="pss", attributes=at, data=der))
    digest = hashlib.sha256(b"pss").digest()
    sigs = [sign(svc, "pss", sign_alg("rsa_pss"), digest) for _ in range(2)]
    bad = []
    for s in sigs:
        try:
            priv.public_key().verify(s, digest, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                                     Prehashed(hashes.SHA256()))
        except Exception as e:  # noqa: BLE001 - any refusal is the failure reported
            bad.append(repr(e))
    check("PSS signatures of a kept key verify with OpenSSL (salt of the hash's length)",
          st == 0 and not bad and sigs[0] != sigs[1], (st, bad))


def run_recreate(svc):
    """A key destroyed and made again under the same name signs with the new numbers,
    and another application's key of the same name is its own."""
    old, new, theirs = new_key(), new_key(), new_key()
    digest = hashlib.sha256(b"recreate").digest()
    import_key(svc, "again", old, sign_alg("rsa_pkcs1v15_sign"))
    first = [sign(svc, "again", sign_alg("rsa_pkcs1v15_sign"), digest) for _ in range(2)]
    st = call(svc, "destroy", ops.destroy_pb.Operation(key_name="again"))[0]
    gone = sign(svc, "again", sign_alg("rsa_pkcs1v15_sign"), digest)
    st2 = import_key(svc, "again", new, sign_alg("rsa_pkcs1v15_sign"))
    second = sign(svc, "again", sign_alg("rsa_pkcs1v15_sign"), digest)
    check("a kept key signs with its own numbers", first == [openssl_sign(old, digest)] * 2, first[0])
    check("once destroyed it no longer signs", st == 0 and gone == ops.ST["does_not_exist"], (st, gone))
    check("made again under the same name, it signs with the new key, not the kept old one",
          st2 == 0 and second == openssl_sign(new, digest), second)
    st3 = import_key(svc, "again", theirs, sign_alg("rsa_pkcs1v15_sign"), app="other")
    mine, other = (sign(svc, "again", sign_alg("rsa_pkcs1v15_sign"), digest, app=a) for a in ("app", "other"))
    check("another application's key of the same name signs with its numbers, ours with ours",
          st3 == 0 and other == openssl_sign(theirs, digest) and mine == openssl_sign(new, digest),
          (st3, other == mine))


def run_decrypt(svc):
    """A kept key decrypts OpenSSL's PKCS#1 v1.5 and OAEP (SHA-256, with and without a
    label) ciphertexts, on a miss and on a hit; a ciphertext of bad padding is refused
    in PSA's words, and the key then still decrypts."""
    priv = new_key()
    der = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    v15 = A.AsymmetricEncryption(rsa_pkcs1v15_crypt=A.AsymmetricEncryption.RsaPkcs1v15Crypt())
    oaep = A.AsymmetricEncryption(rsa_oaep=A.AsymmetricEncryption.RsaOaep(hash_alg=A.SHA_256))
    for name, alg, label in (("v15", v15, None), ("oaep", oaep, None), ("oaep-label", oaep, b"a label")):
        at = attrs(plain("rsa_key_pair"), 2048, ["decrypt"], ops.alg_of(asymmetric_encryption=alg))
        st = call(svc, "import", ops.import_pb.Operation(key_name="dec-" + name, attributes=at, data=der))[0]
        pad = padding.PKCS1v15() if alg is v15 else padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(),
                                                                 label)
        before = parsed(svc)
        got = []
        for i in range(2):
            ct = priv.public_key().encrypt(b"secret %d" % i, pad)
            st2, out = call(svc, "asym_decrypt", ops.asym_dec.Operation(key_name="dec-" + name, alg=alg,
                                                                        ciphertext=ct, salt=label or b""))
            got.append(ops.asym_dec.Result.FromString(out).plaintext if st2 == 0 else st2)
        check("a kept key decrypts OpenSSL's %s ciphertexts, parsed once" % name,
              st == 0 and got == [b"secret 0", b"secret 1"] and parsed(svc) - before == 1,
              (st, got, parsed(svc) - before))
    bad = call(svc, "asym_decrypt", ops.asym_dec.Operation(key_name="dec-v15", alg=v15, ciphertext=bytes(255) + b"\x02"))[0]
    ct = priv.public_key().encrypt(b"after", padding.PKCS1v15())
    st, out = call(svc, "asym_decrypt", ops.asym_dec.Operation(key_name="dec-v15", alg=v15, ciphertext=ct))
    check("a ciphertext of bad padding is PsaErrorInvalidPadding, and the key still decrypts",
          bad == 1150 and st == 0 and ops.asym_dec.Result.FromString(out).plaintext == b"after", (bad, st))


def holders(svc, priv):
    """The worker processes whose memory holds the key's prime p, as mbedtls keeps it
    (little-endian limbs) or as the key's DER has it (big-endian)."""
    p = priv.private_numbers().p
    procs = [(pid, "worker") for pid in eb.worker_pids(svc, "parsec-provider-mbed")]
    return (eb.memory_holders(procs, p.to_bytes(128, "little"), piece=32) +
            eb.memory_holders(procs, p.to_bytes(128, "big"), piece=32))


def run_bounded(svc):
    """The worker keeps a bounded number of keys: signing with MANY keys twice over
    parses most of them again; an evicted or destroyed key leaves no copy behind."""
    keys = [new_key() for _ in range(MANY)]
    st = [import_key(svc, "many-%d" % i, k, sign_alg("rsa_pkcs1v15_sign")) for i, k in enumerate(keys)]
    check("%d RSA keys import" % MANY, st == [0] * MANY, st)
    digest = hashlib.sha256(b"many").digest()
    rounds = []
    for _ in range(2):
        before = parsed(svc)
        sigs = [sign(svc, "many-%d" % i, sign_alg("rsa_pkcs1v15_sign"), digest) for i in range(MANY)]
        rounds.append((parsed(svc) - before, sigs))
    want = [openssl_sign(k, digest) for k in keys]
    check("every signature of both rounds is the key's own", rounds[0][1] == want and rounds[1][1] == want)
    check("the worker keeps at most 16 keys: the second round parses at least %d again" % (MANY - 16),
          rounds[0][0] == MANY and rounds[1][0] >= MANY - 16, [r[0] for r in rounds])
    if os.environ.get("PARSEC_SANITIZED"):
        # ASan's reserved shadow and heap cannot be read through; the plain build reads them.
        print("# sanitizer build: the worker's memory is not read")
        return
    # many-0 was evicted by the 39 keys after it; the last one is kept, then destroyed.
    evicted = holders(svc, keys[0])
    check("an evicted key leaves no copy of its prime in the worker", not evicted, evicted)
    kept = holders(svc, keys[-1])
    st = call(svc, "destroy", ops.destroy_pb.Operation(key_name="many-%d" % (MANY - 1)))[0]
    left = holders(svc, keys[-1])
    check("a kept key is in the worker's memory until destroyed, then no copy is left",
          kept and st == 0 and not left, (kept, st, left))


def run_concurrent(svc):
    """Two clients at once with one key: every signature is right."""
    priv = new_key()
    import_key(svc, "both", priv, sign_alg("rsa_pkcs1v15_sign"))
    digest = hashlib.sha256(b"both").digest()
    want, got = openssl_sign(priv, digest), []

    def client():
        got.extend(sign(svc, "both", sign_alg("rsa_pkcs1v15_sign"), digest) for _ in range(10))
    threads = [threading.Thread(target=client) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check("two clients' signatures with a kept key are all right", got == [want] * 20, len(got))


def main():
    svc = service()
    svc.start()
    try:
        run_same_signature(svc)
        run_recreate(svc)
        run_decrypt(svc)
        run_bounded(svc)
        run_concurrent(svc)
    finally:
        svc.stop()
        svc.remove()
    return summary("e2e_mbed_rsa")


if __name__ == "__main__":
    sys.exit(main())
