#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end through a real parsecd: its extension opcodes for multipart operations and
key derivation (0x1000..0x104F, ext_mp.proto).

Known answers: FIPS 180 SHA examples fed across update boundaries, RFC 4231 HMAC, NIST
SP 800-38A AES-CBC and AES-CTR, AES-GCM (the GCM specification's test case 4, and nonces
of 1 to 300 bytes), AES-CCM (SP 800-38C C.1 to C.3, RFC 3610 #1; streamed, each update
answering whole blocks in the room PSA's size macros give, and beyond mbedtls's one-shot
limits against OpenSSL's) and ChaCha20-Poly1305 (RFC 8439 2.8.2) cut at odd places and
compared with the one-shot PsaAeadEncrypt of the same key, with the AEAD rules (key
policy, nonce, announced lengths, order, tag check), RFC 5869 HKDF (into bytes and into
a key). Hash suspend and resume: the PSA Crypto API's state format, its SHA-256 and
SHA-512 words checked against a pure-Python compression (sha2ref.py). Then the rules a
client would notice: ListOpcodes names the opcodes only to a client that says it knows
them; a step out of order, or on a handle of another
connection, is PsaErrorBadState; a closed connection's operations end in their worker
(its log counts them); an application holds at most 32 at once
(PsaErrorInsufficientMemory beyond); bad bodies get the right status; a worker that dies
takes its operations with it. A worker holds at most 16 MiB of the additional data its
GCM operations keep for later (PsaErrorInsufficientMemory beyond). The PKCS#11
provider (on SoftHSMv2) gives the same known answers for hash, HMAC (case 6: SoftHSMv2
takes no shorter HMAC-SHA-256 key) and AES-CBC/CTR, answers a clone NotSupported
(SoftHSMv2 saves no digest state) and multipart AEAD NotSupported, lists exactly what it
serves and ends a closed connection's sessions. The TPM provider (on swtpm) gives the
hash answers on TPM hash sequences, clone included, holds more at once than the TPM has
object slots, and lists the hash opcodes alone.

Usage: e2e_ext_mp.py TOPDIR
"""
import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

import subprocess  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402

import sha2ref  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402
import ext_mp_pb2 as ext  # noqa: E402
import list_opcodes_pb2 as list_opcodes_pb  # noqa: E402
import psa_aead_encrypt_pb2 as aead_enc_pb  # noqa: E402
import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_export_key_pb2 as export_pb  # noqa: E402
import psa_import_key_pb2 as import_pb  # noqa: E402
import psa_key_attributes_pb2 as attr_pb  # noqa: E402

A = alg_pb.Algorithm
KT = attr_pb.KeyType

OP = {
    "abort": 0x1000, "hash_setup": 0x1001, "hash_update": 0x1002, "hash_finish": 0x1003,
    "hash_verify": 0x1004, "hash_clone": 0x1005, "mac_setup": 0x1010, "mac_update": 0x1011,
    "mac_sign_finish": 0x1012, "mac_verify_finish": 0x1013, "cipher_setup": 0x1020,
    "cipher_generate_iv": 0x1021, "cipher_set_iv": 0x1022, "cipher_update": 0x1023,
    "cipher_finish": 0x1024, "aead_setup": 0x1030, "aead_set_lengths": 0x1031,
    "aead_generate_nonce": 0x1032, "aead_set_nonce": 0x1033, "aead_update_ad": 0x1034,
    "aead_update": 0x1035, "aead_finish": 0x1036, "aead_verify": 0x1037, "kdf_setup": 0x1040,
    "kdf_get_capacity": 0x1041, "kdf_set_capacity": 0x1042, "kdf_input_bytes": 0x1043,
    "kdf_input_key": 0x1044, "kdf_key_agreement": 0x1045, "kdf_output_bytes": 0x1046,
    "kdf_output_key": 0x1047, "hash_suspend": 0x1006, "hash_resume": 0x1007,
}
ST = {"ok": 0, "deserializing": 7, "not_permitted": 1133, "invalid_encoding": 16,
      "not_supported": 1134, "invalid_argument": 1135, "bad_state": 1137,
      "insufficient_memory": 1141, "insufficient_data": 1143, "invalid_signature": 1149}
# PSA Crypto API numbers (mbedtls 2.28's psa/crypto_values.h).
SHA_256, SHA_512 = 0x02000009, 0x0200000B
MD2, MD4, MD5, RIPEMD160, SHA_1 = 0x02000001, 0x02000002, 0x02000003, 0x02000004, 0x02000005
SHA_224, SHA_384, SHA3_256 = 0x02000008, 0x0200000A, 0x02000011
HMAC_SHA_256 = 0x03800009
CBC_NO_PADDING, CTR = 0x04404000, 0x04C01000
GCM, CCM, CHACHA20_POLY1305 = 0x05500200, 0x05500100, 0x05100500
AEAD_MIN_TAG_FLAG = 0x00008000


def aead_tag(alg, n):
    """PSA_ALG_AEAD_WITH_SHORTENED_TAG."""
    return (alg & ~0x003F0000) | (n << 16)
HKDF_SHA_256 = 0x08000109
TLS12_PRF_SHA_256, TLS12_PSK_TO_MS_SHA_256 = 0x08000209, 0x08000309
ECDH_HKDF_SHA_256 = 0x09020109
IN_SECRET, IN_LABEL, IN_SALT, IN_INFO, IN_SEED = 0x0101, 0x0201, 0x0202, 0x0203, 0x0204
FLAG_KEEP_ALIVE, FLAG_EXTENSIONS = 0x1, 0x2


class Conn:
    """One client connection kept open, as libparsec keeps its own."""

    def __init__(self, svc, app="app", flags=FLAG_KEEP_ALIVE | FLAG_EXTENSIONS, provider=1):
        self.app = app.encode()
        self.provider = provider
        self.flags = flags
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(60)
        self.s.connect(svc.sock)

    def raw(self, opcode, body, provider=None):
        provider = self.provider if provider is None else provider
        hdr = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, self.flags, provider, 1, 0,
                          0, eb.AUTH_DIRECT, len(body), len(self.app), opcode, 0, 0, 0)
        self.s.sendall(hdr + body + self.app)
        fields, out = eb.read_response(self.s)
        return (fields[13] if fields else None), out

    def op(self, name, **kw):
        """(status, Result or None)."""
        st, out = self.raw(OP[name], ext.Operation(**kw).SerializeToString())
        return st, (ext.Result.FromString(out) if st == 0 else None)

    def close(self):
        self.s.close()


def attrs(key_type, bits, usage, alg):
    at = attr_pb.KeyAttributes()
    at.key_type.CopyFrom(key_type)
    at.key_bits = bits
    for u in usage:
        setattr(at.key_policy.key_usage_flags, u, True)
    at.key_policy.key_algorithm.CopyFrom(alg)
    return at


def plain(name):
    t = KT()
    getattr(t, name).SetInParent()
    return t


def import_key(svc, name, key_type, bits, usage, alg, data, app="app", provider=1):
    op = import_pb.Operation(key_name=name, attributes=attrs(key_type, bits, usage, alg),
                             data=data)
    return eb.call(svc.sock, provider, 0x06, op.SerializeToString(), eb.AUTH_DIRECT, app.encode())[0]


def hmac_alg():
    a = A()
    a.mac.full_length.hmac.hash_alg = A.SHA_256
    return a


def cipher_alg(mode):
    a = A()
    a.cipher = mode
    return a


def hkdf_alg():
    a = A()
    a.key_derivation.hkdf.hash_alg = A.SHA_256
    return a


def hash_in_parts(c, alg, parts):
    st, r = c.op("hash_setup", alg=alg)
    if st != 0:
        return st, None
    for p in parts:
        st, _ = c.op("hash_update", handle=r.handle, input=p)
        if st != 0:
            return st, None
    st, out = c.op("hash_finish", handle=r.handle)
    return st, (out.output if st == 0 else None)


def run_hash(svc, provider=1, clone=True):
    c = Conn(svc, provider=provider)
    st, out = hash_in_parts(c, SHA_256, [b"a", b"", b"bc"])
    check("SHA-256(abc) over three updates (FIPS 180-2 B.1)", st == 0 and out == bytes.fromhex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), (st, out))
    msg = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    st, out = hash_in_parts(c, SHA_256, [msg[:1], msg[1:17], msg[17:55], msg[55:]])
    check("SHA-256 of the 448-bit message split at 1, 17, 55 (FIPS 180-2 B.2)",
          st == 0 and out == bytes.fromhex(
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"), (st, out))
    st, out = hash_in_parts(c, SHA_256, [b"a" * 100000] * 10)
    check("SHA-256 of a million 'a' in ten updates (FIPS 180-2 B.3)",
          st == 0 and out == bytes.fromhex(
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), (st, out))
    st, out = hash_in_parts(c, SHA_512, [b"ab", b"c"])
    check("SHA-512(abc) over two updates (FIPS 180-2 C.1)", st == 0 and out == bytes.fromhex(
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"), (st, out))

    # A clone goes on independently of its source.
    st, r = c.op("hash_setup", alg=SHA_256)
    c.op("hash_update", handle=r.handle, input=b"ab")
    st2, copy = c.op("hash_clone", handle=r.handle)
    if not clone:
        # SoftHSMv2 cannot save a digest's state (C_GetOperationState).
        check("clone on a token that cannot save a digest's state: NotSupported",
              st2 == ST["not_supported"], st2)
        st2, _ = c.op("hash_update", handle=r.handle, input=b"c")
        st3, out = c.op("hash_finish", handle=r.handle)
        check("...and its source goes on", st2 == 0 and st3 == 0 and out.output ==
              hashlib.sha256(b"abc").digest(), (st2, st3))
    else:
        run_hash_clone(c, r, st2, copy)
    run_hash_ends(c)
    c.close()


def run_hash_clone(c, r, st2, clone):
    check("clone answers a new handle", st2 == 0 and clone.handle not in (0, r.handle),
          (st2, clone))
    c.op("hash_update", handle=clone.handle, input=b"c")
    st_a, a = c.op("hash_finish", handle=clone.handle)
    c.op("hash_update", handle=r.handle, input=b"x")
    st_b, b = c.op("hash_finish", handle=r.handle)
    check("the clone finishes abc, the source abx", st_a == 0 and st_b == 0 and
          a.output == bytes.fromhex(
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") and
          b.output != a.output, (st_a, st_b))


def run_hash_ends(c):
    st, r = c.op("hash_setup", alg=SHA_256)
    c.op("hash_update", handle=r.handle, input=b"abc")
    st, _ = c.op("hash_verify", handle=r.handle, expected=bytes(32))
    check("hash verify against a wrong hash: InvalidSignature", st == ST["invalid_signature"], st)
    st, r = c.op("hash_setup", alg=SHA_256)
    c.op("hash_update", handle=r.handle, input=b"abc")
    st, _ = c.op("hash_verify", handle=r.handle, expected=bytes.fromhex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
    check("hash verify against the right hash", st == 0, st)
    st, r = c.op("hash_setup", alg=SHA_256)
    st, _ = c.op("hash_finish", handle=r.handle, output_size=31)
    st2, _ = c.op("hash_update", handle=r.handle, input=b"x")
    check("finish with room for 31 bytes of SHA-256: BufferTooSmall, and the operation ended",
          st == 1138 and st2 == ST["bad_state"], (st, st2))
    st, _ = c.op("hash_setup", alg=0x02000099)
    check("hash setup of an unknown hash: NotSupported", st == ST["not_supported"], st)


# The API's hash suspend state fields: (input-length bytes, hash-state bytes, block), and
# hashlib's name for a cross-check where OpenSSL still has the hash.
SUSPEND_FMT = {MD2: (1, 64, 16, None), MD4: (8, 16, 64, "md4"), MD5: (8, 16, 64, "md5"),
               RIPEMD160: (8, 20, 64, "ripemd160"), SHA_1: (8, 20, 64, "sha1"),
               SHA_224: (8, 32, 64, "sha224"), SHA_256: (8, 32, 64, "sha256"),
               SHA_384: (16, 64, 128, "sha384"), SHA_512: (16, 64, 128, "sha512")}
SUSPEND_AT = (0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 1000)
SUSPEND_MSG = bytes((i * 7 + 3) % 251 for i in range(1200))


def suspended(c, alg, data, room=None):
    """(status, state) of a hash of data (in two updates) suspended."""
    st, r = c.op("hash_setup", alg=alg)
    if st != 0:
        return st, None
    for part in (data[:len(data) // 3], data[len(data) // 3:]):
        c.op("hash_update", handle=r.handle, input=part)
    kw = {} if room is None else {"output_size": room}
    st, out = c.op("hash_suspend", handle=r.handle, **kw)
    return st, (out.output if st == 0 else None)


def resumed(c, state, rest):
    """(status, hash) of a hash resumed from state, fed rest, finished."""
    st, r = c.op("hash_resume", input=state)
    if st != 0:
        return st, None
    if rest:
        c.op("hash_update", handle=r.handle, input=rest)
    st, out = c.op("hash_finish", handle=r.handle)
    return st, (out.output if st == 0 else None)


def sha2_state(alg, data):
    """The state the API's format gives for data, from the pure-Python compression."""
    sha, lf = (sha2ref.SHA256, 8) if alg == SHA_256 else (sha2ref.SHA512, 16)
    words = sha.chain(data)
    left = len(data) % sha.block
    return (struct.pack(">I", alg) + len(data).to_bytes(lf, "big") +
            b"".join(w.to_bytes(sha.bits // 8, "big") for w in words) +
            data[len(data) - left:])


def one_shot(c, alg, data):
    st, out = hash_in_parts(c, alg, [data])
    return out if st == 0 else None


def run_hash_suspend(svc):
    """psa_hash_suspend and psa_hash_resume's state (the API's hash suspend state
    format): SHA-256 and SHA-512 states byte for byte as a pure-Python compression
    gives them, both ways; every hash with a format round trips at every length
    around a block's edges."""
    c = Conn(svc)
    exact, rounds, bad = [], [], []
    for alg in (SHA_256, SHA_512):
        for n in SUSPEND_AT:
            st, state = suspended(c, alg, SUSPEND_MSG[:n])
            want = sha2_state(alg, SUSPEND_MSG[:n])
            exact.append(st == 0 and state == want or (alg, n, st, state, want))
            # A state made apart from the service goes on there.
            st, out = resumed(c, want, SUSPEND_MSG[n:])
            h = getattr(hashlib, "sha256" if alg == SHA_256 else "sha512")(SUSPEND_MSG).digest()
            exact.append(st == 0 and out == h or (alg, n, st))
    check("SHA-256/512 suspend states at %d lengths equal the pure-Python compression's, "
          "and such a state resumes to the whole message's hash" % len(SUSPEND_AT),
          all(x is True for x in exact), [x for x in exact if x is not True][:3])
    for alg, (lf, sf, block, name) in SUSPEND_FMT.items():
        whole = one_shot(c, alg, SUSPEND_MSG)
        if name is not None and name in hashlib.algorithms_available:
            rounds.append(whole == hashlib.new(name, SUSPEND_MSG).digest() or (alg, "one-shot"))
        for n in SUSPEND_AT:
            room = 4 + lf + sf + block - 1  # PSA_HASH_SUSPEND_OUTPUT_SIZE
            st, state = suspended(c, alg, SUSPEND_MSG[:n], room)
            ok = st == 0 and len(state) == 4 + lf + sf + n % block
            ok = ok and state[:4] == struct.pack(">I", alg)
            ok = ok and int.from_bytes(state[4:4 + lf], "big") == (n % 16 if alg == MD2 else n)
            ok = ok and state[4 + lf + sf:] == SUSPEND_MSG[n - n % block:n]
            st2, out = resumed(c, state, SUSPEND_MSG[n:]) if ok else (None, None)
            rounds.append(ok and st2 == 0 and whole is not None and out == whole or
                          (hex(alg), n, st, st2))
    check("MD2, MD4, MD5, RIPEMD-160, SHA-1, SHA-224/256/384/512: suspend at %d lengths "
          "(fields as the API lays them out, in a buffer of PSA_HASH_SUSPEND_OUTPUT_SIZE), "
          "resume, finish: the one-shot hash" % len(SUSPEND_AT),
          all(x is True for x in rounds), [x for x in rounds if x is not True][:3])
    run_hash_suspend_bad(c)
    c.close()


def run_hash_suspend_bad(c):
    good = sha2_state(SHA_256, SUSPEND_MSG[:70])
    cases = [
        ("a MAC algorithm", ST["invalid_argument"], struct.pack(">I", HMAC_SHA_256) + good[4:]),
        ("SHA3-256 (the API gives it no format)", ST["not_supported"],
         struct.pack(">I", SHA3_256) + good[4:]),
        ("SHA-512's algorithm on SHA-256's fields", ST["invalid_argument"],
         struct.pack(">I", SHA_512) + good[4:]),
        ("one byte of unprocessed input too many", ST["invalid_argument"], good + b"x"),
        ("one byte too few", ST["invalid_argument"], good[:-1]),
        ("truncated inside the hash state", ST["invalid_argument"], good[:20]),
        ("three bytes", ST["invalid_argument"], good[:3]),
        ("empty", ST["invalid_argument"], b""),
        ("a length of 2^61 bytes (SHA-256 counts bits in 64)", ST["invalid_argument"],
         good[:4] + (1 << 61).to_bytes(8, "big") + good[12:44]),
        ("MD2 with 16 unprocessed bytes", ST["invalid_argument"],
         struct.pack(">IB", MD2, 16) + bytes(64 + 16)),
    ]
    got = [(what, c.op("hash_resume", input=state)[0], want) for what, want, state in cases]
    check("resume of a bad state: InvalidArgument (NotSupported for a hash without a format)",
          all(st == want for _, st, want in got), [g for g in got if g[1] != g[2]])
    st, r = c.op("hash_setup", alg=SHA_256)
    st, _ = c.op("hash_suspend", handle=r.handle, output_size=4 + 8 + 32 - 1)
    st2, _ = c.op("hash_update", handle=r.handle, input=b"x")
    check("suspend with one byte too little room: BufferTooSmall, and the operation ended",
          st == 1138 and st2 == ST["bad_state"], (st, st2))
    st, r = c.op("hash_setup", alg=SHA_256)
    c.op("hash_update", handle=r.handle, input=b"abc")
    st, out = c.op("hash_suspend", handle=r.handle)
    st2, _ = c.op("hash_update", handle=r.handle, input=b"x")
    check("a suspended operation is ended (PSA: inactive)", st == 0 and st2 == ST["bad_state"],
          (st, st2))


def run_hash_suspend_refused(svc, provider, label):
    """A token or a TPM cannot export a running digest's state: suspend and
    resume are NotSupported, refused before they reach the operation, which
    goes on (the PSA library aborts it, as the API wants of an error)."""
    c = Conn(svc, provider=provider)
    st, r = c.op("hash_setup", alg=SHA_256)
    c.op("hash_update", handle=r.handle, input=b"ab")
    st, _ = c.op("hash_suspend", handle=r.handle)
    c.op("hash_update", handle=r.handle, input=b"c")
    st2, out = c.op("hash_finish", handle=r.handle)
    st3, _ = c.op("hash_resume", input=sha2_state(SHA_256, b"abc"))
    check("%s: suspend NotSupported, the operation untouched; resume NotSupported" % label,
          st == ST["not_supported"] and st2 == 0 and out.output == hashlib.sha256(b"abc").digest()
          and st3 == ST["not_supported"], (st, st2, st3))
    c.close()


# RFC 4231: case 2 (a 4-byte key), case 6 (a 131-byte key, hashed first).
RFC4231_2 = (2, b"Jefe", b"what do ya want for nothing?",
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
RFC4231_6 = (6, b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")


def run_mac(svc, provider=1, case=RFC4231_2):
    usage = ["sign_message", "verify_message", "sign_hash", "verify_hash"]
    number, key, data, expect = case
    expect = bytes.fromhex(expect)
    check("import the RFC 4231 case %d key" % number, import_key(
        svc, "jefe", plain("hmac"), len(key) * 8, usage, A(mac=hmac_alg().mac), key,
        provider=provider) == 0)
    c = Conn(svc, provider=provider)
    st, r = c.op("mac_setup", key_name="jefe", alg=HMAC_SHA_256)
    for part in (data[:4], data[4:20], data[20:]):
        c.op("mac_update", handle=r.handle, input=part)
    st, out = c.op("mac_sign_finish", handle=r.handle)
    check("HMAC-SHA-256 over three updates (RFC 4231 case %d)" % number,
          st == 0 and out.output == expect, (st, out))
    st, r = c.op("mac_setup", key_name="jefe", alg=HMAC_SHA_256, reverse=True)
    c.op("mac_update", handle=r.handle, input=data)
    st, _ = c.op("mac_verify_finish", handle=r.handle, expected=expect)
    check("MAC verify of the right MAC", st == 0, st)
    st, r = c.op("mac_setup", key_name="jefe", alg=HMAC_SHA_256, reverse=True)
    c.op("mac_update", handle=r.handle, input=data)
    st, _ = c.op("mac_verify_finish", handle=r.handle, expected=expect[:-1] + b"\0")
    check("MAC verify of a wrong MAC: InvalidSignature", st == ST["invalid_signature"], st)
    st, _ = c.op("mac_setup", key_name="no-such-key", alg=HMAC_SHA_256)
    check("MAC setup on a missing key: DoesNotExist", st == 1140, st)
    st, r = c.op("mac_setup", key_name="jefe", alg=HMAC_SHA_256)
    st, _ = c.op("mac_verify_finish", handle=r.handle, expected=expect)
    check("verify-finish of a sign operation: BadState", st == ST["bad_state"], st)
    c.close()


SP800_KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
SP800_PLAIN = bytes.fromhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
CBC_IV = bytes(range(16))
CBC_CT = bytes.fromhex(
    "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
    "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7")
CTR_IV = bytes.fromhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
CTR_CT = bytes.fromhex(
    "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
    "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee")


def crypt_in_parts(c, key, alg, decrypt, iv, data, cuts):
    st, r = c.op("cipher_setup", key_name=key, alg=alg, reverse=decrypt)
    if st != 0:
        return st, None
    st, _ = c.op("cipher_set_iv", handle=r.handle, input=iv)
    out = b""
    edges = [0] + cuts + [len(data)]
    for a, b in zip(edges, edges[1:]):
        st, res = c.op("cipher_update", handle=r.handle, input=data[a:b])
        if st != 0:
            return st, None
        out += res.output
    st, res = c.op("cipher_finish", handle=r.handle)
    return st, (out + res.output if st == 0 else None)


def run_cipher(svc, provider=1, label="Mbed Crypto"):
    for name, mode in (("cbc", A.CBC_NO_PADDING), ("ctr", A.CTR)):
        check("import the SP 800-38A key for %s" % name, import_key(
            svc, "aes-" + name, plain("aes"), 128, ["encrypt", "decrypt"],
            cipher_alg(mode), SP800_KEY, provider=provider) == 0)
    c = Conn(svc, provider=provider)
    for name, alg, iv, ct in (("CBC", CBC_NO_PADDING, CBC_IV, CBC_CT), ("CTR", CTR, CTR_IV, CTR_CT)):
        key = "aes-" + name.lower()
        st, out = crypt_in_parts(c, key, alg, False, iv, SP800_PLAIN, [5, 25, 39])
        check("AES-128-%s encrypt in four uneven updates (SP 800-38A F.%s)" %
              (name, "2.1" if name == "CBC" else "5.1"), st == 0 and out == ct, (st, out))
        st, out = crypt_in_parts(c, key, alg, True, iv, ct, [16, 17])
        check("AES-128-%s decrypt in three updates" % name, st == 0 and out == SP800_PLAIN,
              (st, out))
    st, r = c.op("cipher_setup", key_name="aes-cbc", alg=CBC_NO_PADDING)
    st, _ = c.op("cipher_update", handle=r.handle, input=bytes(16))
    check("cipher update before an IV: BadState", st == ST["bad_state"], st)
    c.op("abort", handle=r.handle)
    st, r = c.op("cipher_setup", key_name="aes-cbc", alg=CBC_NO_PADDING)
    c.op("cipher_set_iv", handle=r.handle, input=CBC_IV)
    st, _ = c.op("cipher_update", handle=r.handle, input=SP800_PLAIN[:16], output_size=15)
    st2, _ = c.op("cipher_update", handle=r.handle, input=SP800_PLAIN[:16], output_size=16)
    check("a block into room for 15 bytes: BufferTooSmall, and the operation ended (as mbedtls)",
          st == 1138 and st2 == ST["bad_state"], (st, st2))
    st, r = c.op("cipher_setup", key_name="aes-cbc", alg=CBC_NO_PADDING)
    st, iv = c.op("cipher_generate_iv", handle=r.handle)
    check("generate IV gives 16 bytes", st == 0 and len(iv.output) == 16, (st, iv))
    st, _ = c.op("cipher_set_iv", handle=r.handle, input=bytes(16))
    check("an IV set after one was generated: BadState", st == ST["bad_state"], st)
    st, _ = c.op("abort", handle=r.handle)
    check("abort answers Success", st == 0, st)
    st, _ = c.op("cipher_update", handle=r.handle, input=bytes(16))
    check("a step after abort: BadState", st == ST["bad_state"], st)
    st, _ = c.op("abort", handle=r.handle)
    check("abort of an operation already gone answers Success", st == 0, st)
    st, _ = c.op("aead_setup", key_name="aes-cbc", alg=GCM)
    if provider in (1, 2):
        check("multipart AEAD with a CBC key on %s: NotPermitted (the key's policy)" % label,
              st == ST["not_permitted"], st)
    else:
        check("multipart AEAD on %s: NotSupported" % label,
              st == ST["not_supported"], st)
    c.close()


# The GCM specification's test case 4 (AES-128, 60-byte text, 20 bytes of AD).
GCM_KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308")
GCM_IV = bytes.fromhex("cafebabefacedbaddecaf888")
GCM_AD = bytes.fromhex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
GCM_PT = bytes.fromhex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
                       "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
GCM_CT = bytes.fromhex("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
                       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091")
GCM_TAG = bytes.fromhex("5bc94fbc3221a5db94fae95ae7121a47")
# NIST SP 800-38C C.1 and C.2: (nonce, AD, text, ciphertext and tag, tag length).
CCM_KEY = bytes(range(0x40, 0x50))
CCM_CASES = (
    (bytes(range(0x10, 0x17)), bytes(range(8)), bytes(range(0x20, 0x24)),
     bytes.fromhex("7162015b4dac255d"), 4),
    (bytes(range(0x10, 0x18)), bytes(range(16)), bytes(range(0x20, 0x30)),
     bytes.fromhex("d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd"), 6),
)
# RFC 8439 2.8.2.
CP_KEY = bytes(range(0x80, 0xA0))
CP_NONCE = bytes.fromhex("070000004041424344454647")
CP_AD = bytes.fromhex("50515253c0c1c2c3c4c5c6c7")
CP_PT = (b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip "
         b"for the future, sunscreen would be it.")
CP_TAG = bytes.fromhex("1ae10b594f09e26a7e902ecbd0600691")


def aead_policy(base, tag=None):
    a = A()
    names = {GCM: A.Aead.GCM, CCM: A.Aead.CCM, CHACHA20_POLY1305: A.Aead.CHACHA20_POLY1305}
    if tag is None:
        a.aead.aead_with_default_length_tag = names[base]
    else:
        a.aead.aead_with_shortened_tag.aead_alg = names[base]
        a.aead.aead_with_shortened_tag.tag_length = tag
    return a


def aead_oneshot(svc, key, base, tag, nonce, ad, pt, app="app", provider=1):
    """PsaAeadEncrypt of the same key: ciphertext and tag, or None."""
    alg = A.Aead()
    alg.CopyFrom(aead_policy(base, tag).aead)
    op = aead_enc_pb.Operation(key_name=key, alg=alg, nonce=nonce, additional_data=ad,
                               plaintext=pt)
    st, out = eb.call(svc.sock, provider, 0x11, op.SerializeToString(), eb.AUTH_DIRECT,
                      app.encode())
    return aead_enc_pb.Result.FromString(out).ciphertext if st == 0 else None


def aead_in_parts(c, key, alg, decrypt, nonce, ad, data, cuts, tag=None, lengths=False):
    """A whole AEAD operation, the AD in two and the text cut at cuts: (status, text, tag)."""
    st, r = c.op("aead_setup", key_name=key, alg=alg, reverse=decrypt)
    if st != 0:
        return st, None, None
    h = r.handle
    if lengths:
        st, _ = c.op("aead_set_lengths", handle=h, number=len(ad), text_length=len(data))
    st = st or c.op("aead_set_nonce", handle=h, input=nonce)[0]
    st = st or c.op("aead_update_ad", handle=h, input=ad[:3])[0]
    st = st or c.op("aead_update_ad", handle=h, input=ad[3:])[0]
    out = b""
    edges = [0] + [x for x in cuts if x < len(data)] + [len(data)]
    for a, b in zip(edges, edges[1:]):
        if st == 0:
            st, res = c.op("aead_update", handle=h, input=data[a:b])
            out += res.output if st == 0 else b""
    if st != 0:
        return st, None, None
    if decrypt:
        st, res = c.op("aead_verify", handle=h, expected=tag)
        return st, (out + res.output if st == 0 else None), None
    st, res = c.op("aead_finish", handle=h)
    return st, (out + res.output if st == 0 else None), (res.tag if st == 0 else None)


def run_aead_answers(svc, c):
    for cuts in ([1, 17, 33], [15, 16, 47], [31, 59]):
        st, ct, tag = aead_in_parts(c, "aes-gcm", GCM, False, GCM_IV, GCM_AD, GCM_PT, cuts)
        check("AES-128-GCM encrypt cut at %s (GCM spec test case 4)" % cuts,
              st == 0 and ct == GCM_CT and tag == GCM_TAG, (st, ct, tag))
        st, pt, _ = aead_in_parts(c, "aes-gcm", GCM, True, GCM_IV, GCM_AD, GCM_CT, cuts,
                                  GCM_TAG)
        check("AES-128-GCM verify cut at %s" % cuts, st == 0 and pt == GCM_PT, (st, pt))
    check("...the same as the one-shot PsaAeadEncrypt of the same key",
          aead_oneshot(svc, "aes-gcm", GCM, None, GCM_IV, GCM_AD, GCM_PT) == GCM_CT + GCM_TAG)
    for i, (nonce, ad, pt, want, tlen) in enumerate(CCM_CASES):
        key, alg = "aes-ccm-%d" % tlen, aead_tag(CCM, tlen)
        st, ct, tag = aead_in_parts(c, key, alg, False, nonce, ad, pt, [1, 3], lengths=True)
        check("AES-128-CCM encrypt in parts (SP 800-38C C.%d)" % (i + 1),
              st == 0 and ct + tag == want, (st, ct, tag))
        st, back, _ = aead_in_parts(c, key, alg, True, nonce, ad, want[:-tlen], [2],
                                    want[-tlen:], lengths=True)
        check("AES-128-CCM verify in parts (SP 800-38C C.%d)" % (i + 1),
              st == 0 and back == pt, (st, back))
        check("...the same as the one-shot PsaAeadEncrypt (C.%d)" % (i + 1),
              aead_oneshot(svc, key, CCM, tlen, nonce, ad, pt) == want)
    st, ct, tag = aead_in_parts(c, "chachapoly", CHACHA20_POLY1305, False, CP_NONCE, CP_AD,
                                CP_PT, [1, 64, 65, 100])
    check("ChaCha20-Poly1305 encrypt cut at 1, 64, 65, 100 (RFC 8439 2.8.2's tag)",
          st == 0 and tag == CP_TAG and
          ct + tag == aead_oneshot(svc, "chachapoly", CHACHA20_POLY1305, None, CP_NONCE,
                                   CP_AD, CP_PT), (st, tag))
    st, pt, _ = aead_in_parts(c, "chachapoly", CHACHA20_POLY1305, True, CP_NONCE, CP_AD,
                              ct or b"", [7], CP_TAG)
    check("ChaCha20-Poly1305 verify in parts", st == 0 and pt == CP_PT, st)


def run_aead_rules(svc, c):
    bad = bytearray(GCM_TAG)
    bad[15] ^= 1
    st, pt, _ = aead_in_parts(c, "aes-gcm", GCM, True, GCM_IV, GCM_AD, GCM_CT, [20], bytes(bad))
    check("GCM verify of a changed tag: InvalidSignature", st == ST["invalid_signature"], st)
    st, pt, _ = aead_in_parts(c, "aes-gcm", GCM, True, GCM_IV, GCM_AD, GCM_CT, [20],
                              GCM_TAG[:12])
    check("GCM verify of a shortened tag: InvalidSignature", st == ST["invalid_signature"], st)
    nonce, ad, _, want, tlen = CCM_CASES[0]
    st, _, _ = aead_in_parts(c, "aes-ccm-4", aead_tag(CCM, 4), True, nonce, ad, want[:4],
                             [], want[4:-1] + b"\0", lengths=True)
    check("CCM verify of a changed tag: InvalidSignature", st == ST["invalid_signature"], st)
    st, _, _ = aead_in_parts(c, "aes-ccm-4", aead_tag(CCM, 4), False, nonce, ad, b"ab", [])
    check("CCM without set_lengths: BadState", st == ST["bad_state"], st)
    st, _, _ = aead_in_parts(c, "aes-gcm", aead_tag(GCM, 12), False, GCM_IV, b"", b"", [])
    check("GCM with a 12-byte tag on a key for the 16-byte one only: NotPermitted",
          st == ST["not_permitted"], st)
    st, _, _ = aead_in_parts(c, "aes-gcm-enc", GCM, True, GCM_IV, b"", b"", [], GCM_TAG)
    check("decrypt setup with a key that may only encrypt: NotPermitted",
          st == ST["not_permitted"], st)
    st, r = c.op("aead_setup", key_name="chachapoly", alg=CHACHA20_POLY1305)
    st2, _ = c.op("aead_set_nonce", handle=r.handle, input=bytes(8))
    st3, _ = c.op("aead_update", handle=r.handle, input=b"x")
    check("ChaCha20-Poly1305 with an 8-byte nonce: InvalidArgument, and the operation ended",
          st == 0 and st2 == ST["invalid_argument"] and st3 == ST["bad_state"], (st, st2, st3))
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    st2, _ = c.op("aead_update_ad", handle=r.handle, input=b"x")
    check("additional data before a nonce: BadState", st == 0 and st2 == ST["bad_state"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    st2, n = c.op("aead_generate_nonce", handle=r.handle)
    st3, _ = c.op("aead_set_nonce", handle=r.handle, input=bytes(12))
    check("generate nonce gives 12 bytes; setting another after it: BadState",
          st2 == 0 and len(n.output) == 12 and st3 == ST["bad_state"], (st2, st3))
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM, reverse=True)
    st2, _ = c.op("aead_generate_nonce", handle=r.handle)
    check("generate nonce when decrypting: BadState", st2 == ST["bad_state"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_lengths", handle=r.handle, number=2, text_length=4)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    st2, _ = c.op("aead_update_ad", handle=r.handle, input=b"abc")
    check("more additional data than set_lengths said: InvalidArgument",
          st2 == ST["invalid_argument"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_lengths", handle=r.handle, number=0, text_length=4)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    st2, _ = c.op("aead_update", handle=r.handle, input=b"abc")
    st3, _ = c.op("aead_finish", handle=r.handle)
    check("less text than set_lengths said, at finish: InvalidArgument",
          st2 == 0 and st3 == ST["invalid_argument"], (st2, st3))
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    st2, _ = c.op("aead_update", handle=r.handle, input=GCM_PT, output_size=47)
    check("an update into too little room: BufferTooSmall", st2 == 1138, st2)
    st, r = c.op("aead_setup", key_name="aes-ccm-4", alg=aead_tag(CCM, 4))
    c.op("aead_set_nonce", handle=r.handle, input=bytes(13))
    st2, _ = c.op("aead_set_lengths", handle=r.handle, number=0, text_length=65536)
    check("CCM with a 13-byte nonce and 64 KiB of text (its 2-byte length field): "
          "InvalidArgument", st2 == ST["invalid_argument"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=CCM)
    check("a GCM key for CCM: NotPermitted", st == ST["not_permitted"], st)
    run_aead_ends(c)


def aead_ccm_ready(c, text):
    """A CCM decryption of C.1's lengths, its AD and text given: the handle."""
    nonce, ad, _, want, _ = CCM_CASES[0]
    st, r = c.op("aead_setup", key_name="aes-ccm-4", alg=aead_tag(CCM, 4), reverse=True)
    c.op("aead_set_lengths", handle=r.handle, number=len(ad), text_length=4)
    c.op("aead_set_nonce", handle=r.handle, input=nonce)
    c.op("aead_update_ad", handle=r.handle, input=ad)
    c.op("aead_update", handle=r.handle, input=text)
    return r.handle


def run_aead_ends(c):
    want = CCM_CASES[0][3]
    h = aead_ccm_ready(c, want[:3])
    st, _ = c.op("aead_verify", handle=h, expected=want[4:])
    check("CCM verify with less text than announced: InvalidArgument",
          st == ST["invalid_argument"], st)
    h = aead_ccm_ready(c, want[:4])
    st, _ = c.op("aead_verify", handle=h, expected=want[4:7])
    check("CCM verify with a 3-byte tag for a 4-byte one: InvalidSignature",
          st == ST["invalid_signature"], st)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    st2, _ = c.op("aead_update_ad", handle=r.handle, input=bytes(256 * 1024 + 1))
    check("GCM additional data beyond the 256 KiB held for it: NotSupported",
          st2 == ST["not_supported"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    st2, f = c.op("aead_finish", handle=r.handle)
    st3, _ = c.op("aead_update", handle=r.handle, input=b"x")
    check("GCM of nothing: its tag only; a step after the finish: BadState",
          st2 == 0 and f.output == b"" and len(f.tag) == 16 and st3 == ST["bad_state"],
          (st2, st3))


def ccm_stream(c, key, alg, decrypt, nonce, ad, data, cuts, tag=None):
    """A CCM operation with the PSA size macros' rooms exactly (an update
    PSA_AEAD_UPDATE_OUTPUT_SIZE, a round-up to blocks; the finish or verify
    PSA_AEAD_FINISH_OUTPUT_SIZE, one block): (status, text, tag, per-update
    output lengths, whether each was the whole blocks so far)."""
    st, r = c.op("aead_setup", key_name=key, alg=alg, reverse=decrypt)
    if st != 0:
        return st, None, None, [], False
    h = r.handle
    st = c.op("aead_set_lengths", handle=h, number=len(ad), text_length=len(data))[0]
    st = st or c.op("aead_set_nonce", handle=h, input=nonce)[0]
    for a, b in ((0, len(ad) // 3), (len(ad) // 3, len(ad))):
        st = st or c.op("aead_update_ad", handle=h, input=ad[a:b])[0]
    out, lens, whole = b"", [], True
    edges = [0] + [x for x in cuts if 0 < x < len(data)] + [len(data)]
    for a, b in zip(edges, edges[1:]):
        if st == 0:
            st, res = c.op("aead_update", handle=h, input=data[a:b],
                           output_size=(b - a + 15) // 16 * 16)
            got = res.output if st == 0 else b""
            lens.append(len(got))
            whole = whole and len(got) == b // 16 * 16 - len(out)
            out += got
    if st != 0:
        return st, None, None, lens, whole
    if decrypt:
        st, res = c.op("aead_verify", handle=h, expected=tag, output_size=16)
        return st, (out + res.output if st == 0 else None), None, lens, whole
    st, res = c.op("aead_finish", handle=h, output_size=16)
    return (st, (out + res.output if st == 0 else None), (res.tag if st == 0 else None), lens,
            whole)


# SP 800-38C C.3 and RFC 3610 packet vector 1: (key, nonce, AD, text, output, tag length).
CCM_MORE = (
    ("aes-ccm-8", bytes(range(0x10, 0x1C)), bytes(range(20)), bytes(range(0x20, 0x38)),
     "e3b201a9f5b71a7a9b1ceaeccd97e70b6176aad9a4428aa5484392fbc1b09951", 8),
    ("rfc3610", bytes.fromhex("00000003020100a0a1a2a3a4a5"), bytes(range(8)),
     bytes(range(8, 0x1F)), "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0", 8),
)


def run_aead_ccm_stream(svc, c):
    """CCM streamed: known answers cut anywhere, in rooms of exactly the PSA size macros,
    the same as mbedtls's one-shot PsaAeadEncrypt at every nonce length, text and
    additional data around block edges, and as OpenSSL's (Python's cryptography) beyond
    what mbedtls's one-shot CCM takes (70000 bytes of additional data, 300000 of text)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESCCM
    ok = []
    for key, nonce, ad, pt, want, tlen in CCM_MORE + tuple(
            ("aes-ccm-%d" % t, n, a, p, w.hex(), t) for n, a, p, w, t in CCM_CASES):
        want = bytes.fromhex(want)
        alg = aead_tag(CCM, tlen)
        for cuts in ([], list(range(1, len(pt))), [5, 16, 17], [15, 31]):
            st, ct, tag, lens, whole = ccm_stream(c, key, alg, False, nonce, ad, pt, cuts)
            ok.append(st == 0 and ct + tag == want and whole or (key, cuts, st, lens))
            st, back, _, lens, whole = ccm_stream(c, key, alg, True, nonce, ad, want[:-tlen],
                                                  cuts, want[-tlen:])
            ok.append(st == 0 and back == pt and whole or (key, cuts, "verify", st, lens))
    check("CCM known answers (SP 800-38C C.1-C.3, RFC 3610 #1) at every cut, each update "
          "giving the whole blocks so far in PSA_AEAD_UPDATE_OUTPUT_SIZE, the rest in "
          "PSA_AEAD_FINISH_OUTPUT_SIZE", all(x is True for x in ok),
          [x for x in ok if x is not True][:3])
    nonce, ad, pt, want, tlen = CCM_MORE[0][1:]
    want = bytes.fromhex(want)
    st, r = c.op("aead_setup", key_name="aes-ccm-8", alg=aead_tag(CCM, 8), reverse=True)
    c.op("aead_set_lengths", handle=r.handle, number=len(ad), text_length=len(pt))
    c.op("aead_set_nonce", handle=r.handle, input=nonce)
    c.op("aead_update_ad", handle=r.handle, input=ad)
    st, res = c.op("aead_update", handle=r.handle, input=want[:17], output_size=32)
    st3, res2 = c.op("aead_update", handle=r.handle, input=want[17:-8], output_size=16)
    st2, fin = c.op("aead_verify", handle=r.handle, expected=b"\0" * 8)
    check("CCM decryption streams its plaintext before the tag (PSA permits it); a wrong "
          "tag is InvalidSignature, with no last bytes", st == 0 and res.output == pt[:16]
          and st3 == 0 and res2.output == b"" and st2 == ST["invalid_signature"],
          (st, st3, st2))
    diff = []
    for nlen in (7, 8, 10, 12, 13):
        for tlen, key in ((4, "aes-ccm-4"), (6, "aes-ccm-6"), (8, "aes-ccm-8")):
            for plen in (0, 1, 15, 16, 17, 100):
                for alen in (0, 1, 15, 16, 40):
                    nonce, ad = bytes(range(nlen)), bytes(range(100, 100 + alen))
                    pt = bytes(range(200, 200 + plen)) if plen < 56 else bytes(plen)
                    st, ct, tag, _, whole = ccm_stream(c, key, aead_tag(CCM, tlen), False,
                                                       nonce, ad, pt, [7, 16, 33])
                    if st != 0 or not whole or ct + tag != aead_oneshot(
                            svc, key, CCM, tlen, nonce, ad, pt):
                        diff.append((nlen, tlen, plen, alen, st))
    check("CCM streamed = mbedtls's one-shot PsaAeadEncrypt: nonces of 7 to 13 bytes, tags "
          "of 4, 6, 8, texts of 0 to 100 bytes, additional data of 0 to 40", not diff, diff[:3])
    ad = bytes(i % 251 for i in range(70000))
    pt = bytes(i % 253 for i in range(300000))
    want = AESCCM(CCM_KEY, 8).encrypt(bytes(range(7)), pt, ad)
    st, ct, tag, _, whole = ccm_stream(c, "aes-ccm-8", aead_tag(CCM, 8), False, bytes(range(7)),
                                       ad, pt, [65536, 100001, 200000])
    check("CCM of 70000 bytes of additional data and 300000 of text (beyond mbedtls's one-shot "
          "CCM) = OpenSSL's", st == 0 and whole and ct + tag == want, st)
    st, back, _, _, whole = ccm_stream(c, "aes-ccm-8", aead_tag(CCM, 8), True, bytes(range(7)),
                                       ad, want[:-8], [99999], want[-8:])
    check("...and back", st == 0 and whole and back == pt, st)


def run_aead_gcm_nonces(svc, c):
    """GCM nonces of any length from one byte, as mbedtls's one-shot psa_aead_encrypt
    takes them (12 bytes is GCM's own; others go through GHASH)."""
    got = []
    for n in (1, 7, 12, 13, 16, 64, 300):
        nonce = bytes(range(n)) if n < 256 else bytes(n)
        st, ct, tag = aead_in_parts(c, "aes-gcm", GCM, False, nonce, GCM_AD, GCM_PT, [16, 33])
        st2, back, _ = aead_in_parts(c, "aes-gcm", GCM, True, nonce, GCM_AD, ct or b"", [5],
                                     tag)
        one = aead_oneshot(svc, "aes-gcm", GCM, None, nonce, GCM_AD, GCM_PT)
        got.append(st == 0 and one is not None and ct + tag == one and st2 == 0 and
                   back == GCM_PT or (n, st, st2, one is None))
    check("GCM with nonces of 1, 7, 12, 13, 16, 64 and 300 bytes: the one-shot "
          "PsaAeadEncrypt's answer, and back", all(x is True for x in got),
          [x for x in got if x is not True])
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    st2, _ = c.op("aead_set_nonce", handle=r.handle, input=b"")
    check("GCM with an empty nonce: InvalidArgument", st2 == ST["invalid_argument"], st2)


def run_aead(svc):
    gcm_alg = aead_policy(GCM)
    for name, key, kt, bits, usage, alg in (
            ("aes-gcm", GCM_KEY, "aes", 128, ["encrypt", "decrypt"], gcm_alg),
            ("aes-gcm-enc", GCM_KEY, "aes", 128, ["encrypt"], gcm_alg),
            ("aes-ccm-4", CCM_KEY, "aes", 128, ["encrypt", "decrypt"], aead_policy(CCM, 4)),
            ("aes-ccm-6", CCM_KEY, "aes", 128, ["encrypt", "decrypt"], aead_policy(CCM, 6)),
            ("aes-ccm-8", CCM_KEY, "aes", 128, ["encrypt", "decrypt"], aead_policy(CCM, 8)),
            ("rfc3610", bytes(range(0xC0, 0xD0)), "aes", 128, ["encrypt", "decrypt"],
             aead_policy(CCM, 8)),
            ("chachapoly", CP_KEY, "chacha20", 256, ["encrypt", "decrypt"],
             aead_policy(CHACHA20_POLY1305))):
        check("import AEAD key %s" % name, import_key(svc, name, plain(kt), bits, usage, alg,
                                                      key) == 0)
    c = Conn(svc)
    run_aead_answers(svc, c)
    run_aead_ccm_stream(svc, c)
    run_aead_gcm_nonces(svc, c)
    run_aead_rules(svc, c)
    c.close()


# RFC 5869 A.1
IKM = b"\x0b" * 22
SALT = bytes(range(13))
INFO = bytes(range(0xF0, 0xFA))
OKM = bytes.fromhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                    "34007208d5b887185865")


def hkdf_ready(c, secret_key=None):
    st, r = c.op("kdf_setup", alg=HKDF_SHA_256)
    if st != 0:
        return st, None
    c.op("kdf_input_bytes", handle=r.handle, step=IN_SALT, input=SALT)
    if secret_key:
        st, _ = c.op("kdf_input_key", handle=r.handle, step=IN_SECRET, key_name=secret_key)
    else:
        st, _ = c.op("kdf_input_bytes", handle=r.handle, step=IN_SECRET, input=IKM)
    if st != 0:
        return st, None
    st, _ = c.op("kdf_input_bytes", handle=r.handle, step=IN_INFO, input=INFO)
    return st, r.handle


def run_kdf(svc):
    check("import the RFC 5869 A.1 secret as a derivation key", import_key(
        svc, "ikm", plain("derive"), 22 * 8, ["derive"], hkdf_alg(), IKM) == 0)
    c = Conn(svc)
    for label, key in (("key", "ikm"), ("bytes", None)):
        st, h = hkdf_ready(c, key)
        st_c, cap = c.op("kdf_get_capacity", handle=h)
        check("HKDF-SHA-256 capacity 255 hashes (secret as %s)" % label,
              st == 0 and st_c == 0 and cap.capacity == 255 * 32, (st, st_c, cap))
        st1, a = c.op("kdf_output_bytes", handle=h, number=10)
        st2, b = c.op("kdf_output_bytes", handle=h, number=32)
        check("HKDF-SHA-256 in two outputs (RFC 5869 A.1, secret as %s)" % label,
              st1 == 0 and st2 == 0 and a.output + b.output == OKM, (st1, st2))
        st, cap = c.op("kdf_get_capacity", handle=h)
        check("capacity goes down by what was read", st == 0 and cap.capacity == 255 * 32 - 42,
              (st, cap))
        c.op("abort", handle=h)

    st, h = hkdf_ready(c, "ikm")
    st, _ = c.op("kdf_set_capacity", handle=h, number=8)
    st, _ = c.op("kdf_output_bytes", handle=h, number=9)
    check("output beyond the capacity set: InsufficientData", st == ST["insufficient_data"], st)
    c.op("abort", handle=h)

    st, r = c.op("kdf_setup", alg=HKDF_SHA_256)
    st, _ = c.op("kdf_output_bytes", handle=r.handle, number=16)
    check("derivation output before its inputs: BadState", st == ST["bad_state"], st)
    c.op("abort", handle=r.handle)

    # Into a key: the same bytes, through the key store's two-phase creation.
    st, h = hkdf_ready(c, "ikm")
    out_attrs = attrs(plain("aes"), 128, ["export", "encrypt"], cipher_alg(A.CTR))
    st, _ = c.op("kdf_output_key", handle=h, key_name="derived", attributes=out_attrs)
    check("output key from HKDF", st == 0, st)
    st, out = eb.call(svc.sock, 1, 0x0C, export_pb.Operation(key_name="derived")
                      .SerializeToString(), eb.AUTH_DIRECT, b"app")
    check("the derived key is the first 16 bytes of the OKM", st == 0 and
          export_pb.Result.FromString(out).data == OKM[:16], st)
    st, _ = c.op("kdf_output_key", handle=h, key_name="derived", attributes=out_attrs)
    check("output key under a name in use: AlreadyExists", st == 1139, st)
    c.op("abort", handle=h)
    c.close()

    # A volatile derived key lives as long as the connection that made it.
    c = Conn(svc)
    st, h = hkdf_ready(c, "ikm")
    st, _ = c.op("kdf_output_key", handle=h, key_name="vol-derived", attributes=out_attrs,
                 is_volatile=True)
    check("a volatile output key", st == 0, st)
    export = export_pb.Operation(key_name="vol-derived").SerializeToString()
    st, out = eb.call(svc.sock, 1, 0x0C, export, eb.AUTH_DIRECT, b"app")
    check("the volatile derived key is the first 16 bytes of the OKM", st == 0 and
          export_pb.Result.FromString(out).data == OKM[:16], st)
    c.close()
    for _ in range(100):
        st, _ = eb.call(svc.sock, 1, 0x0C, export, eb.AUTH_DIRECT, b"app")
        if st != 0:
            break
        time.sleep(0.1)
    check("...and is destroyed when its connection closes", st == 1140, st)


def p_sha256(secret, seed, length):
    """RFC 5246 section 5's P_SHA256, written here from the RFC."""
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, hashlib.sha256).digest()
        out += hmac.new(secret, a + seed, hashlib.sha256).digest()
    return out[:length]


def derive(c, alg, inputs, length):
    """A derivation of alg with inputs [(step, bytes or ("key", name) or ("agree", name, peer))]."""
    st, r = c.op("kdf_setup", alg=alg)
    if st != 0:
        return st, None
    for step, value in inputs:
        if isinstance(value, bytes):
            st, _ = c.op("kdf_input_bytes", handle=r.handle, step=step, input=value)
        elif value[0] == "key":
            st, _ = c.op("kdf_input_key", handle=r.handle, step=step, key_name=value[1])
        else:
            st, _ = c.op("kdf_key_agreement", handle=r.handle, step=step, key_name=value[1],
                         expected=value[2])
        if st != 0:
            c.op("abort", handle=r.handle)
            return st, None
    st, out = c.op("kdf_output_bytes", handle=r.handle, number=length)
    c.op("abort", handle=r.handle)
    return st, (out.output if st == 0 else None)


def run_kdf_tls_ecdh(svc):
    c = Conn(svc)
    secret, seed, label = bytes(range(1, 33)), b"client and server randoms", b"key expansion"
    st, out = derive(c, TLS12_PRF_SHA_256, [(IN_SEED, seed), (IN_SECRET, secret),
                                            (IN_LABEL, label)], 104)
    check("TLS 1.2 PRF (SHA-256) equals RFC 5246's P_SHA256", st == 0 and
          out == p_sha256(secret, label + seed, 104), (st, out))
    psk = b"a pre-shared key"
    pms = struct.pack(">H", len(psk)) + bytes(len(psk)) + struct.pack(">H", len(psk)) + psk
    st, out = derive(c, TLS12_PSK_TO_MS_SHA_256, [(IN_SEED, seed), (IN_SECRET, psk),
                                                  (IN_LABEL, b"master secret")], 48)
    check("TLS 1.2 PSK to master secret equals RFC 4279's premaster through the PRF",
          st == 0 and out == p_sha256(pms, b"master secret" + seed, 48), (st, out))

    # ECDH P-256 into HKDF: the shared secret never leaves the service.
    ours = ec.generate_private_key(ec.SECP256R1())
    peer = ec.generate_private_key(ec.SECP256R1())
    ka = A()
    ka.key_agreement.with_key_derivation.ka_alg = A.KeyAgreement.ECDH
    ka.key_agreement.with_key_derivation.kdf_alg.hkdf.hash_alg = A.SHA_256
    pair = KT()
    pair.ecc_key_pair.curve_family = KT.SECP_R1
    st = import_key(svc, "ecdh", pair, 256, ["derive"], ka,
                    ours.private_numbers().private_value.to_bytes(32, "big"))
    check("import a P-256 key for ECDH into HKDF", st == 0, st)
    peer_pub = peer.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint)
    st, out = derive(c, ECDH_HKDF_SHA_256, [(IN_SALT, b"salt"),
                                            (IN_SECRET, ("agree", "ecdh", peer_pub)),
                                            (IN_INFO, b"info")], 40)
    shared = peer.exchange(ec.ECDH(), ours.public_key())
    want = HKDF(hashes.SHA256(), 40, b"salt", b"info").derive(shared)
    check("ECDH P-256 into HKDF-SHA-256 equals OpenSSL's ECDH and HKDF", st == 0 and out == want,
          (st, out))
    st, out = derive(c, ECDH_HKDF_SHA_256, [(IN_SALT, b"salt"),
                                            (IN_SECRET, ("agree", "ecdh", b"\x04" + bytes(64)))],
                     16)
    check("key agreement with a point off the curve: InvalidArgument",
          st == ST["invalid_argument"], st)
    c.close()


def run_client_library(svc):
    """The same operations through libparsec's calls (tests/ext_mp_client)."""
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock)
    proc = subprocess.run([os.path.join(eb.TOP, "tests", "ext_mp_client")], env=env,
                          capture_output=True, text=True, timeout=120)
    got = {}
    for line in proc.stdout.splitlines():
        name, st, out = line.split(" ", 2)
        got[name] = (int(st), out)
    ctr = Cipher(algorithms.AES(SP800_KEY), modes.CTR(CTR_IV)).encryptor()
    want = {
        "hash_setup": (0, "-"), "hash_clone": (0, "-"),
        "hash_abc": (0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        "hash_small_buffer": (1138, "-"), "hash_after_finish": (ST["bad_state"], "-"),
        "abort_gone": (0, "-"), "mac_import": (0, "-"),
        "mac_sign": (0, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        "mac_verify": (0, "-"), "cipher_import": (0, "-"),
        "cipher_ctr": (0, (ctr.update(bytes(range(64))) + ctr.finalize()).hex()),
        "aead_setup": (ST["not_permitted"], "-"), "kdf_import": (0, "-"),
        "kdf_capacity": (0, str(255 * 32)), "kdf_hkdf": (0, OKM.hex()),
        "kdf_output_key": (0, "-"), "kdf_derived_key": (0, OKM[:16].hex()),
    }
    check("libparsec's extension calls ran", proc.returncode == 0, proc.stderr[-2000:])
    for name, expect in want.items():
        check("libparsec: %s" % name, got.get(name) == expect, (got.get(name), expect))


def run_listing(svc):
    def opcodes(flags):
        c = Conn(svc, flags=flags)
        st, out = c.raw(0x09, list_opcodes_pb.Operation(provider_id=1).SerializeToString(), 0)
        c.close()
        return set(list_opcodes_pb.Result.FromString(out).opcodes) if st == 0 else None

    plain_list = opcodes(FLAG_KEEP_ALIVE)
    ext_list = opcodes(FLAG_KEEP_ALIVE | FLAG_EXTENSIONS)
    check("ListOpcodes without the extensions flag names none of them", plain_list is not None
          and not any(o >= 0x1000 for o in plain_list), plain_list)
    check("ListOpcodes with the flag names every served one, multipart AEAD too",
          ext_list is not None and set(OP.values()) <= ext_list and plain_list <= ext_list,
          ext_list)
    # Served all the same without the flag.
    c = Conn(svc, flags=FLAG_KEEP_ALIVE)
    st, r = c.op("hash_setup", alg=SHA_256)
    check("served without the flag", st == 0 and r.handle != 0, st)
    c.close()


def run_connections(svc):
    a, b = Conn(svc), Conn(svc)
    st, r = a.op("hash_setup", alg=SHA_256)
    st_b, _ = b.op("hash_update", handle=r.handle, input=b"x")
    check("a handle on another connection: BadState", st_b == ST["bad_state"], st_b)
    st_b, _ = b.op("abort", handle=r.handle)
    st_a, _ = a.op("hash_update", handle=r.handle, input=b"abc")
    st_f, f = a.op("hash_finish", handle=r.handle)
    check("...and it neither aborted nor touched the owner's", st_b == 0 and st_a == 0 and
          st_f == 0 and f.output == bytes.fromhex(
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
          (st_b, st_a, st_f))
    st, _ = b.op("hash_update", handle=0, input=b"x")
    check("handle 0: BadState", st == ST["bad_state"], st)
    a.close()
    b.close()

    # Closing frees: the workers' own count of what they hold, in their log.
    time.sleep(0.3)
    before = svc.log().count("multipart operations dropped")
    c = Conn(svc)
    made = 0
    for alg in (SHA_256, SHA_512, SHA_256):
        made += c.op("hash_setup", alg=alg)[0] == 0
    st, r = c.op("kdf_setup", alg=HKDF_SHA_256)
    made += st == 0
    c.close()
    log = svc.wait_log("multipart operations dropped", before + 1)
    time.sleep(0.5)
    lines = re.findall(r"provider-mbed\[(\d+)\]: info: prov_multi_drop: connection \d+ "
                       r"closed: (\d+) multipart operations dropped, (\d+) live",
                       svc.log())[before:]
    check("a closed connection's %d operations end in their workers, none left live" % made,
          made == 4 and sum(int(d) for _, d, _ in lines) == 4 and
          all(live == "0" for _, _, live in lines), lines)

    # A connection that closes with its answer (no keep-alive) keeps nothing either.
    before = svc.log().count("multipart operations dropped")
    c = Conn(svc, flags=FLAG_EXTENSIONS)
    st, r = c.op("hash_setup", alg=SHA_256)
    c.close()
    svc.wait_log("multipart operations dropped", before + 1)
    time.sleep(0.3)
    lines = re.findall(r"closed: (\d+) multipart operations dropped, (\d+) live",
                       svc.log())[before:]
    check("a setup on a closing connection is dropped with it", st == 0 and
          sum(int(d) for d, _ in lines) == 1 and all(live == "0" for _, live in lines),
          (st, lines))


def run_bound(svc):
    c = Conn(svc, app="bounded")
    handles = []
    for i in range(32):
        st, r = c.op("hash_setup", alg=SHA_256)
        if st != 0:
            break
        handles.append(r.handle)
    st, _ = c.op("hash_setup", alg=SHA_256)
    check("32 operations per application, the 33rd: InsufficientMemory",
          len(handles) == 32 and st == ST["insufficient_memory"], (len(handles), st))
    other = Conn(svc, app="other")
    st2, _ = other.op("hash_setup", alg=SHA_256)
    check("another application is not bound by it", st2 == 0, st2)
    other.close()
    second = Conn(svc, app="bounded")
    st, _ = second.op("kdf_setup", alg=HKDF_SHA_256)
    check("the bound holds over the application's connections", st == ST["insufficient_memory"],
          st)
    c.op("abort", handle=handles[0])
    st, _ = second.op("kdf_setup", alg=HKDF_SHA_256)
    check("an abort makes room", st == 0, st)
    c.close()
    time.sleep(0.5)
    ok = sum(second.op("hash_setup", alg=SHA_256)[0] == 0 for _ in range(31))
    check("a closed connection's operations no longer count", ok == 31, ok)
    second.close()


def run_aead_held(svc):
    """Six applications, each with 32 GCM operations holding 256 KiB of additional data
    (kept until the first text): a worker holds at most 16 MiB (about 64 such operations,
    their nonces counted too), the rest answered InsufficientMemory, no worker dies."""
    conns, got = [], []
    restarts = svc.log().count("is serving again")
    for i in range(6):
        app = "held-%d" % i
        import_key(svc, "gcm", plain("aes"), 128, ["encrypt"], aead_policy(GCM), GCM_KEY,
                   app=app)
        c = Conn(svc, app=app)
        conns.append(c)
        for _ in range(32):
            st, r = c.op("aead_setup", key_name="gcm", alg=GCM)
            if st == 0:
                c.op("aead_set_nonce", handle=r.handle, input=bytes(12))
                st, _ = c.op("aead_update_ad", handle=r.handle, input=bytes(256 * 1024))
            got.append(st)
    held = got.count(0)
    check("192 GCM operations holding 256 KiB: at most 64 held per worker, the rest "
          "InsufficientMemory", 60 <= held <= 128 and
          got.count(ST["insufficient_memory"]) == 192 - held, (held, set(got)))
    print("# %d of 192 GCM operations held" % held)
    check("...and no worker died of it", svc.log().count("is serving again") == restarts and
          "was killed" not in svc.log(), restarts)
    for c in conns:
        c.close()
    time.sleep(0.5)
    c = Conn(svc, app="held-0")
    st, ct, tag = aead_in_parts(c, "gcm", GCM, False, bytes(12), bytes(256 * 1024), b"abc",
                                [1])
    check("once they closed, a GCM operation with 256 KiB of additional data is held again",
          st == 0 and ct + tag == aead_oneshot(svc, "gcm", GCM, None, bytes(12),
                                               bytes(256 * 1024), b"abc", app="held-0"), st)
    c.close()


def run_bad_bodies(svc):
    c = Conn(svc)
    st, _ = c.raw(OP["hash_setup"], b"\xff\xff\xff")
    check("a body that is no Operation: DeserializingBodyFailed", st == ST["deserializing"], st)
    st, _ = c.raw(OP["mac_setup"], ext.Operation(key_name="a\0b", alg=HMAC_SHA_256)
                  .SerializeToString())
    check("a key name with a NUL byte: InvalidArgument", st == ST["invalid_argument"], st)
    st, _ = c.op("kdf_output_key", handle=1, key_name="k")
    check("output key without attributes: InvalidEncoding", st == ST["invalid_encoding"], st)
    st, _ = c.raw(OP["hash_setup"], ext.Operation(alg=SHA_256).SerializeToString(), provider=0)
    check("to the core provider: NotSupported", st == ST["not_supported"], st)
    st, r = c.op("hash_setup", alg=SHA_256)
    check("the connection still serves", st == 0, st)
    c.close()
    # As any opcode the protocol lacks (upstream then closes the connection).
    c = Conn(svc)
    st, _ = c.raw(0x104F, b"")
    check("an unassigned opcode of the range: OpcodeDoesNotExist", st == 9, st)
    c.close()


def run_worker_death(svc):
    c = Conn(svc)
    handles = []
    for _ in range(4):
        st, r = c.op("hash_setup", alg=SHA_256)
        handles.append(r.handle if st == 0 else 0)
    # Both workers die in turn, whichever holds the operations.
    ok = eb.restart_worker(svc, "parsec-provider-mbed") and \
        eb.restart_worker(svc, "parsec-provider-mbed")
    statuses = [c.op("hash_update", handle=h, input=b"x")[0] for h in handles]
    check("after their worker died, the operations answer BadState",
          ok and statuses == [ST["bad_state"]] * 4, (ok, statuses))
    st, _ = c.op("abort", handle=handles[0])
    check("abort of a lost operation answers Success", st == 0, st)
    st, _ = c.op("hash_setup", alg=SHA_256)
    check("new setups work after the restart", st == 0, st)
    c.close()


def run_idle(svc):
    """A connection holding an operation is not closed for idleness (keep_alive_timeout 1 s)."""
    holder, idle = Conn(svc), Conn(svc)
    st, r = holder.op("hash_setup", alg=SHA_256)
    idle.op("kdf_setup", alg=0x02000009)  # refused (not a derivation): holds nothing
    time.sleep(2.5)
    try:
        st_h, _ = holder.op("hash_update", handle=r.handle, input=b"abc")
    except OSError:
        st_h = None
    check("a connection holding an operation outlives keep_alive_timeout", st == 0 and st_h == 0,
          (st, st_h))
    try:
        st_i, _ = idle.op("hash_setup", alg=SHA_256)
    except OSError:
        st_i = None
    check("...and one holding none is closed", st_i is None, st_i)
    holder.close()
    idle.close()


def run_pkcs11_listing(svc):
    """What the token serves, and only that: no clone (SoftHSMv2 cannot save a
    digest's state), no AEAD decryption, no key derivation."""
    c = Conn(svc, provider=2)
    st, out = c.raw(0x09, list_opcodes_pb.Operation(provider_id=2).SerializeToString(), 0)
    listed = set(list_opcodes_pb.Result.FromString(out).opcodes) if st == 0 else set()
    served = {v for k, v in OP.items()
              if k.split("_")[0] in ("abort", "hash", "mac", "cipher", "aead")}
    served -= {OP["hash_clone"], OP["hash_suspend"], OP["hash_resume"]}
    check("PKCS#11 lists the multipart hash, MAC, cipher and AEAD opcodes, and no other",
          listed & set(OP.values()) == served, sorted(listed & set(OP.values())))
    st_k, _ = c.op("kdf_setup", alg=HKDF_SHA_256)
    st_a, _ = c.op("aead_setup", key_name="aes-gcm", alg=GCM, reverse=True)
    check("PKCS#11 answers key derivation and AEAD decryption setups NotSupported",
          st_k == ST["not_supported"] and st_a == ST["not_supported"], (st_k, st_a))
    c.close()


def aead_updates(c, h, parts):
    """Each part through aead_update: the outputs, or None after a failure."""
    outs = []
    for part in parts:
        st, res = c.op("aead_update", handle=h, input=part)
        if st != 0:
            return None
        outs.append(res.output)
    return outs


def run_pkcs11_aead(svc):
    """Multipart AES-GCM encryption on the token: the text streamed (each update gives
    its own length back, the finish the tag alone), the additional data held until the
    first update, the same answers as the one-shot operation and the known vectors."""
    gcm12 = aead_tag(GCM, 12)
    for name, alg in (("aes-gcm", aead_policy(GCM)), ("aes-gcm-12", aead_policy(GCM, 12))):
        check("PKCS#11: import AES-GCM key %s" % name, import_key(
            svc, name, plain("aes"), 128, ["encrypt", "decrypt"], alg, GCM_KEY,
            provider=2) == 0)
    c = Conn(svc, provider=2)
    for cuts in ([1, 17, 33], [15, 16, 47], [60]):
        st, ct, tag = aead_in_parts(c, "aes-gcm", GCM, False, GCM_IV, GCM_AD, GCM_PT, cuts)
        check("PKCS#11: AES-128-GCM encrypt cut at %s (GCM spec test case 4)" % cuts,
              st == 0 and ct == GCM_CT and tag == GCM_TAG, (st, ct, tag))
    st, r = c.op("aead_setup", key_name="aes-gcm-12", alg=gcm12)
    h = r.handle if st == 0 else 0
    c.op("aead_set_lengths", handle=h, number=len(GCM_AD), text_length=len(GCM_PT))
    c.op("aead_set_nonce", handle=h, input=GCM_IV)
    c.op("aead_update_ad", handle=h, input=GCM_AD)
    outs = aead_updates(c, h, [GCM_PT[:5], GCM_PT[5:21], GCM_PT[21:]])
    st2, f = c.op("aead_finish", handle=h)
    check("PKCS#11: each update gives its own length of ciphertext, the finish no text",
          outs is not None and [len(o) for o in outs] == [5, 16, len(GCM_PT) - 21] and
          st2 == 0 and f.output == b"", (outs, st2))
    check("...and a 12-byte tag: the first 12 of the full tag, as the one-shot gives",
          st2 == 0 and b"".join(outs) == GCM_CT and f.tag == GCM_TAG[:12] and
          aead_oneshot(svc, "aes-gcm-12", GCM, 12, GCM_IV, GCM_AD, GCM_PT, provider=2) ==
          GCM_CT + GCM_TAG[:12], (st2, f))
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    st2, n = c.op("aead_generate_nonce", handle=r.handle)
    outs = aead_updates(c, r.handle, [b"parsecd"])
    st3, f = c.op("aead_finish", handle=r.handle)
    nonce = n.output if st2 == 0 else b""
    check("PKCS#11: a generated 12-byte nonce, and what the one-shot makes with it",
          st3 == 0 and len(nonce) == 12 and b"".join(outs or []) + f.tag ==
          aead_oneshot(svc, "aes-gcm", GCM, None, nonce, b"", b"parsecd", provider=2),
          (st2, st3, nonce))
    run_pkcs11_aead_rules(svc, c)
    c.close()


def run_pkcs11_aead_rules(svc, c):
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    st2, _ = c.op("aead_update_ad", handle=r.handle, input=b"ad")
    check("PKCS#11: additional data before the nonce: BadState", st2 == ST["bad_state"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    c.op("aead_update", handle=r.handle, input=b"text")
    st2, _ = c.op("aead_update_ad", handle=r.handle, input=b"late")
    check("PKCS#11: additional data after the text: BadState", st2 == ST["bad_state"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_lengths", handle=r.handle, number=2, text_length=10)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    c.op("aead_update_ad", handle=r.handle, input=b"ad")
    c.op("aead_update", handle=r.handle, input=b"short")
    st2, _ = c.op("aead_finish", handle=r.handle)
    check("PKCS#11: a finish short of the lengths set: InvalidArgument",
          st2 == ST["invalid_argument"], st2)
    st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
    c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
    st2, f = c.op("aead_finish", handle=r.handle)
    check("PKCS#11: GCM of nothing gives its tag only, as the one-shot",
          st2 == 0 and f.output == b"" and f.tag == aead_oneshot(
              svc, "aes-gcm", GCM, None, GCM_IV, b"", b"", provider=2), st2)
    st, _ = c.op("aead_setup", key_name="aes-gcm", alg=CCM)
    check("PKCS#11: a CCM setup on a GCM key: NotPermitted", st == ST["not_permitted"], st)


def drops_on_close(svc, provider, worker, setups):
    """Runs setups(conn) on a connection, closes it and reads the worker's log:
    (operations made, the (dropped, live) counts it logged)."""
    time.sleep(0.3)
    before = svc.log().count("multipart operations dropped")
    c = Conn(svc, provider=provider)
    made = setups(c)
    c.close()
    svc.wait_log("multipart operations dropped", before + 1)
    time.sleep(0.5)
    lines = re.findall(r"%s\[\d+\]: info: prov_multi_drop: connection \d+ "
                       r"closed: (\d+) multipart operations dropped, (\d+) live" % worker,
                       svc.log())[before:]
    return made, lines


def run_pkcs11_drop(svc):
    """A closed connection's operations end: their sessions closed, none live."""
    def setups(c):
        made = sum(c.op("hash_setup", alg=SHA_256)[0] == 0 for _ in range(3))
        st, r = c.op("mac_setup", key_name="jefe", alg=HMAC_SHA_256)
        made += st == 0
        st, r = c.op("cipher_setup", key_name="aes-ctr", alg=CTR)
        c.op("cipher_set_iv", handle=r.handle, input=CTR_IV)
        made += st == 0
        # An AEAD encryption holding additional data that the token has not taken yet.
        st, r = c.op("aead_setup", key_name="aes-gcm", alg=GCM)
        c.op("aead_set_nonce", handle=r.handle, input=GCM_IV)
        c.op("aead_update_ad", handle=r.handle, input=GCM_AD)
        return made + (st == 0)

    made, lines = drops_on_close(svc, 2, "provider-pkcs11", setups)
    check("PKCS#11: a closed connection's %d operations end, none left live" % made,
          made == 6 and sum(int(d) for d, _ in lines) == 6 and
          all(live == "0" for _, live in lines), lines)


ECB_CT = bytes.fromhex(  # SP 800-38A F.1.1
    "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"
    "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4")
ECB_NO_PADDING, CBC_PKCS7 = 0x04404400, 0x04404100


def run_pkcs11_more(svc):
    """What only the token's side shows: its HMAC key floor, ECB, PKCS#7 padding."""
    check("import a 31-byte HMAC key", import_key(
        svc, "short", plain("hmac"), 31 * 8, ["sign_message"], A(mac=hmac_alg().mac),
        b"k" * 31, provider=2) == 0)
    c = Conn(svc, provider=2)
    st, _ = c.op("mac_setup", key_name="short", alg=HMAC_SHA_256)
    check("HMAC-SHA-256 with a key shorter than SoftHSMv2 takes (32 bytes): NotSupported",
          st == ST["not_supported"], st)
    for name, mode in (("ecb", A.ECB_NO_PADDING), ("pkcs7", A.CBC_PKCS7)):
        check("import an AES key for %s" % name, import_key(
            svc, "aes-" + name, plain("aes"), 128, ["encrypt", "decrypt"], cipher_alg(mode),
            SP800_KEY, provider=2) == 0)
    st, r = c.op("cipher_setup", key_name="aes-ecb", alg=ECB_NO_PADDING)
    out = b""
    for part in (SP800_PLAIN[:7], SP800_PLAIN[7:40], SP800_PLAIN[40:]):
        st2, res = c.op("cipher_update", handle=r.handle, input=part)
        out += res.output if st2 == 0 else b""
    st3, res = c.op("cipher_finish", handle=r.handle)
    check("AES-128-ECB encrypt in three uneven updates, no IV (SP 800-38A F.1.1)",
          st == 0 and st3 == 0 and out + res.output == ECB_CT, (st, st3, out))
    pad = Cipher(algorithms.AES(SP800_KEY), modes.CBC(CBC_IV)).encryptor()
    msg = SP800_PLAIN[:20]
    want = pad.update(msg + bytes([12] * 12)) + pad.finalize()
    st, out = crypt_in_parts(c, "aes-pkcs7", CBC_PKCS7, False, CBC_IV, msg, [3])
    check("AES-128-CBC with PKCS#7 padding: 20 bytes give the two padded blocks",
          st == 0 and out == want, (st, out))
    st, out = crypt_in_parts(c, "aes-pkcs7", CBC_PKCS7, True, CBC_IV, want, [16])
    check("...and decrypt back to the 20 bytes", st == 0 and out == msg, (st, out))
    st, out = crypt_in_parts(c, "aes-pkcs7", CBC_PKCS7, True, CBC_IV, b"", [0])
    check("a padded decryption of nothing (two empty updates): InvalidArgument, as mbedtls",
          st == ST["invalid_argument"], (st, out))
    st, _ = crypt_in_parts(c, "aes-pkcs7", CBC_PKCS7, True, CBC_IV, CBC_CT[:32], [])
    check("a decryption whose last block is not PKCS#7 padding: InvalidPadding",
          st == 1150, st)
    c.close()


def run_tpm_hash(svc):
    """TPM hash sequences: more at once than the TPM has object slots (each is
    parked as a saved context between steps), an exact listing, and a closed
    connection's operations ended."""
    c = Conn(svc, provider=3)
    handles = [c.op("hash_setup", alg=SHA_256)[1] for _ in range(6)]
    ok = all(r is not None for r in handles)
    for i, r in enumerate(handles if ok else []):
        ok = ok and c.op("hash_update", handle=r.handle, input=b"part %d" % i)[0] == 0
    outs = [c.op("hash_finish", handle=r.handle) for r in (handles if ok else [])]
    check("TPM: six hash sequences at once (swtpm has three object slots), each its own digest",
          ok and all(st == 0 and out.output == hashlib.sha256(b"part %d" % i).digest()
                     for i, (st, out) in enumerate(outs)), outs)
    st, out = c.raw(0x09, list_opcodes_pb.Operation(provider_id=3).SerializeToString(), 0)
    listed = set(list_opcodes_pb.Result.FromString(out).opcodes) if st == 0 else set()
    served = {v for k, v in OP.items() if k.split("_")[0] in ("abort", "hash")}
    served -= {OP["hash_suspend"], OP["hash_resume"]}
    check("TPM lists the multipart hash opcodes, and no other",
          listed & set(OP.values()) == served, sorted(listed & set(OP.values())))
    st_m, _ = c.op("mac_setup", key_name="none", alg=HMAC_SHA_256)
    st_k, _ = c.op("kdf_setup", alg=HKDF_SHA_256)
    check("TPM answers MAC and key derivation setups NotSupported",
          st_m == ST["not_supported"] and st_k == ST["not_supported"], (st_m, st_k))
    c.close()
    made, lines = drops_on_close(svc, 3, "provider-tpm", lambda c: sum(
        c.op("hash_setup", alg=SHA_256)[0] == 0 for _ in range(3)))
    check("TPM: a closed connection's %d sequences end, none left live" % made,
          made == 3 and sum(int(d) for d, _ in lines) == 3 and
          all(live == "0" for _, live in lines), lines)


def run_tpm(svc):
    try:
        svc.start()
        run_hash(svc, provider=3)
        run_tpm_hash(svc)
        run_hash_suspend_refused(svc, 3, "TPM")
    finally:
        svc.stop()
        svc.remove()


def run_pkcs11(svc):
    """The same known answers as on Mbed Crypto, where the token can."""
    try:
        svc.start()
        run_hash(svc, provider=2, clone=False)
        # SoftHSMv2 refuses an HMAC-SHA-256 key shorter than 32 bytes (case 2's is 4).
        run_mac(svc, provider=2, case=RFC4231_6)
        run_cipher(svc, provider=2, label="PKCS#11")
        run_pkcs11_more(svc)
        run_pkcs11_aead(svc)
        run_pkcs11_listing(svc)
        run_pkcs11_drop(svc)
        run_hash_suspend_refused(svc, 2, "PKCS#11")
    finally:
        svc.stop()
        svc.remove()


def other_providers():
    if softhsmlib.available():
        svc = eb.Service()
        token = softhsmlib.Token(svc.dir)
        run_pkcs11(eb.Service(directory=svc.dir, provider_extra=token.provider_table()))
    else:
        print("# SoftHSMv2 missing: the PKCS#11 provider is not tested")
    if swtpmlib.available():
        with swtpmlib.Swtpm() as tpm:
            run_tpm(eb.Service(provider_extra='\n[[provider]]\nprovider_type = "Tpm"\n'
                                       'key_info_manager = "sqlite-manager"\ntcti = "%s"\n'
                                       % tpm.tcti))
    else:
        print("# swtpm missing: the TPM provider is not tested")


def main():
    svc = eb.Service(privsep_extra="keep_alive_timeout = 1000")
    svc.start()
    try:
        run_hash(svc)
        run_hash_suspend(svc)
        run_mac(svc)
        run_cipher(svc)
        run_aead(svc)
        run_kdf(svc)
        run_kdf_tls_ecdh(svc)
        run_client_library(svc)
        run_listing(svc)
        run_connections(svc)
        run_bound(svc)
        run_aead_held(svc)
        run_bad_bodies(svc)
        run_idle(svc)
        run_worker_death(svc)
    finally:
        svc.stop()
        svc.remove()
    other_providers()
    return summary("e2e_ext_mp")


if __name__ == "__main__":
    sys.exit(main())
