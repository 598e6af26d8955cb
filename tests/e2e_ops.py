#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""End to end through a real parsecd: every software-provider operation.

Known-answer vectors (FIPS 180, RFC 4231, RFC 4493, SP 800-38A, the GCM
paper's test case 2, RFC 7748) check results byte for byte; signatures,
RSA ciphertexts, AEAD and ECDH are cross-checked with an independent
implementation (pyca/cryptography on OpenSSL) in both directions; misuse
must give the right PSA status and leave the service serving.

Usage: e2e_ops.py TOPDIR
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, x25519  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import (  # noqa: E402
    Prehashed, decode_dss_signature, encode_dss_signature)
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305  # noqa: E402

import can_do_crypto_pb2 as can_do_pb  # noqa: E402
import list_opcodes_pb2 as list_opcodes_pb  # noqa: E402
import psa_aead_decrypt_pb2 as aead_dec  # noqa: E402
import psa_aead_encrypt_pb2 as aead_enc  # noqa: E402
import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_asymmetric_decrypt_pb2 as asym_dec  # noqa: E402
import psa_asymmetric_encrypt_pb2 as asym_enc  # noqa: E402
import psa_cipher_decrypt_pb2 as cipher_dec  # noqa: E402
import psa_cipher_encrypt_pb2 as cipher_enc  # noqa: E402
import psa_destroy_key_pb2 as destroy_pb  # noqa: E402
import psa_export_key_pb2 as export_pb  # noqa: E402
import psa_export_public_key_pb2 as export_pub_pb  # noqa: E402
import psa_generate_key_pb2 as gen_pb  # noqa: E402
import psa_hash_compare_pb2 as hash_cmp  # noqa: E402
import psa_hash_compute_pb2 as hash_pb  # noqa: E402
import psa_import_key_pb2 as import_pb  # noqa: E402
import psa_key_attributes_pb2 as attr_pb  # noqa: E402
import psa_mac_compute_pb2 as mac_pb  # noqa: E402
import psa_mac_verify_pb2 as mac_verify_pb  # noqa: E402
import psa_raw_key_agreement_pb2 as ecdh_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402
import psa_sign_message_pb2 as sign_msg_pb  # noqa: E402
import psa_verify_hash_pb2 as verify_pb  # noqa: E402
import psa_verify_message_pb2 as verify_msg_pb  # noqa: E402

A = alg_pb.Algorithm
KT = attr_pb.KeyType

OPS = {
    "generate": 0x02, "destroy": 0x03, "sign_hash": 0x04, "verify_hash": 0x05, "import": 0x06,
    "export_public": 0x07, "asym_encrypt": 0x0A, "asym_decrypt": 0x0B, "export": 0x0C,
    "hash": 0x0F, "hash_compare": 0x10, "aead_encrypt": 0x11, "aead_decrypt": 0x12,
    "ecdh": 0x13, "cipher_encrypt": 0x14, "cipher_decrypt": 0x15, "mac": 0x16,
    "mac_verify": 0x17, "sign_message": 0x18, "verify_message": 0x19, "list_opcodes": 0x09,
    "can_do": 0x20,
}
ST = {"ok": 0, "not_permitted": 1133, "not_supported": 1134, "invalid_argument": 1135,
      "already_exists": 1139, "does_not_exist": 1140, "invalid_signature": 1149}

def call(svc, op, msg, app="app", provider=1):
    """One request as application app; returns (status, body)."""
    return eb.call(svc.sock, provider, OPS[op], msg.SerializeToString(), eb.AUTH_DIRECT, app.encode())


def sign_alg(kind, hash_alg=A.SHA_256):
    a = A.AsymmetricSignature()
    getattr(a, kind).hash_alg.specific = hash_alg
    return a


def attrs(key_type, bits, usage, alg=None):
    at = attr_pb.KeyAttributes()
    at.key_type.CopyFrom(key_type)
    at.key_bits = bits
    for u in usage:
        setattr(at.key_policy.key_usage_flags, u, True)
    if alg is not None:
        at.key_policy.key_algorithm.CopyFrom(alg)
    return at


def ecc_pair(curve=KT.SECP_R1):
    t = KT()
    t.ecc_key_pair.curve_family = curve
    return t


def plain(name):
    t = KT()
    getattr(t, name).SetInParent()
    return t


def alg_of(**kw):
    a = A()
    for k, v in kw.items():
        if isinstance(v, int):
            setattr(a, k, v)
        else:
            getattr(a, k).CopyFrom(v)
    return a


def run(svc):
    # Hashes: FIPS 180 "abc".
    st, out = call(svc, "hash", hash_pb.Operation(alg=A.SHA_256, input=b"abc"))
    check("SHA-256(abc)", st == 0 and hash_pb.Result.FromString(out).hash == bytes.fromhex(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), (st, out))
    for h, name in ((A.SHA_224, "sha224"), (A.SHA_384, "sha384"), (A.SHA_512, "sha512")):
        import hashlib
        st, out = call(svc, "hash", hash_pb.Operation(alg=h, input=b"parsecd"))
        check("%s matches hashlib" % name, st == 0 and hash_pb.Result.FromString(out).hash ==
              hashlib.new(name, b"parsecd").digest(), (st, out))
    st, _ = call(svc, "hash_compare", hash_cmp.Operation(alg=A.SHA_256, input=b"abc", hash=bytes(32)))
    check("hash compare mismatch is InvalidSignature", st == ST["invalid_signature"], st)

    # HMAC-SHA256, RFC 4231 test case 1 (MAC opcodes are served though not advertised).
    hmac_alg = A.Mac()
    hmac_alg.full_length.hmac.hash_alg = A.SHA_256
    st, _ = call(svc, "import", import_pb.Operation(
        key_name="hmac", attributes=attrs(plain("hmac"), 160, ["sign_message", "verify_message", "sign_hash", "verify_hash"], alg_of(mac=hmac_alg)),
        data=b"\x0b" * 20))
    check("import HMAC key", st == 0, st)
    st, out = call(svc, "mac", mac_pb.Operation(key_name="hmac", alg=hmac_alg, input=b"Hi There"))
    mac = mac_pb.Result.FromString(out).mac if st == 0 else b""
    check("HMAC-SHA256 RFC 4231 #1", mac == bytes.fromhex(
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"), (st, mac.hex()))
    st, _ = call(svc, "mac_verify", mac_verify_pb.Operation(key_name="hmac", alg=hmac_alg, input=b"Hi There", mac=mac))
    check("HMAC verify", st == 0, st)
    st, _ = call(svc, "mac_verify", mac_verify_pb.Operation(key_name="hmac", alg=hmac_alg, input=b"Hi there", mac=mac))
    check("HMAC verify of other data is InvalidSignature", st == ST["invalid_signature"], st)

    # AES: CMAC (RFC 4493), CBC and CTR (SP 800-38A), GCM (test case 2), CCM.
    aes_key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    cmac_alg = A.Mac()
    cmac_alg.full_length.cmac.SetInParent()
    st, _ = call(svc, "import", import_pb.Operation(
        key_name="cmac", attributes=attrs(plain("aes"), 128, ["sign_message", "verify_message", "sign_hash", "verify_hash"], alg_of(mac=cmac_alg)),
        data=aes_key))
    st, out = call(svc, "mac", mac_pb.Operation(key_name="cmac", alg=cmac_alg, input=bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")))
    check("AES-CMAC RFC 4493 #2", st == 0 and mac_pb.Result.FromString(out).mac == bytes.fromhex(
        "070a16b46b4d4144f79bdd9dd04a287c"), (st, out.hex()))
    for mode, iv, ct in ((A.CBC_NO_PADDING, "000102030405060708090a0b0c0d0e0f", "7649abac8119b246cee98e9b12e9197d"),
                         (A.CTR, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", "874d6191b620e3261bef6864990db6ce")):
        name = "cbc" if mode == A.CBC_NO_PADDING else "ctr"
        call(svc, "import", import_pb.Operation(key_name="aes-" + name, attributes=attrs(
            plain("aes"), 128, ["encrypt", "decrypt"], alg_of(cipher=mode)), data=aes_key))
        st, out = call(svc, "cipher_decrypt", cipher_dec.Operation(key_name="aes-" + name, alg=mode,
                           ciphertext=bytes.fromhex(iv + ct)))
        check("AES-%s SP 800-38A decrypt" % name.upper(), st == 0 and cipher_dec.Result.FromString(out).plaintext ==
              bytes.fromhex("6bc1bee22e409f96e93d7e117393172a"), (st, out.hex()))
        st, out = call(svc, "cipher_encrypt", cipher_enc.Operation(key_name="aes-" + name, alg=mode,
                           plaintext=bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")))
        ct_out = cipher_enc.Result.FromString(out).ciphertext if st == 0 else b""
        check("AES-%s encrypt gives IV || ciphertext" % name.upper(), len(ct_out) == 32, (st, ct_out.hex()))
        st, out = call(svc, "cipher_decrypt", cipher_dec.Operation(key_name="aes-" + name, alg=mode, ciphertext=ct_out))
        check("AES-%s round trip" % name.upper(), st == 0 and cipher_dec.Result.FromString(out).plaintext ==
              bytes.fromhex("6bc1bee22e409f96e93d7e117393172a"), st)
    call(svc, "import", import_pb.Operation(key_name="aes-pkcs7", attributes=attrs(
        plain("aes"), 128, ["encrypt", "decrypt"], alg_of(cipher=A.CBC_PKCS7)), data=aes_key))
    st, out = call(svc, "cipher_encrypt", cipher_enc.Operation(key_name="aes-pkcs7", alg=A.CBC_PKCS7, plaintext=b"seven!!"))
    ct = cipher_enc.Result.FromString(out).ciphertext if st == 0 else b""
    st, out = call(svc, "cipher_decrypt", cipher_dec.Operation(key_name="aes-pkcs7", alg=A.CBC_PKCS7, ciphertext=ct))
    check("AES-CBC-PKCS7 pads and unpads", len(ct) == 32 and st == 0 and
          cipher_dec.Result.FromString(out).plaintext == b"seven!!", (len(ct), st))

    gcm = A.Aead(aead_with_default_length_tag=A.Aead.GCM)
    call(svc, "import", import_pb.Operation(key_name="gcm", attributes=attrs(
        plain("aes"), 128, ["encrypt", "decrypt"], alg_of(aead=gcm)), data=bytes(16)))
    st, out = call(svc, "aead_encrypt", aead_enc.Operation(key_name="gcm", alg=gcm, nonce=bytes(12),
                       additional_data=b"", plaintext=bytes(16)))
    check("AES-GCM test case 2", st == 0 and aead_enc.Result.FromString(out).ciphertext == bytes.fromhex(
        "0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf"), (st, out.hex()))

    for name, aead_kind, key, nonce_len, ref in (
            ("AES-CCM", A.Aead.CCM, os.urandom(16), 13, AESCCM),
            ("ChaCha20-Poly1305", A.Aead.CHACHA20_POLY1305, os.urandom(32), 12, ChaCha20Poly1305),
            ("AES-GCM-256", A.Aead.GCM, os.urandom(32), 12, AESGCM)):
        alg = A.Aead(aead_with_default_length_tag=aead_kind)
        key_type = plain("chacha20") if aead_kind == A.Aead.CHACHA20_POLY1305 else plain("aes")
        st, _ = call(svc, "import", import_pb.Operation(key_name=name, attributes=attrs(
            key_type, len(key) * 8, ["encrypt", "decrypt"], alg_of(aead=alg)), data=key))
        nonce, aad, msg = os.urandom(nonce_len), b"header", b"attack at dawn"
        st, out = call(svc, "aead_encrypt", aead_enc.Operation(key_name=name, alg=alg, nonce=nonce,
                           additional_data=aad, plaintext=msg))
        ct = aead_enc.Result.FromString(out).ciphertext if st == 0 else b""
        check("%s ciphertext opens with OpenSSL" % name, ct and ref(key).decrypt(nonce, ct, aad) == msg, st)
        ct2 = ref(key).encrypt(nonce, b"reply", aad)
        st, out = call(svc, "aead_decrypt", aead_dec.Operation(key_name=name, alg=alg, nonce=nonce,
                           additional_data=aad, ciphertext=ct2))
        check("%s opens OpenSSL's ciphertext" % name, st == 0 and aead_dec.Result.FromString(out).plaintext == b"reply", st)
        bad = ct2[:-1] + bytes([ct2[-1] ^ 1])
        st, _ = call(svc, "aead_decrypt", aead_dec.Operation(key_name=name, alg=alg, nonce=nonce,
                         additional_data=aad, ciphertext=bad))
        check("%s tampered tag is InvalidSignature" % name, st == ST["invalid_signature"], st)

    # ECDSA on P-256 and P-384, both directions with OpenSSL.
    for bits, curve, h, hname in ((256, ec.SECP256R1(), A.SHA_256, hashes.SHA256()),
                                  (384, ec.SECP384R1(), A.SHA_384, hashes.SHA384())):
        name = "ecdsa-%d" % bits
        alg = sign_alg("ecdsa", h)
        st, _ = call(svc, "generate", gen_pb.Operation(key_name=name, attributes=attrs(
            ecc_pair(), bits, ["sign_hash", "verify_hash", "sign_message", "verify_message"],
            alg_of(asymmetric_signature=alg))))
        check("generate ECC P-%d" % bits, st == 0, st)
        st, out = call(svc, "export_public", export_pub_pb.Operation(key_name=name))
        point = export_pub_pb.Result.FromString(out).data
        pub = ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
        msg = b"signed by parsecd"
        st, out = call(svc, "sign_message", sign_msg_pb.Operation(key_name=name, alg=alg, message=msg))
        sig = sign_msg_pb.Result.FromString(out).signature if st == 0 else bytes(2 * (bits // 8))
        n = len(sig) // 2
        try:
            pub.verify(encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big")),
                       msg, ec.ECDSA(hname))
            ok = st == 0
        except Exception as e:
            ok = False
            sig = repr(e)
        check("OpenSSL verifies a P-%d message signature" % bits, ok, sig)
        # A private key made by OpenSSL, imported, then its signatures checked by us.
        priv = ec.generate_private_key(curve)
        d = priv.private_numbers().private_value.to_bytes(bits // 8, "big")
        st, _ = call(svc, "import", import_pb.Operation(key_name=name + "-imported", attributes=attrs(
            ecc_pair(), bits, ["verify_hash", "verify_message"], alg_of(asymmetric_signature=alg)), data=d))
        check("import an OpenSSL P-%d key pair" % bits, st == 0, st)
        r, s = decode_dss_signature(priv.sign(msg, ec.ECDSA(hname)))
        raw = r.to_bytes(bits // 8, "big") + s.to_bytes(bits // 8, "big")
        st, _ = call(svc, "verify_message", verify_msg_pb.Operation(key_name=name + "-imported", alg=alg, message=msg, signature=raw))
        check("parsecd verifies OpenSSL's P-%d signature" % bits, st == 0, st)
        st, _ = call(svc, "verify_message", verify_msg_pb.Operation(key_name=name + "-imported", alg=alg, message=msg + b"!", signature=raw))
        check("P-%d signature over other data is InvalidSignature" % bits, st == ST["invalid_signature"], st)
        st, _ = call(svc, "sign_hash", sign_pb.Operation(key_name=name + "-imported", alg=alg, hash=bytes(bits // 8)))
        check("signing with a verify-only key is NotPermitted", st == ST["not_permitted"], st)

    # RSA: PKCS#1 v1.5 and PSS signatures, PKCS#1 v1.5 and OAEP encryption, both ways.
    # PSA 1.0's RSA-PSS uses a salt as long as the hash, on both sides.
    rsa_priv = rsa.generate_private_key(65537, 2048)
    der = rsa_priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())
    rsa_pub = rsa_priv.public_key()
    for name, alg, pad in (
            ("pkcs1v15", sign_alg("rsa_pkcs1v15_sign"), padding.PKCS1v15()),
            ("pss", sign_alg("rsa_pss"), padding.PSS(padding.MGF1(hashes.SHA256()), 32))):
        key = "rsa-sign-" + name
        st, _ = call(svc, "import", import_pb.Operation(key_name=key, attributes=attrs(
            plain("rsa_key_pair"), 2048, ["sign_hash", "verify_hash", "sign_message", "verify_message"],
            alg_of(asymmetric_signature=alg)), data=der))
        st, out = call(svc, "sign_message", sign_msg_pb.Operation(key_name=key, alg=alg, message=b"rsa"))
        sig = sign_msg_pb.Result.FromString(out).signature if st == 0 else b""
        try:
            rsa_pub.verify(sig, b"rsa", pad if name == "pkcs1v15" else
                           padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO), hashes.SHA256())
            ok = True
        except Exception:
            ok = False
        check("OpenSSL verifies an RSA %s signature" % name, ok, st)
        theirs = rsa_priv.sign(b"theirs", pad, hashes.SHA256())
        st, _ = call(svc, "verify_message", verify_msg_pb.Operation(key_name=key, alg=alg, message=b"theirs", signature=theirs))
        check("parsecd verifies OpenSSL's RSA %s signature" % name, st == 0, st)
    for name, alg_msg, pad in (
            ("pkcs1v15", A.AsymmetricEncryption(rsa_pkcs1v15_crypt=A.AsymmetricEncryption.RsaPkcs1v15Crypt()), padding.PKCS1v15()),
            ("oaep", A.AsymmetricEncryption(rsa_oaep=A.AsymmetricEncryption.RsaOaep(hash_alg=A.SHA_256)),
             padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))):
        key = "rsa-crypt-" + name
        st, _ = call(svc, "import", import_pb.Operation(key_name=key, attributes=attrs(
            plain("rsa_key_pair"), 2048, ["encrypt", "decrypt"], alg_of(asymmetric_encryption=alg_msg)), data=der))
        ct = rsa_pub.encrypt(b"for parsecd", pad)
        st, out = call(svc, "asym_decrypt", asym_dec.Operation(key_name=key, alg=alg_msg, ciphertext=ct))
        check("parsecd decrypts OpenSSL's RSA %s ciphertext" % name, st == 0 and
              asym_dec.Result.FromString(out).plaintext == b"for parsecd", st)
        st, out = call(svc, "asym_encrypt", asym_enc.Operation(key_name=key, alg=alg_msg, plaintext=b"for openssl"))
        ct = asym_enc.Result.FromString(out).ciphertext if st == 0 else b""
        try:
            ok = rsa_priv.decrypt(ct, pad) == b"for openssl"
        except Exception:
            ok = False
        check("OpenSSL decrypts parsecd's RSA %s ciphertext" % name, ok, st)
    st, out = call(svc, "export_public", export_pub_pb.Operation(key_name="rsa-crypt-oaep"))
    check("RSA public key exports as PKCS#1 DER", st == 0 and serialization.load_der_public_key(
        b"0\x82\x01\"0\r\x06\t*\x86H\x86\xf7\r\x01\x01\x01\x05\x00\x03\x82\x01\x0f\x00" +
        export_pub_pb.Result.FromString(out).data).public_numbers() == rsa_pub.public_numbers(), st)

    # ECDH: X25519 (RFC 7748 section 6.1) and P-256 against OpenSSL.
    ka = A.KeyAgreement(raw=A.KeyAgreement.ECDH)
    st, _ = call(svc, "import", import_pb.Operation(key_name="x25519", attributes=attrs(
        ecc_pair(KT.MONTGOMERY), 255, ["derive"], alg_of(key_agreement=ka)),
        data=bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")))
    st, out = call(svc, "ecdh", ecdh_pb.Operation(alg=A.KeyAgreement.ECDH, private_key_name="x25519",
                       peer_key=bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")))
    check("X25519 RFC 7748", st == 0 and ecdh_pb.Result.FromString(out).shared_secret == bytes.fromhex(
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), (st, out.hex()))
    call(svc, "generate", gen_pb.Operation(key_name="ecdh-p256", attributes=attrs(
        ecc_pair(), 256, ["derive"], alg_of(key_agreement=ka))))
    st, out = call(svc, "export_public", export_pub_pb.Operation(key_name="ecdh-p256"))
    ours = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), export_pub_pb.Result.FromString(out).data)
    peer = ec.generate_private_key(ec.SECP256R1())
    st, out = call(svc, "ecdh", ecdh_pb.Operation(alg=A.KeyAgreement.ECDH, private_key_name="ecdh-p256",
                       peer_key=peer.public_key().public_bytes(serialization.Encoding.X962,
                                                               serialization.PublicFormat.UncompressedPoint)))
    check("ECDH P-256 agrees with OpenSSL", st == 0 and ecdh_pb.Result.FromString(out).shared_secret ==
          peer.exchange(ec.ECDH(), ours), st)
    x_peer = x25519.X25519PrivateKey.generate()
    call(svc, "generate", gen_pb.Operation(key_name="x25519-gen", attributes=attrs(
        ecc_pair(KT.MONTGOMERY), 255, ["derive"], alg_of(key_agreement=ka))))
    st, out = call(svc, "export_public", export_pub_pb.Operation(key_name="x25519-gen"))
    ours_x = x25519.X25519PublicKey.from_public_bytes(export_pub_pb.Result.FromString(out).data)
    st, out = call(svc, "ecdh", ecdh_pb.Operation(alg=A.KeyAgreement.ECDH, private_key_name="x25519-gen",
                       peer_key=x_peer.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)))
    check("X25519 agrees with OpenSSL", st == 0 and ecdh_pb.Result.FromString(out).shared_secret ==
          x_peer.exchange(ours_x), st)

    # Misuse.
    st, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="gcm", alg=sign_alg("ecdsa"), hash=bytes(32)))
    check("ECDSA with an AES key is refused", st in (ST["not_permitted"], ST["invalid_argument"]), st)
    st, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="ecdsa-256", alg=sign_alg("ecdsa"), hash=bytes(20)))
    check("a hash of the wrong length is InvalidArgument", st == ST["invalid_argument"], st)
    st, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="ecdsa-256", alg=sign_alg("ecdsa", A.SHA_512), hash=bytes(64)))
    check("an algorithm outside the key's policy is NotPermitted", st == ST["not_permitted"], st)
    st, _ = call(svc, "export", export_pb.Operation(key_name="ecdsa-256"))
    check("exporting a key without the export flag is NotPermitted", st == ST["not_permitted"], st)
    st, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="no-such-key", alg=sign_alg("ecdsa"), hash=bytes(32)))
    check("an unknown key is DoesNotExist", st == ST["does_not_exist"], st)
    st, _ = call(svc, "generate", gen_pb.Operation(key_name="ecdsa-256", attributes=attrs(
        ecc_pair(), 256, ["sign_hash"], alg_of(asymmetric_signature=sign_alg("ecdsa")))))
    check("a duplicate name is AlreadyExists", st == ST["already_exists"], st)
    st, _ = call(svc, "verify_hash", verify_pb.Operation(key_name="ecdsa-256", alg=sign_alg("ecdsa"),
                     hash=bytes(32), signature=bytes(64)))
    check("a zero signature is InvalidSignature", st == ST["invalid_signature"], st)
    # Any-hash wildcard policy.
    wildcard = A.AsymmetricSignature()
    wildcard.ecdsa.hash_alg.any.SetInParent()
    call(svc, "generate", gen_pb.Operation(key_name="any-hash", attributes=attrs(
        ecc_pair(), 256, ["sign_hash"], alg_of(asymmetric_signature=wildcard))))
    st1, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="any-hash", alg=sign_alg("ecdsa", A.SHA_256), hash=bytes(32)))
    st2, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="any-hash", alg=sign_alg("ecdsa", A.SHA_384), hash=bytes(48)))
    check("an any-hash policy permits each specific hash", st1 == 0 and st2 == 0, (st1, st2))
    call(svc, "generate", gen_pb.Operation(key_name="exportable", attributes=attrs(
        plain("aes"), 256, ["export", "encrypt"], alg_of(cipher=A.CTR))))
    st, out = call(svc, "export", export_pb.Operation(key_name="exportable"))
    check("an exportable AES key exports 32 bytes", st == 0 and len(export_pb.Result.FromString(out).data) == 32, st)
    st, _ = call(svc, "destroy", destroy_pb.Operation(key_name="exportable"))
    st2, _ = call(svc, "export", export_pb.Operation(key_name="exportable"))
    check("a destroyed key is gone", st == 0 and st2 == ST["does_not_exist"], (st, st2))
    # Names cross into C strings: an embedded NUL would cut "ecdsa-256\0junk" to
    # "ecdsa-256", and bytes that are not UTF-8 are not a name at all.
    st, _ = call(svc, "destroy", destroy_pb.Operation(key_name="ecdsa-256\0junk"))
    st2, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="ecdsa-256", alg=sign_alg("ecdsa"), hash=bytes(32)))
    check("a key name with a NUL byte is InvalidArgument and leaves the key before the NUL alone",
          st == ST["invalid_argument"] and st2 == 0, (st, st2))
    for label, name in (("a lone continuation byte", b"\x80"), ("an overlong '/'", b"\xc0\xaf"),
                        ("a surrogate", b"\xed\xa0\x80"), ("a trailing NUL", b"ecdsa-256\x00")):
        body = b"\x0a" + bytes([len(name)]) + name  # field 1, key_name, as raw bytes
        st, _ = eb.call(svc.sock, 1, OPS["export_public"], body, eb.AUTH_DIRECT, b"app")
        check(f"a key name with {label} is InvalidArgument", st == ST["invalid_argument"], st)

    # Bodies near the 1 MiB limit: far past nanopb's 16-bit field sizes.
    import hashlib
    big = os.urandom(1000 * 1024)
    st, out = call(svc, "hash", hash_pb.Operation(alg=A.SHA_256, input=big))
    check("hash of a 1000 KiB input", st == 0 and hash_pb.Result.FromString(out).hash ==
          hashlib.sha256(big).digest(), st)
    key = os.urandom(32)
    gcm256 = A.Aead(aead_with_default_length_tag=A.Aead.GCM)
    call(svc, "import", import_pb.Operation(key_name="big-gcm", attributes=attrs(
        plain("aes"), 256, ["encrypt", "decrypt"], alg_of(aead=gcm256)), data=key))
    nonce = os.urandom(12)
    st, out = call(svc, "aead_encrypt", aead_enc.Operation(key_name="big-gcm", alg=gcm256, nonce=nonce,
                   additional_data=b"", plaintext=big[:300 * 1024]))
    ct = aead_enc.Result.FromString(out).ciphertext if st == 0 else b""
    check("AES-GCM over 300 KiB opens with OpenSSL", ct and AESGCM(key).decrypt(nonce, ct, b"") ==
          big[:300 * 1024], st)

    # CanDoCrypto answers without making a key.
    sig_p256 = attrs(ecc_pair(), 256, ["sign_hash"], alg_of(asymmetric_signature=sign_alg("ecdsa")))
    st1, _ = call(svc, "can_do", can_do_pb.Operation(check_type=can_do_pb.GENERATE, attributes=sig_p256))
    sig_p256.key_bits = 512
    st2, _ = call(svc, "can_do", can_do_pb.Operation(check_type=can_do_pb.GENERATE, attributes=sig_p256))
    rsa_pub = attrs(plain("rsa_public_key"), 2048, ["verify_hash"], alg_of(asymmetric_signature=sign_alg("rsa_pss")))
    st3, _ = call(svc, "can_do", can_do_pb.Operation(check_type=can_do_pb.IMPORT, attributes=rsa_pub))
    st4, _ = call(svc, "can_do", can_do_pb.Operation(check_type=can_do_pb.GENERATE, attributes=rsa_pub))
    check("CanDoCrypto: P-256 yes, SECP-R1 512 no, RSA public import yes, its generation no",
          (st1, st2, st3, st4) == (0, ST["not_supported"], 0, ST["not_supported"]), (st1, st2, st3, st4))

    # Every worker holds the key parsed once it has signed with it; one destroy ends all.
    call(svc, "generate", gen_pb.Operation(key_name="busy", attributes=attrs(
        ecc_pair(), 256, ["sign_hash"], alg_of(asymmetric_signature=sign_alg("ecdsa")))))
    before = [call(svc, "sign_hash", sign_pb.Operation(key_name="busy", alg=sign_alg("ecdsa"), hash=bytes(32)))[0]
              for _ in range(20)]
    st, _ = call(svc, "destroy", destroy_pb.Operation(key_name="busy"))
    after = [call(svc, "sign_hash", sign_pb.Operation(key_name="busy", alg=sign_alg("ecdsa"), hash=bytes(32)))[0]
             for _ in range(20)]
    check("a key destroyed through one worker is gone for every worker",
          set(before) == {0} and st == 0 and set(after) == {ST["does_not_exist"]}, (before, st, after))
    key_files = [f for f in os.listdir(os.path.join(svc.dir, "state", "mbed-crypto-provider")) if f.endswith(".key")]
    st, out = call(svc, "list_opcodes", list_opcodes_pb.Operation(provider_id=1), provider=0)
    ops = set(list_opcodes_pb.Result.FromString(out).opcodes)
    check("MAC opcodes are served but not advertised by default", st == 0 and 0x16 not in ops
          and 0x17 not in ops and 0x04 in ops, ops)
    check("keys live in the provider's own state directory", len(key_files) > 10, key_files)


def fast_files(svc):
    d = os.path.join(svc.dir, "state", "mbed-crypto-provider")
    return set(f for f in os.listdir(d) if f.endswith(".fast"))


def signs_verifiably(svc, name, pub, rounds=8):
    """Signs rounds digests with key name; all must verify with pub under OpenSSL."""
    for i in range(rounds):
        digest = hashlib.sha256(b"fast %d" % i).digest()
        st, out = call(svc, "sign_hash", sign_pb.Operation(key_name=name, alg=sign_alg("ecdsa"), hash=digest))
        if st != 0:
            return st
        r = verify_p256(pub, digest, sign_pb.Result.FromString(out).signature)
        if r != 0:
            return r
    return 0


def verify_p256(pub, digest, sig):
    """0 if OpenSSL verifies the raw r||s signature of a SHA-256 digest, else why not."""
    try:
        pub.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")),
                   digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except Exception as e:
        return repr(e)
    return 0


def run_fast_path(svc):
    """The ECDSA fast path signs from a key file of parsecd's own (<id>.fast), never PSA's."""
    usage = ["sign_hash", "verify_hash"]
    ecdsa = alg_of(asymmetric_signature=sign_alg("ecdsa"))
    before = fast_files(svc)
    st1, _ = call(svc, "generate", gen_pb.Operation(key_name="fast-gen", attributes=attrs(
        ecc_pair(), 256, usage, ecdsa)))
    generated = fast_files(svc) - before
    priv = ec.generate_private_key(ec.SECP256R1())
    d = priv.private_numbers().private_value.to_bytes(32, "big")
    st2, _ = call(svc, "import", import_pb.Operation(key_name="fast-imp", attributes=attrs(
        ecc_pair(), 256, usage, ecdsa), data=d))
    imported = fast_files(svc) - before - generated
    check("a generated and an imported P-256 signing key each get a .fast key file",
          (st1, st2, len(generated), len(imported)) == (0, 0, 1, 1), (st1, st2, generated, imported))
    path = os.path.join(svc.dir, "state", "mbed-crypto-provider", next(iter(imported), "none"))
    data = open(path, "rb").read() if imported else b""
    check("its format is parsecd's own: PFK1, the curve's bits, the scalar",
          data[12:18] == b"PFK1" + (256).to_bytes(2, "little") and data[18:] == d, data[12:18])
    st, out = call(svc, "export_public", export_pub_pb.Operation(key_name="fast-gen"))
    pub = ec.EllipticCurvePublicKey.from_encoded_point(
        ec.SECP256R1(), export_pub_pb.Result.FromString(out).data if st == 0 else b"\x04" + bytes(64))
    check("the generated key's hash signatures verify with OpenSSL", signs_verifiably(svc, "fast-gen", pub) == 0)
    log = open(os.path.join(svc.dir, "parsecd.log")).read()
    check("no .fast file was found stale", "does not hold the key PSA holds" not in log, log[-2000:])
    # Another key's scalar in the imported key's file: a trusting fast path would sign with it.
    other = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value.to_bytes(32, "big")
    if data:
        with open(path, "r+b") as f:
            f.seek(18)
            f.write(other)
    r = signs_verifiably(svc, "fast-imp", priv.public_key())
    log = open(os.path.join(svc.dir, "parsecd.log")).read()
    check("a .fast file with another scalar is not used: signatures still verify, the file is removed",
          r == 0 and "does not hold the key PSA holds" in log and not os.path.exists(path), r)
    st, _ = call(svc, "destroy", destroy_pb.Operation(key_name="fast-gen"))
    check("destroying a key removes its .fast file", st == 0 and not (generated & fast_files(svc)), st)


def raw_request(svc, seconds=10, **fields):
    """Upstream's RawRequestClient (parsec 1.1.0, e2e_tests/src/raw_request.rs): a
    RawHeader::new() (all zero, flags 0) for Ping to core with fields changed, sent
    with no body; returns the raw 36-byte answer and whether the service then closed."""
    f = dict(provider=0, session=0, content=0, accept=0, auth=0, body_len=0, auth_len=0,
             opcode=0x01, status=0, reserved1=0, reserved2=0)
    f.update(fields)
    hdr = struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 0, f["provider"], f["session"],
                      f["content"], f["accept"], f["auth"], f["body_len"], f["auth_len"],
                      f["opcode"], f["status"], f["reserved1"], f["reserved2"])
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(seconds)
        s.connect(svc.sock)
        s.sendall(hdr)
        answer = b""
        while len(answer) < 36:
            chunk = s.recv(36 - len(answer))
            if not chunk:
                break
            answer += chunk
        closed = len(answer) == 36 and s.recv(1) == b""
        return answer, closed


def from_status(status):
    """Upstream's answer to a request it could not read (parsec-interface 0.27,
    Response::from_status): ResponseHeader::new() (provider Core, session 0, content
    type protobuf, opcode Ping) with the status, and nothing else."""
    return struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
                       status, 0, 0)


def run_upstream_basic(svc):
    """parsec 1.1.0's e2e_tests/tests/per_provider/normal_tests/basic.rs, byte for byte."""
    cases = [("invalid_provider", dict(provider=0xFF), 6),
             ("invalid_opcode", dict(opcode=0xFFFF), 9),
             ("invalid_content_type", dict(content=0xFF), 2),
             ("invalid_accept_type", dict(accept=0xFF), 3),
             ("invalid_authenticator", dict(auth=0xFF), 12),
             ("reserved_fields_not_zero1", dict(reserved1=56), 17),
             ("reserved_fields_not_zero2", dict(reserved2=56), 17),
             # Announced and never sent: the listener timeout (3 s here) answers.
             ("invalid_body_len", dict(body_len=0xFFFF), 15),
             ("invalid_auth_len", dict(auth_len=0xFFFF), 15)]
    for name, fields, status in cases:
        t0 = time.monotonic()
        answer, closed = raw_request(svc, **fields)
        check("upstream's %s: status %d with upstream's header, then closed" % (name, status),
              answer == from_status(status) and closed,
              (answer.hex(), closed, round(time.monotonic() - t0, 1)))
    # Attributable faults keep echoing the request (Response::from_request_header).
    answer, _ = raw_request(svc, provider=3, session=0x1122334455667788)
    check("upstream's provider_not_registered: provider, session and opcode echoed",
          answer == struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 0, 3, 0x1122334455667788, 0,
                                0, 0, 0, 0, 0x01, 5, 0, 0), answer.hex())


def run_upstream_verify_bad_format(svc):
    """parsec 1.1.0's asym_sign_verify.rs verify_hash_bad_format_rsa: a 255- and a
    257-byte hash are the operation's error, not a body that fails to decode."""
    pkcs1 = sign_alg("rsa_pkcs1v15_sign")
    st, _ = call(svc, "generate", gen_pb.Operation(key_name="bad-format", attributes=attrs(
        plain("rsa_key_pair"), 1024, ["sign_hash", "verify_hash"], alg_of(asymmetric_signature=pkcs1))))
    st, out = call(svc, "sign_hash", sign_pb.Operation(key_name="bad-format", alg=pkcs1,
                                                       hash=hashlib.sha256(b"Bob wrote this message.").digest()))
    sig = sign_pb.Result.FromString(out).signature if st == 0 else b""
    for n, fill in ((255, 0xEE), (257, 0xBB)):
        st, _ = call(svc, "verify_hash", verify_pb.Operation(key_name="bad-format", alg=pkcs1,
                                                             hash=bytes([fill]) * n, signature=sig))
        check("RSA verify of a %d-byte hash is PsaErrorInvalidArgument" % n,
              sig and st == ST["invalid_argument"], st)
    # The same for every field the codec used to bound: each is the operation's to judge.
    st, _ = call(svc, "verify_hash", verify_pb.Operation(key_name="bad-format", alg=pkcs1,
                                                         hash=bytes(32), signature=sig + bytes(1000)))
    check("RSA verify of a 1128-byte signature is the operation's error", st == ST["invalid_signature"]
          or st == ST["invalid_argument"], st)
    st, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="bad-format", alg=pkcs1, hash=bytes(65)))
    check("RSA sign of a 65-byte hash is PsaErrorInvalidArgument", st == ST["invalid_argument"], st)
    st, _ = call(svc, "hash_compare", hash_cmp.Operation(alg=A.SHA_256, input=b"abc", hash=bytes(65)))
    check("hash compare with a 65-byte hash is the operation's error",
          st in (ST["invalid_signature"], ST["invalid_argument"]), st)
    gcm = A.Aead(aead_with_default_length_tag=A.Aead.GCM)
    call(svc, "import", import_pb.Operation(key_name="nonce-gcm", attributes=attrs(
        plain("aes"), 128, ["encrypt", "decrypt"], alg_of(aead=gcm)), data=bytes(16)))
    # GCM takes a nonce of any length (GHASH folds a long one): the codec must let it through.
    st, out = call(svc, "aead_encrypt", aead_enc.Operation(key_name="nonce-gcm", alg=gcm, nonce=bytes(65),
                                                           additional_data=b"", plaintext=b"x"))
    ct = aead_enc.Result.FromString(out).ciphertext if st == 0 else b""
    check("AES-GCM with a 65-byte nonce is served, and opens with OpenSSL",
          ct and AESGCM(bytes(16)).decrypt(bytes(65), ct, b"") == b"x", st)
    for name in ("bad-format", "nonce-gcm"):
        call(svc, "destroy", destroy_pb.Operation(key_name=name))


def _ecc_public(curve=KT.SECP_R1):
    t = KT()
    t.ecc_public_key.curve_family = curve
    return t


def can_do(svc, check_type, at):
    return call(svc, "can_do", can_do_pb.Operation(check_type=check_type, attributes=at))[0]


def really_signs(svc, key_type, bits, alg, digest_len):
    """Whether the provider generates such a key and signs with it (the truth CanDoCrypto tells)."""
    st, _ = call(svc, "generate", gen_pb.Operation(key_name="truth", attributes=attrs(
        key_type, bits, ["sign_hash"], alg)))
    if st != 0:
        return False
    st, _ = call(svc, "sign_hash", sign_pb.Operation(key_name="truth", alg=alg.asymmetric_signature,
                                                     hash=bytes(digest_len)))
    call(svc, "destroy", destroy_pb.Operation(key_name="truth"))
    return st == 0


def run_upstream_capability(svc):
    """parsec 1.1.0's capability_discovery.rs. Its rules (src/providers/crypto_capability.rs)
    are followed; where it claims curves and hashes mbedtls 2.28 lacks, the answer is what
    the provider really does, checked here by generating and signing."""
    ecdsa = alg_of(asymmetric_signature=sign_alg("ecdsa"))
    ecc = attrs(ecc_pair(), 256, [], ecdsa)
    check("use_check: an ECC key with no usage flag is NotSupported",
          can_do(svc, can_do_pb.USE, ecc) == ST["not_supported"], can_do(svc, can_do_pb.USE, ecc))
    for flag in ("sign_hash", "sign_message", "verify_hash", "verify_message", "decrypt", "encrypt"):
        at = attrs(ecc_pair(), 256, [flag], ecdsa)
        check("use_check: an ECC key with %s is usable" % flag, can_do(svc, can_do_pb.USE, at) == 0)
    ecdh = alg_of(key_agreement=A.KeyAgreement(raw=A.KeyAgreement.ECDH))
    check("use_check: a key-agreement key with only derive is usable (upstream does not count derive)",
          can_do(svc, can_do_pb.USE, attrs(ecc_pair(), 256, ["derive"], ecdh)) == 0)
    for flag in ("export", "copy"):
        at = attrs(ecc_pair(), 256, [flag], ecdsa)
        check("use_check: an ECC key with only %s is NotSupported" % flag,
              can_do(svc, can_do_pb.USE, at) == ST["not_supported"])
    rsa_none = attrs(plain("rsa_key_pair"), 1024, ["encrypt"])
    check("use_check: a key with algorithm None is NotSupported",
          can_do(svc, can_do_pb.USE, rsa_none) == ST["not_supported"])
    check("generate_check: an ECC key pair with no algorithm can be generated",
          can_do(svc, can_do_pb.GENERATE, attrs(ecc_pair(), 256, ["encrypt"])) == 0)
    # The rest of that file: rsa_encrypt_use_check, derive_check, key_size_check,
    # generate_check, import_check.
    pkcs1 = alg_of(asymmetric_signature=sign_alg("rsa_pkcs1v15_sign"))
    oaep = A.AsymmetricEncryption()
    oaep.rsa_oaep.hash_alg = A.SHA_256
    cases = [
        ("RSA PKCS#1 v1.5 encryption", can_do_pb.GENERATE, attrs(plain("rsa_key_pair"), 1024, ["encrypt"],
         alg_of(asymmetric_encryption=A.AsymmetricEncryption(rsa_pkcs1v15_crypt=A.AsymmetricEncryption.RsaPkcs1v15Crypt()))), 0),
        ("RSA-OAEP SHA-256 encryption", can_do_pb.GENERATE, attrs(plain("rsa_key_pair"), 1024, ["encrypt"],
         alg_of(asymmetric_encryption=oaep)), 0),
        ("derive", can_do_pb.DERIVE, attrs(plain("rsa_key_pair"), 1024, ["derive"], pkcs1), ST["not_supported"]),
        ("use of RSA-256", can_do_pb.USE, attrs(plain("rsa_key_pair"), 256, ["sign_hash"], pkcs1), ST["not_supported"]),
        ("use of RSA-2048", can_do_pb.USE, attrs(plain("rsa_key_pair"), 2048, ["sign_hash"], pkcs1), 0),
        ("use of P-256", can_do_pb.USE, attrs(ecc_pair(), 256, ["sign_hash"], ecdsa), 0),
        ("use of SECP-R1 1024", can_do_pb.USE, attrs(ecc_pair(), 1024, ["sign_hash"], ecdsa), ST["not_supported"]),
        ("use of an RSA key with ECDSA", can_do_pb.USE, attrs(plain("rsa_key_pair"), 1024, ["encrypt"], ecdsa),
         ST["not_supported"]),
        ("generation of an ECC public key", can_do_pb.GENERATE, attrs(_ecc_public(), 256, ["encrypt"], ecdsa),
         ST["not_supported"]),
        ("generation of a P-256 pair with encrypt", can_do_pb.GENERATE, attrs(ecc_pair(), 256, ["encrypt"], ecdsa), 0),
        ("generation of a SECP-R1 1024 pair", can_do_pb.GENERATE, attrs(ecc_pair(), 1024, ["encrypt"]),
         ST["not_supported"]),
        ("import of a P-256 pair", can_do_pb.IMPORT, attrs(ecc_pair(), 256, ["encrypt"], ecdsa), 0),
        ("import of a P-256 public key", can_do_pb.IMPORT, attrs(_ecc_public(), 256, ["encrypt"], ecdsa), 0),
        ("import of a P-256 public key without algorithm", can_do_pb.IMPORT, attrs(_ecc_public(), 256, ["encrypt"]), 0),
    ]
    # Policies of a shortest MAC or tag (parsecd's at_least_this_length): keys the provider makes.
    cmac = A.Mac.FullLength(cmac=A.Mac.FullLength.Cmac())
    for name, alg in (
            ("AES-CMAC truncated to 12", A.Mac(truncated=A.Mac.Truncated(mac_alg=cmac, mac_length=12))),
            ("AES-CMAC of at least 12", A.Mac(truncated=A.Mac.Truncated(mac_alg=cmac, mac_length=12,
                                                                        at_least_this_length=True)))):
        cases.append(("import of an AES key for %s" % name, can_do_pb.IMPORT,
                      attrs(plain("aes"), 128, ["sign_message"], alg_of(mac=alg)), 0))
    gcm12 = A.Aead(aead_with_shortened_tag=A.Aead.AeadWithShortenedTag(
        aead_alg=A.Aead.GCM, tag_length=12, at_least_this_length=True))
    cases.append(("import of an AES key for GCM with a tag of at least 12", can_do_pb.IMPORT,
                  attrs(plain("aes"), 128, ["encrypt"], alg_of(aead=gcm12)), 0))
    for name, check_type, at, want in cases:
        st = can_do(svc, check_type, at)
        check("capability_discovery: %s is %s" % (name, "Ok" if want == 0 else "NotSupported"), st == want, st)
    curves = [(KT.SECP_R1, 256, True), (KT.SECP_R1, 512, False), (KT.SECP_K1, 256, True),
              (KT.SECP_K1, 512, False), (KT.SECT_K1, 409, False), (KT.SECT_K1, 512, False),
              (KT.SECT_R1, 409, False), (KT.SECT_R1, 512, False), (KT.BRAINPOOL_P_R1, 256, True),
              (KT.BRAINPOOL_P_R1, 560, False), (KT.FRP, 256, False), (KT.MONTGOMERY, 448, False),
              (KT.MONTGOMERY, 512, False), (KT.SECP_R1, 192, True), (KT.SECP_K1, 224, False)]
    for family, bits, ok in curves:
        at = attrs(ecc_pair(family), bits, ["sign_hash"], ecdsa)
        st = can_do(svc, can_do_pb.GENERATE, at)
        real = really_signs(svc, ecc_pair(family), bits, ecdsa, 32)
        check("ecc_curve_use_check: %s %d is %s, and the provider %s" % (
              KT.EccFamily.Name(family), bits, "Ok" if ok else "NotSupported",
              "generates and signs" if real else "cannot"),
              (st == 0) == ok and real == ok, (st, real))
    hashes = [(A.RIPEMD160, 20, True), (A.SHA_224, 28, True), (A.SHA_256, 32, True),
              (A.SHA_384, 48, True), (A.SHA_512, 64, True), (A.SHA_512_224, 28, False),
              (A.SHA_512_256, 32, False), (A.SHA3_224, 28, False), (A.SHA3_256, 32, False),
              (A.SHA3_384, 48, False), (A.SHA3_512, 64, False)]
    for h, length, ok in hashes:
        alg = alg_of(asymmetric_signature=sign_alg("rsa_pkcs1v15_sign", h))
        st = can_do(svc, can_do_pb.GENERATE, attrs(plain("rsa_key_pair"), 1024, ["sign_hash"], alg))
        real = really_signs(svc, plain("rsa_key_pair"), 1024, alg, length)
        check("hash_use_check: RSA PKCS#1 v1.5 with %s is %s, and the provider %s" % (
              A.Hash.Name(h), "Ok" if ok else "NotSupported", "signs" if real else "cannot"),
              (st == 0) == ok and real == ok, (st, real))


def run_aes_modes(svc):
    """CanDoCrypto's answer for an AES key per cipher mode is what mbedtls 2.28's PSA does:
    each answer is checked against generating such a key and encrypting two blocks with it."""
    for mode in (A.ECB_NO_PADDING, A.CBC_NO_PADDING, A.CBC_PKCS7, A.CTR, A.CFB, A.OFB):
        at = attrs(plain("aes"), 128, ["encrypt", "decrypt"], alg_of(cipher=mode))
        st = can_do(svc, can_do_pb.GENERATE, at)
        real, _ = call(svc, "generate", gen_pb.Operation(key_name="aes-truth", attributes=at))
        if real == 0:
            real, _ = call(svc, "cipher_encrypt", cipher_enc.Operation(key_name="aes-truth", alg=mode,
                                                                       plaintext=bytes(32)))
            call(svc, "destroy", destroy_pb.Operation(key_name="aes-truth"))
        check("CanDoCrypto: AES with %s is Ok, and the provider encrypts with it" % A.Cipher.Name(mode),
              st == 0 and real == 0, (st, real))


def run_rsa_sizes(svc):
    """Upstream's software provider takes RSA sizes 1024, 2048 and 4096 only; the
    answer here is what mbedtls makes: multiples of 8 from 1024 to 4096 bits."""
    alg = alg_of(asymmetric_signature=sign_alg("rsa_pkcs1v15_sign"))
    for bits, ok in ((3072, True), (1032, True), (1028, False), (4104, False)):
        st = can_do(svc, can_do_pb.GENERATE, attrs(plain("rsa_key_pair"), bits, ["sign_hash"], alg))
        real = really_signs(svc, plain("rsa_key_pair"), bits, alg, 32)
        check("CanDoCrypto for RSA-%d is %s, and the provider %s" % (
              bits, "Ok" if ok else "NotSupported", "generates and signs" if real else "cannot"),
              (st == 0) == ok and real == ok, (st, real))


def agrees(svc, family, bits):
    """Whether two generated keys on the curve reach the same ECDH secret."""
    ka = A.KeyAgreement.ECDH
    at = attrs(ecc_pair(family), bits, ["derive"], alg_of(key_agreement=A.KeyAgreement(raw=ka)))
    pubs = {}
    for name in ("agree-a", "agree-b"):
        call(svc, "generate", gen_pb.Operation(key_name=name, attributes=at))
        st, out = call(svc, "export_public", export_pub_pb.Operation(key_name=name))
        pubs[name] = export_pub_pb.Result.FromString(out).data if st == 0 else b""
    st1, s1 = call(svc, "ecdh", ecdh_pb.Operation(private_key_name="agree-a", alg=ka, peer_key=pubs["agree-b"]))
    st2, s2 = call(svc, "ecdh", ecdh_pb.Operation(private_key_name="agree-b", alg=ka, peer_key=pubs["agree-a"]))
    for name in pubs:
        call(svc, "destroy", destroy_pb.Operation(key_name=name))
    return st1 == 0 and st2 == 0 and s1 == s2 and len(s1) > 0


def run_capability_beyond_signing(svc):
    """What CanDoCrypto now says Ok to besides signatures is really done: ECDH on the
    Koblitz and Brainpool curves, HMAC and OAEP with RIPEMD-160."""
    ecdh = alg_of(key_agreement=A.KeyAgreement(raw=A.KeyAgreement.ECDH))
    for family, bits in ((KT.SECP_K1, 256), (KT.BRAINPOOL_P_R1, 512)):
        st = can_do(svc, can_do_pb.GENERATE, attrs(ecc_pair(family), bits, ["derive"], ecdh))
        check("CanDoCrypto Ok for ECDH on %s %d, and two such keys agree" % (
              KT.EccFamily.Name(family), bits), st == 0 and agrees(svc, family, bits), st)
    hm = A.Mac()
    hm.full_length.hmac.hash_alg = A.RIPEMD160
    at = attrs(plain("hmac"), 160, ["sign_message", "verify_message"], alg_of(mac=hm))
    st0 = can_do(svc, can_do_pb.IMPORT, at)
    call(svc, "import", import_pb.Operation(key_name="hmac-rmd", attributes=at, data=b"\x0b" * 20))
    st, out = call(svc, "mac", mac_pb.Operation(key_name="hmac-rmd", alg=hm, input=b"Hi There"))
    check("CanDoCrypto Ok for HMAC-RIPEMD-160, which matches Python's hmac", st0 == 0 and st == 0 and
          mac_pb.Result.FromString(out).mac == hmac.new(b"\x0b" * 20, b"Hi There", "ripemd160").digest(),
          (st0, st))
    oaep = A.AsymmetricEncryption()
    oaep.rsa_oaep.hash_alg = A.RIPEMD160
    at = attrs(plain("rsa_key_pair"), 1024, ["encrypt", "decrypt"], alg_of(asymmetric_encryption=oaep))
    st0 = can_do(svc, can_do_pb.GENERATE, at)
    call(svc, "generate", gen_pb.Operation(key_name="oaep-rmd", attributes=at))
    st, out = call(svc, "asym_encrypt", asym_enc.Operation(key_name="oaep-rmd", alg=oaep, plaintext=b"hello"))
    ct = asym_enc.Result.FromString(out).ciphertext if st == 0 else b""
    st2, out = call(svc, "asym_decrypt", asym_dec.Operation(key_name="oaep-rmd", alg=oaep, ciphertext=ct))
    check("CanDoCrypto Ok for RSA-OAEP with RIPEMD-160, which round-trips", st0 == 0 and st2 == 0 and
          asym_dec.Result.FromString(out).plaintext == b"hello", (st0, st, st2))
    for name in ("hmac-rmd", "oaep-rmd"):
        call(svc, "destroy", destroy_pb.Operation(key_name=name))


def main():
    svc = eb.Service()
    svc.start()
    try:
        run(svc)
        run_upstream_basic(svc)
        run_upstream_verify_bad_format(svc)
        run_upstream_capability(svc)
        run_capability_beyond_signing(svc)
        run_rsa_sizes(svc)
        run_aes_modes(svc)
        ok, _ = call(svc, "hash", hash_pb.Operation(alg=A.SHA_256, input=b""))
        check("still serving after the misuse", ok == 0, ok)
        run_fast_path(svc)
    finally:
        svc.stop()
        svc.remove()
    svc = eb.Service(provider_extra="advertise_mac_opcodes = true")
    svc.start()
    try:
        st, out = call(svc, "list_opcodes", list_opcodes_pb.Operation(provider_id=1), provider=0)
        ops = set(list_opcodes_pb.Result.FromString(out).opcodes)
        check("advertise_mac_opcodes lists 0x16 and 0x17", st == 0 and {0x16, 0x17} <= ops, ops)
    finally:
        svc.stop()
        svc.remove()
    return summary("e2e_ops")


if __name__ == "__main__":
    sys.exit(main())
