#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The figures behind each backend's cost column (the rows of
providerd/prov_mbed.c, prov_pkcs11.c and prov_tpm.c, which brokerd's fair
share charges through brokerd/broker_cost.c): the median time of one operation through the service, one client on a kept connection,
one request at a time, per provider (Mbed Crypto; SoftHSMv2 and swtpm when
installed) and key. Run it on an idle machine: it measures that machine.
Usage: cost.py TOP"""

import os
import statistics
import struct
import socket
import sys
import tempfile
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
sys.path.insert(0, os.path.join(TOP, "tests"))
import e2elib as eb  # noqa: E402
import e2e_ops as ops  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

A, KT = ops.A, ops.KT
APP = b"cost"


class Conn:
    """One kept connection of application APP."""

    def __init__(self, sock):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(300)
        self.s.connect(sock)

    def call(self, provider, op, msg):
        body = msg.SerializeToString()
        self.s.sendall(struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 1, provider, 1, 0, 0,
                                   eb.AUTH_DIRECT, len(body), len(APP), ops.OPS[op], 0, 0, 0)
                       + body + APP)
        fields, out = eb.read_response(self.s)
        return fields[13], out


def timed(conn, provider, op, msg, n):
    """Median milliseconds of n calls; each must succeed."""
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        st, _ = conn.call(provider, op, msg)
        times.append(1000 * (time.monotonic() - t0))
        if st != 0:
            raise RuntimeError("%s on provider %d: status %d" % (op, provider, st))
    return statistics.median(times)


def rsa_attrs(bits, usage, alg):
    return ops.attrs(KT(rsa_key_pair={}), bits, usage, alg)


def measure(conn, provider, label, rsa_import, rsa_bits, gen_bits):
    p256 = ops.attrs(ops.ecc_pair(), 256, ["sign_hash", "verify_hash"],
                     ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
    ecdsa = ops.sign_alg("ecdsa")
    gen = ops.gen_pb.Operation(key_name=label + "-p", attributes=p256)
    print("%s: generate P-256 %.2f ms, destroy %.2f ms" % ((label,) + timed_pair(conn, provider, gen, 10)))
    conn.call(provider, "generate", gen)
    print("%s: sign P-256 %.2f ms" % (label, timed(conn, provider, "sign_hash", ops.sign_pb.Operation(
        key_name=label + "-p", alg=ecdsa, hash=bytes(32)), 30)))
    if provider == 1:  # the only provider here that serves HashCompute
        big = ops.hash_pb.Operation(alg=A.SHA_256, input=bytes(512 * 1024))
        print("%s: SHA-256 of 512 KiB %.2f ms" % (label, timed(conn, provider, "hash", big, 10)))
    pkcs1 = ops.sign_alg("rsa_pkcs1v15_sign")
    crypt = A.AsymmetricEncryption(rsa_pkcs1v15_crypt=A.AsymmetricEncryption.RsaPkcs1v15Crypt())
    for bits in rsa_bits:
        name = "%s-r%d" % (label, bits)
        if rsa_import:
            priv = rsa.generate_private_key(65537, bits)
            der = priv.private_bytes(serialization.Encoding.DER,
                                     serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption())
            t0 = time.monotonic()
            st, _ = conn.call(provider, "import", ops.import_pb.Operation(key_name=name, attributes=rsa_attrs(
                bits, ["sign_hash", "verify_hash"], ops.alg_of(asymmetric_signature=pkcs1)), data=der))
            print("%s: import RSA-%d %.2f ms (once)" % (label, bits, 1000 * (time.monotonic() - t0)))
            st2, _ = conn.call(provider, "import", ops.import_pb.Operation(key_name=name + "c", attributes=rsa_attrs(
                bits, ["decrypt", "encrypt"], ops.alg_of(asymmetric_encryption=crypt)), data=der))
        else:
            st, _ = conn.call(provider, "generate", ops.gen_pb.Operation(key_name=name, attributes=rsa_attrs(
                bits, ["sign_hash", "verify_hash"], ops.alg_of(asymmetric_signature=pkcs1))))
            st2, _ = conn.call(provider, "generate", ops.gen_pb.Operation(key_name=name + "c", attributes=rsa_attrs(
                bits, ["decrypt", "encrypt"], ops.alg_of(asymmetric_encryption=crypt))))
        if st or st2:
            print("%s: RSA-%d keys: status %d %d" % (label, bits, st, st2))
            continue
        print("%s: sign RSA-%d %.2f ms" % (label, bits, timed(conn, provider, "sign_hash", ops.sign_pb.Operation(
            key_name=name, alg=pkcs1, hash=bytes(32)), 10)))
        st, out = conn.call(provider, "asym_encrypt", ops.asym_enc.Operation(key_name=name + "c", alg=crypt,
                                                                            plaintext=b"cost"))
        ct = ops.asym_enc.Result.FromString(out).ciphertext
        print("%s: decrypt RSA-%d %.2f ms" % (label, bits, timed(conn, provider, "asym_decrypt", ops.asym_dec.Operation(
            key_name=name + "c", alg=crypt, ciphertext=ct), 10)))
        print("%s: encrypt RSA-%d %.2f ms" % (label, bits, timed(conn, provider, "asym_encrypt", ops.asym_enc.Operation(
            key_name=name + "c", alg=crypt, plaintext=b"cost"), 10)))
    for bits, n in gen_bits:
        gen = ops.gen_pb.Operation(key_name=label + "-g", attributes=rsa_attrs(
            bits, ["sign_hash"], ops.alg_of(asymmetric_signature=pkcs1)))
        print("%s: generate RSA-%d %.0f ms, destroy %.1f ms" % ((label, bits) + timed_pair(conn, provider, gen, n)))


def timed_pair(conn, provider, gen, n):
    """Median milliseconds of a generation and of the destroy after it."""
    made, gone = [], []
    for _ in range(n):
        t0 = time.monotonic()
        st, _ = conn.call(provider, "generate", gen)
        t1 = time.monotonic()
        st2, _ = conn.call(provider, "destroy", ops.destroy_pb.Operation(key_name=gen.key_name))
        made.append(1000 * (t1 - t0))
        gone.append(1000 * (time.monotonic() - t1))
        if st or st2:
            raise RuntimeError("generate on provider %d: status %d %d" % (provider, st, st2))
    return statistics.median(made), statistics.median(gone)


def main():
    d = tempfile.mkdtemp(prefix="parsecd-cost.")
    os.chmod(d, 0o755)
    extra = softhsmlib.Token(d).provider_table() if softhsmlib.available() else ""
    tpm = None
    if swtpmlib.available():
        tpm = swtpmlib.Swtpm()
        tpm.start()
        extra += ('\n[[provider]]\nprovider_type = "Tpm"\nkey_info_manager = "sqlite-manager"\n'
                  'tcti = "%s"\n' % tpm.tcti)
    svc = eb.Service(directory=d, provider_extra=extra)
    svc.start()
    try:
        conn = Conn(svc.sock)
        print("load average before: %.2f" % os.getloadavg()[0])
        measure(conn, 1, "mbed", True, (1024, 2048, 3072, 4096), ((2048, 5), (3072, 3), (4096, 3)))
        if extra and softhsmlib.available():
            measure(conn, 2, "pkcs11", True, (1024, 2048, 3072, 4096), ((2048, 5), (3072, 3), (4096, 3)))
        if tpm is not None:
            measure(conn, 3, "tpm", False, (2048,), ((2048, 3),))
        print("load average after: %.2f" % os.getloadavg()[0])
    finally:
        svc.stop()
        svc.remove()
        if tpm is not None:
            tpm.stop()
            tpm.remove()


if __name__ == "__main__":
    main()
