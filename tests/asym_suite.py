#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The operation tests every key-holding provider must pass, run against one
provider id: key pairs made in the service, their signatures and ciphertexts
checked by OpenSSL (pyca/cryptography) and the other way round, imports,
exports, ECDH, random, AES where the provider offers it, and misuse answered
with PSA's status. e2e_pkcs11.py and e2e_tpm.py run it on their providers and
on the software provider alike."""
import hashlib
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import e2e_ops as ops
from e2elib import check

import list_opcodes_pb2 as list_opcodes_pb
import psa_aead_decrypt_pb2 as aead_dec
import psa_aead_encrypt_pb2 as aead_enc
import psa_asymmetric_decrypt_pb2 as asym_dec
import psa_asymmetric_encrypt_pb2 as asym_enc
import psa_cipher_decrypt_pb2 as cipher_dec
import psa_cipher_encrypt_pb2 as cipher_enc
import psa_destroy_key_pb2 as destroy_pb
import psa_export_key_pb2 as export_pb
import psa_export_public_key_pb2 as export_pub_pb
import psa_generate_key_pb2 as gen_pb
import psa_generate_random_pb2 as random_pb
import psa_import_key_pb2 as import_pb
import psa_raw_key_agreement_pb2 as ecdh_pb
import psa_sign_hash_pb2 as sign_pb
import psa_sign_message_pb2 as sign_msg_pb
import psa_verify_hash_pb2 as verify_pb
import psa_verify_message_pb2 as verify_msg_pb

A, KT, ST = ops.A, ops.KT, ops.ST
ops.OPS.setdefault("generate_random", 0x0D)
HASHES = {A.SHA_256: (hashes.SHA256(), hashlib.sha256), A.SHA_384: (hashes.SHA384(), hashlib.sha384)}
CURVES = {256: ec.SECP256R1(), 384: ec.SECP384R1()}


class Runner:
    def __init__(self, svc, provider, app):
        self.svc, self.provider, self.app = svc, provider, app
        self.tag = "provider %d: " % provider

    def call(self, op, msg):
        return ops.call(self.svc, op, msg, app=self.app, provider=self.provider)

    def check(self, name, ok, detail=""):
        check(self.tag + name, ok, detail)

    def generate(self, name, at):
        return self.call("generate", gen_pb.Operation(key_name=name, attributes=at))[0]

    def public(self, name):
        st, out = self.call("export_public", export_pub_pb.Operation(key_name=name))
        return export_pub_pb.Result.FromString(out).data if st == 0 else None

    def destroy(self, name):
        return self.call("destroy", destroy_pb.Operation(key_name=name))[0]

    def sign_hash(self, name, alg, digest):
        st, out = self.call("sign_hash", sign_pb.Operation(key_name=name, alg=alg, hash=digest))
        return st, sign_pb.Result.FromString(out).signature if st == 0 else None

    def verify_hash(self, name, alg, digest, sig):
        return self.call("verify_hash", verify_pb.Operation(key_name=name, alg=alg, hash=digest,
                                                            signature=sig))[0]


def ecdsa_der(raw):
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def ec_public(bits, point):
    return ec.EllipticCurvePublicKey.from_encoded_point(CURVES[bits], point)


def opcodes(svc, provider):
    st, out = ops.call(svc, "list_opcodes", list_opcodes_pb.Operation(provider_id=provider), provider=0)
    return set(list_opcodes_pb.Result.FromString(out).opcodes) if st == 0 else set()


def run_ecdsa(r):
    for bits, h in ((256, A.SHA_256), (384, A.SHA_384)):
        name = "ec%d" % bits
        alg = ops.sign_alg("ecdsa", h)
        at = ops.attrs(ops.ecc_pair(), bits, ["sign_hash", "verify_hash", "sign_message",
                                              "verify_message"], ops.alg_of(asymmetric_signature=alg))
        r.check("generate ECC P-%d" % bits, r.generate(name, at) == 0)
        point = r.public(name)
        r.check("P-%d public key is an uncompressed point" % bits,
                point is not None and len(point) == 1 + 2 * ((bits + 7) // 8) and point[0] == 4, point)
        pub = ec_public(bits, point)
        oh, hf = HASHES[h]
        digest = hf(b"parsecd on a device").digest()
        st, sig = r.sign_hash(name, alg, digest)
        ok = st == 0 and len(sig) == 2 * ((bits + 7) // 8)
        if ok:
            try:
                pub.verify(ecdsa_der(sig), b"parsecd on a device", ec.ECDSA(oh))
            except Exception as e:  # noqa: BLE001
                ok = False
                st = e
        r.check("ECDSA P-%d signature verifies in OpenSSL" % bits, ok, st)
        r.check("ECDSA P-%d signature verifies in the service" % bits,
                sig is not None and r.verify_hash(name, alg, digest, sig) == 0)
        bad = bytes([sig[0] ^ 1]) + sig[1:] if sig else b"x"
        r.check("a tampered ECDSA signature is InvalidSignature",
                r.verify_hash(name, alg, digest, bad) == ST["invalid_signature"])
        st, out = r.call("sign_message", sign_msg_pb.Operation(key_name=name, alg=alg, message=b"m" * 3000))
        ok = st == 0
        if ok:
            try:
                pub.verify(ecdsa_der(sign_msg_pb.Result.FromString(out).signature), b"m" * 3000,
                           ec.ECDSA(oh))
            except Exception:  # noqa: BLE001
                ok = False
        r.check("ECDSA P-%d sign_message verifies in OpenSSL" % bits, ok, st)
        # OpenSSL signs, the service verifies the message.
        der = ec.generate_private_key(CURVES[bits])
        st = r.call("verify_message", verify_msg_pb.Operation(
            key_name=name, alg=alg, message=b"other", signature=bytes(2 * ((bits + 7) // 8))))[0]
        r.check("a zero signature on a message is InvalidSignature", st == ST["invalid_signature"], st)
        del der
        st, _ = r.sign_hash(name, alg, digest[:-1])
        r.check("a hash of the wrong length is InvalidArgument", st == ST["invalid_argument"], st)
    st, _ = r.sign_hash("ec256", ops.sign_alg("ecdsa", A.SHA_384), bytes(48))
    r.check("an algorithm outside the key's policy is NotPermitted", st == ST["not_permitted"], st)


def run_rsa(r):
    for kind in ("rsa_pkcs1v15_sign", "rsa_pss"):
        name = "rsa-" + kind
        alg = ops.sign_alg(kind)
        at = ops.attrs(KT(rsa_key_pair={}), 2048, ["sign_hash", "verify_hash", "sign_message"],
                       ops.alg_of(asymmetric_signature=alg))
        r.check("generate RSA 2048 for %s" % kind, r.generate(name, at) == 0)
        der = r.public(name)
        ok = der is not None
        pub = serialization.load_der_public_key(
            b"0\x82\x01\x220\r\x06\t*\x86H\x86\xf7\r\x01\x01\x01\x05\x00\x03\x82\x01\x0f\x00" + der) \
            if ok and len(der) == 270 else None
        r.check("RSA public key is a 270-byte RSAPublicKey", pub is not None, der and len(der))
        pad = padding.PKCS1v15() if kind == "rsa_pkcs1v15_sign" else \
            padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        digest = hashlib.sha256(b"rsa via the service").digest()
        st, sig = r.sign_hash(name, alg, digest)
        ok = st == 0 and pub is not None
        if ok:
            try:
                pub.verify(sig, b"rsa via the service", pad, hashes.SHA256())
            except Exception:  # noqa: BLE001
                ok = False
        r.check("%s signature verifies in OpenSSL" % kind, ok, st)
        r.check("%s signature verifies in the service" % kind,
                sig is not None and r.verify_hash(name, alg, digest, sig) == 0)
        if sig:
            st = r.verify_hash(name, alg, digest, sig[:-1] + bytes([sig[-1] ^ 1]))
            r.check("%s: a tampered signature is InvalidSignature" % kind, st == ST["invalid_signature"], st)
        st, out = r.call("sign_message", sign_msg_pb.Operation(key_name=name, alg=alg, message=b"msg"))
        ok = st == 0 and pub is not None
        if ok:
            try:
                pub.verify(sign_msg_pb.Result.FromString(out).signature, b"msg", pad, hashes.SHA256())
            except Exception:  # noqa: BLE001
                ok = False
        r.check("%s sign_message verifies in OpenSSL" % kind, ok, st)

    for kind, oaep in (("pkcs1v15", False), ("oaep", True)):
        name = "rsa-crypt-" + kind
        alg = A.AsymmetricEncryption()
        if oaep:
            alg.rsa_oaep.hash_alg = A.SHA_256
        else:
            alg.rsa_pkcs1v15_crypt.SetInParent()
        at = ops.attrs(KT(rsa_key_pair={}), 2048, ["encrypt", "decrypt"],
                       ops.alg_of(asymmetric_encryption=alg))
        r.check("generate RSA 2048 for %s encryption" % kind, r.generate(name, at) == 0)
        der = r.public(name)
        pub = serialization.load_der_public_key(
            b"0\x82\x01\x220\r\x06\t*\x86H\x86\xf7\r\x01\x01\x01\x05\x00\x03\x82\x01\x0f\x00" + der) \
            if der and len(der) == 270 else None
        pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None) \
            if oaep else padding.PKCS1v15()
        ct = pub.encrypt(b"secret for the device", pad) if pub else b""
        st, out = r.call("asym_decrypt", asym_dec.Operation(key_name=name, alg=alg, ciphertext=ct))
        r.check("%s: OpenSSL encrypts, the service decrypts" % kind,
                st == 0 and asym_dec.Result.FromString(out).plaintext == b"secret for the device", st)
        st, out = r.call("asym_encrypt", asym_enc.Operation(key_name=name, alg=alg, plaintext=b"round"))
        ct2 = asym_enc.Result.FromString(out).ciphertext if st == 0 else b""
        st2, out2 = r.call("asym_decrypt", asym_dec.Operation(key_name=name, alg=alg, ciphertext=ct2))
        r.check("%s: the service encrypts and decrypts" % kind, st == 0 and len(ct2) == 256 and st2 == 0
                and asym_dec.Result.FromString(out2).plaintext == b"round", (st, st2))
        st, _ = r.call("asym_decrypt", asym_dec.Operation(key_name=name, alg=alg, ciphertext=bytes(256)))
        r.check("%s: a ciphertext of zeros fails with a PSA error" % kind,
                st in (ST["invalid_argument"], 1150), st)


def run_import(r):
    priv = ec.generate_private_key(ec.SECP256R1())
    point = priv.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    alg = ops.sign_alg("ecdsa")
    at = ops.attrs(KT(ecc_public_key={"curve_family": KT.SECP_R1}), 256, ["verify_hash", "verify_message"],
                   ops.alg_of(asymmetric_signature=alg))
    st, _ = r.call("import", import_pb.Operation(key_name="imported-pub", attributes=at, data=point))
    r.check("import an OpenSSL ECC public key", st == 0, st)
    r.check("its public key exports unchanged", r.public("imported-pub") == point)
    raw = decode_dss_signature(priv.sign(b"imported", ec.ECDSA(hashes.SHA256())))
    sig = raw[0].to_bytes(32, "big") + raw[1].to_bytes(32, "big")
    digest = hashlib.sha256(b"imported").digest()
    r.check("an OpenSSL signature verifies with the imported key",
            r.verify_hash("imported-pub", alg, digest, sig) == 0)
    r.check("and a wrong one does not",
            r.verify_hash("imported-pub", alg, hashlib.sha256(b"other").digest(), sig) == ST["invalid_signature"])
    st, _ = r.sign_hash("imported-pub", alg, digest)
    r.check("a public key cannot sign (NotPermitted)", st == ST["not_permitted"], st)

    rpriv = rsa.generate_private_key(65537, 2048)
    rder = rpriv.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    ralg = ops.sign_alg("rsa_pkcs1v15_sign")
    at = ops.attrs(KT(rsa_public_key={}), 2048, ["verify_hash"], ops.alg_of(asymmetric_signature=ralg))
    st, _ = r.call("import", import_pb.Operation(key_name="imported-rsa", attributes=at, data=rder))
    r.check("import an OpenSSL RSA public key", st == 0, st)
    r.check("its public key exports unchanged", r.public("imported-rsa") == rder)
    sig = rpriv.sign(b"imported", padding.PKCS1v15(), hashes.SHA256())
    r.check("an OpenSSL RSA signature verifies with it", r.verify_hash("imported-rsa", ralg, digest, sig) == 0)
    st, _ = r.call("import", import_pb.Operation(key_name="bad-rsa", attributes=at, data=rder[:-3]))
    r.check("a truncated RSA public key is refused (InvalidArgument)", st == ST["invalid_argument"], st)
    st, _ = r.call("import", import_pb.Operation(key_name="bad-rsa", attributes=at, data=rder + b"\0"))
    r.check("trailing bytes after an RSA public key are refused", st == ST["invalid_argument"], st)


def run_ecdh(r):
    alg = ops.alg_of(key_agreement=A.KeyAgreement(raw=A.KeyAgreement.ECDH))
    at = ops.attrs(ops.ecc_pair(), 256, ["derive"], alg)
    r.check("generate an ECDH key", r.generate("ecdh", at) == 0)
    point = r.public("ecdh")
    if point is None:
        r.check("the ECDH key exports its public key", False)
        return
    mine = ec_public(256, point)
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_point = peer.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    st, out = r.call("ecdh", ecdh_pb.Operation(alg=A.KeyAgreement.ECDH, private_key_name="ecdh",
                                              peer_key=peer_point))
    r.check("raw ECDH matches OpenSSL's shared secret",
            st == 0 and ecdh_pb.Result.FromString(out).shared_secret == peer.exchange(ec.ECDH(), mine), st)


def run_pair_import(r):
    """An EC key pair from OpenSSL, its size left for the key data to say (bits 0)."""
    priv = ec.generate_private_key(ec.SECP256R1())
    d = priv.private_numbers().private_value.to_bytes(32, "big")
    alg = ops.alg_of(key_agreement=A.KeyAgreement(raw=A.KeyAgreement.ECDH))
    at = ops.attrs(ops.ecc_pair(), 0, ["derive", "export"], alg)
    st, _ = r.call("import", import_pb.Operation(key_name="pair", attributes=at, data=d))
    r.check("import an OpenSSL EC key pair without a stated size", st == 0, st)
    point = priv.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    r.check("its public key is the one OpenSSL computes", r.public("pair") == point)
    st, out = r.call("export", export_pb.Operation(key_name="pair"))
    r.check("with the export usage it exports as the same scalar",
            st == 0 and export_pb.Result.FromString(out).data == d, st)
    peer = ec.generate_private_key(ec.SECP256R1())
    peer_point = peer.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    st, out = r.call("ecdh", ecdh_pb.Operation(alg=A.KeyAgreement.ECDH, private_key_name="pair",
                                              peer_key=peer_point))
    r.check("ECDH with the imported pair matches OpenSSL",
            st == 0 and ecdh_pb.Result.FromString(out).shared_secret ==
            peer.exchange(ec.ECDH(), priv.public_key()), st)


def run_aes(r):
    key = os.urandom(32)
    gcm = ops.alg_of(aead=A.Aead(aead_with_default_length_tag=A.Aead.GCM))
    at = ops.attrs(KT(aes={}), 256, ["encrypt", "decrypt"], gcm)
    st, _ = r.call("import", import_pb.Operation(key_name="aes-gcm", attributes=at, data=key))
    r.check("import an AES-256 key", st == 0, st)
    nonce, ad = os.urandom(12), b"header"
    st, out = r.call("aead_encrypt", aead_enc.Operation(key_name="aes-gcm", alg=gcm.aead, nonce=nonce,
                                                        additional_data=ad, plaintext=b"gcm text"))
    ct = aead_enc.Result.FromString(out).ciphertext if st == 0 else b""
    r.check("AES-GCM by the service decrypts in OpenSSL",
            st == 0 and AESGCM(key).decrypt(nonce, ct, ad) == b"gcm text", st)
    ct2 = AESGCM(key).encrypt(nonce, b"from openssl", ad)
    st, out = r.call("aead_decrypt", aead_dec.Operation(key_name="aes-gcm", alg=gcm.aead, nonce=nonce,
                                                        additional_data=ad, ciphertext=ct2))
    r.check("AES-GCM by OpenSSL decrypts in the service",
            st == 0 and aead_dec.Result.FromString(out).plaintext == b"from openssl", st)
    st, _ = r.call("aead_decrypt", aead_dec.Operation(key_name="aes-gcm", alg=gcm.aead, nonce=nonce,
                                                      additional_data=b"other", ciphertext=ct2))
    r.check("AES-GCM with altered data is InvalidSignature", st == ST["invalid_signature"], st)

    cbc = ops.alg_of(cipher=A.CBC_PKCS7)
    at = ops.attrs(KT(aes={}), 128, ["encrypt", "decrypt"], cbc)
    key = os.urandom(16)
    st, _ = r.call("import", import_pb.Operation(key_name="aes-cbc", attributes=at, data=key))
    st, out = r.call("cipher_encrypt", cipher_enc.Operation(key_name="aes-cbc", alg=A.CBC_PKCS7,
                                                            plaintext=b"seventeen bytes!!"))
    ct = cipher_enc.Result.FromString(out).ciphertext if st == 0 else b""
    ok = st == 0 and len(ct) == 16 + 32
    if ok:
        dec = Cipher(algorithms.AES(key), modes.CBC(ct[:16])).decryptor()
        padded = dec.update(ct[16:]) + dec.finalize()
        ok = padded == b"seventeen bytes!!" + bytes([15]) * 15
    r.check("AES-CBC-PKCS7 by the service (IV first) decrypts in OpenSSL", ok, st)
    st, out = r.call("cipher_decrypt", cipher_dec.Operation(key_name="aes-cbc", alg=A.CBC_PKCS7, ciphertext=ct))
    r.check("and back through the service",
            st == 0 and cipher_dec.Result.FromString(out).plaintext == b"seventeen bytes!!", st)


def run(svc, provider, app=None, aes=True, ecdh=True, pair_import=True):
    app = app or "suite%d" % provider
    r = Runner(svc, provider, app)
    served = opcodes(svc, provider)
    r.check("ListOpcodes lists the key operations",
            {0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0A, 0x0B, 0x18, 0x19} <= served, served)
    run_ecdsa(r)
    run_rsa(r)
    run_import(r)
    if ecdh:
        run_ecdh(r)
    if pair_import:
        run_pair_import(r)
    if aes:
        run_aes(r)
    st, out = r.call("export", export_pb.Operation(key_name="ec256"))
    if 0x0C in served:
        r.check("a key without the export usage does not export (NotPermitted)", st == ST["not_permitted"], st)
    else:
        r.check("ExportKey, not offered, is NotSupported", st == ST["not_supported"], st)
    st, out = r.call("generate_random", random_pb.Operation(size=32768))
    data = random_pb.Result.FromString(out).random_bytes if st == 0 else b""
    r.check("32 KiB of random bytes", st == 0 and len(data) == 32768 and len(set(data)) == 256, st)
    at = ops.attrs(ops.ecc_pair(KT.SECT_K1), 233, ["sign_hash"])
    st = r.generate("k1", at)
    r.check("an unsupported curve is NotSupported", st == ST["not_supported"], st)
    at = ops.attrs(ops.ecc_pair(), 256, ["verify_hash"], ops.alg_of(asymmetric_signature=ops.sign_alg("ecdsa")))
    r.generate("verify-only", at)
    st, _ = r.sign_hash("verify-only", ops.sign_alg("ecdsa"), bytes(32))
    r.check("a key without sign usage cannot sign (NotPermitted)", st == ST["not_permitted"], st)
    for name in ("ec256", "ec384", "imported-pub"):
        st = r.destroy(name)
        r.check("destroy %s" % name, st == 0, st)
    st, _ = r.sign_hash("ec256", ops.sign_alg("ecdsa"), bytes(32))
    r.check("a destroyed key is gone (DoesNotExist)", st == ST["does_not_exist"], st)
    return r
