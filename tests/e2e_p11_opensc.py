#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""OpenSC's pkcs11-tool, unchanged, through libparsec-pkcs11.so against a real
parsecd: slots and mechanisms listed, keys generated (EC P-256 and P-384,
RSA 2048) with --id and --label and found again by them, signatures (ECDSA,
RSA-PKCS, SHA256-RSA-PKCS, SHA256-RSA-PKCS-PSS) checked by openssl with the
public key the module exports, RSA-OAEP decryption of what openssl
encrypted, EC and RSA private keys imported (--write-object), pkcs11-tool --test
and an HMAC key's SHA256-HMAC and AES-CBC/ECB compared with openssl enc (Mbed Crypto), login with and without a PIN, applications
apart, deletion, and the token gone with the service. On the Mbed Crypto
provider, and on PKCS#11 (SoftHSMv2) and TPM (swtpm) when those are here.

Usage: e2e_p11_opensc.py TOPDIR
"""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

MODULE = os.path.join(eb.TOP, "pkcs11", "libparsec-pkcs11.so")
DATA = b"a message signed through PKCS#11\n"
SLOT_NAMES = {1: "MbedCrypto", 2: "Pkcs11", 3: "Tpm"}
# The EC and RSA key sizes each slot says it makes (the TPM's: parsecd's TPM provider).
KEY_SIZES = {1: ("256,521", "1024,4096"), 2: ("256,521", "1024,4096"), 3: ("256,384", "1024,3072")}


class Tool:
    """pkcs11-tool on one slot as one application (Direct authentication)."""

    def __init__(self, svc, slot, app, work):
        self.env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock,
                        PARSEC_APP_NAME=app)
        self.slot, self.work = slot, work

    def run(self, *args, slot=True):
        cmd = ["pkcs11-tool", "--module", MODULE] + (["--slot", str(self.slot)] if slot else [])
        return subprocess.run(cmd + list(args), env=self.env, capture_output=True, timeout=300)

    def path(self, name):
        return os.path.join(self.work, name)

    def pubkey(self, key_id):
        """The public key as DER SubjectPublicKeyInfo, read through the module."""
        out = self.path("pub-%d-%s.der" % (self.slot, key_id))
        r = self.run("--read-object", "--type", "pubkey", "--id", key_id, "-o", out)
        return out if r.returncode == 0 else None


def ec_pubkey_from_listing(t, key_id):
    """The EC public key from -O's EC_POINT and EC_PARAMS, as DER SubjectPublicKeyInfo.
    pkcs11-tool 0.23 --read-object cannot make a P-384 key ("cannot create EVP_PKEY",
    the same on SoftHSMv2's own module), so the test makes it from the two attributes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    curves = {"06052b81040022": ec.SECP384R1(), "06082a8648ce3d030107": ec.SECP256R1()}
    for o in objects(t):
        if o["kind"] == "Public" and o.get("ID") == key_id and "EC_POINT" in o:
            point = bytes.fromhex(o["EC_POINT"])
            if point[0] != 0x04 or point[1] != len(point) - 2:
                return None  # not a DER OCTET STRING
            key = ec.EllipticCurvePublicKey.from_encoded_point(curves[o["EC_PARAMS"]], point[2:])
            return write(t.path("pub-%d-%s.der" % (t.slot, key_id)), key.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    return None


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True)


def openssl_verify(pub, sig, digest, pss=False):
    opts = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1"] if pss else []
    r = openssl("dgst", "-" + digest, "-keyform", "DER", "-verify", pub, "-signature", sig,
                *opts, data=DATA)
    return r.returncode == 0 and b"Verified OK" in r.stdout


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def keygen(t, key_type, key_id, label, *extra):
    r = t.run("--keypairgen", "--key-type", key_type, "--id", key_id, "--label", label, *extra)
    return r.returncode == 0, (r.stdout + r.stderr).decode(errors="replace")


def objects(t, *extra):
    """pkcs11-tool -O as (kind, label, id) triples."""
    out = t.run("-O", *extra).stdout.decode(errors="replace")
    found, cur = [], None
    for line in out.splitlines():
        m = re.match(r"^(Private|Public) Key Object; (\w+)", line)
        if m:
            cur = {"kind": m.group(1), "type": m.group(2)}
            found.append(cur)
        elif cur is not None and ":" in line:
            k, _, v = line.strip().partition(":")
            cur[k.strip()] = v.strip()
    return found


def test_listing(t, name):
    r = t.run("-L", slot=False)
    out = r.stdout.decode(errors="replace")
    check("%s: -L lists the slot with token label 'Parsec %s'" % (name, SLOT_NAMES[t.slot]),
          r.returncode == 0 and re.search(r"\(0x%x\).*\n\s+token label\s+: Parsec %s"
                                          % (t.slot, SLOT_NAMES[t.slot]), out), out)
    r = t.run("-M")
    out = r.stdout.decode(errors="replace")
    want = ["ECDSA-KEY-PAIR-GEN", "RSA-PKCS-KEY-PAIR-GEN", "ECDSA,", "ECDSA-SHA256",
            "RSA-PKCS,", "SHA256-RSA-PKCS,", "RSA-PKCS-PSS", "SHA256-RSA-PKCS-PSS",
            "RSA-PKCS-OAEP", "SHA256, digest"]
    missing = [m for m in want if m not in out]
    check("%s: -M lists the signature, decryption, key generation and digest mechanisms" % name,
          r.returncode == 0 and not missing, "missing %s in %s" % (missing, out))
    ec, rsa = KEY_SIZES[t.slot]
    check("%s: key sizes: EC {%s}, RSA {%s}" % (name, ec, rsa),
          "ECDSA-KEY-PAIR-GEN, keySize={%s}" % ec in out and
          "RSA-PKCS-KEY-PAIR-GEN, keySize={%s}" % rsa in out, out)
    ok, out = keygen(t, "rsa:8192", "ff", "too-big")
    check("%s: an RSA size the slot does not make is CKR_KEY_SIZE_RANGE" % name,
          not ok and "CKR_KEY_SIZE_RANGE" in out, out)


def test_ec(t, name, curve, key_id, digest, bits):
    ok, out = keygen(t, "EC:" + curve, key_id, "ec%d" % bits)
    check("%s: --keypairgen EC %s --id %s" % (name, curve, key_id), ok, out)
    objs = [o for o in objects(t) if o.get("ID") == key_id]
    check("%s: -O shows a private and a public EC object with ID %s and label ec%d"
          % (name, key_id, bits),
          sorted(o["kind"] for o in objs) == ["Private", "Public"] and
          all(o["type"] == "EC" and o.get("label") == "ec%d" % bits for o in objs), objs)
    pub = t.pubkey(key_id) if bits == 256 else ec_pubkey_from_listing(t, key_id)
    r = openssl("pkey", "-pubin", "-inform", "DER", "-in", pub or "/none", "-text", "-noout")
    check("%s: the P-%d public key (CKA_EC_POINT, CKA_EC_PARAMS) is one openssl takes"
          % (name, bits), r.returncode == 0 and b"%d bit" % bits in r.stdout, r.stdout + r.stderr)
    hashed = write(t.path("hash-" + key_id), hashlib.new(digest, DATA).digest())
    sig = t.path("sig-" + key_id)
    r = t.run("--sign", "--id", key_id, "-m", "ECDSA", "-i", hashed, "-o", sig,
              "--signature-format", "openssl")
    check("%s: ECDSA P-%d signature of a %s hash, verified by openssl" % (name, bits, digest),
          r.returncode == 0 and pub is not None and openssl_verify(pub, sig, digest), r.stderr)
    mech = "ECDSA-" + digest.upper()
    r = t.run("--sign", "--id", key_id, "-m", mech, "-i", write(t.path("data"), DATA), "-o", sig,
              "--signature-format", "openssl")
    check("%s: %s over the message (hashed in the module), verified by openssl" % (name, mech),
          r.returncode == 0 and pub is not None and openssl_verify(pub, sig, digest), r.stderr)


def test_rsa_pkcs(t, name):
    ok, out = keygen(t, "rsa:2048", "02", "rsa")
    check("%s: --keypairgen rsa:2048 --id 02" % name, ok, out)
    pub = t.pubkey("02")
    data = write(t.path("data"), DATA)
    sig = t.path("sig-rsa")
    r = t.run("--sign", "--id", "02", "-m", "SHA256-RSA-PKCS", "-i", data, "-o", sig)
    check("%s: SHA256-RSA-PKCS signature verified by openssl" % name,
          r.returncode == 0 and pub is not None and openssl_verify(pub, sig, "sha256"), r.stderr)
    # RSA-PKCS over a DigestInfo is the SHA-256 signature of that hash.
    digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + \
        hashlib.sha256(DATA).digest()
    r = t.run("--sign", "--id", "02", "-m", "RSA-PKCS", "-i", write(t.path("di"), digest_info),
              "-o", sig)
    check("%s: RSA-PKCS over a SHA-256 DigestInfo verified by openssl" % name,
          r.returncode == 0 and pub is not None and openssl_verify(pub, sig, "sha256"), r.stderr)
    if t.slot == 1:
        # Raw PKCS#1 v1.5 of data that is no DigestInfo (Mbed Crypto signs it; every slot
        # verifies it, in the module, with the public key).
        raw = write(t.path("raw"), b"raw data, no DigestInfo")
        r = t.run("--sign", "--id", "02", "-m", "RSA-PKCS", "-i", raw, "-o", sig)
        o = openssl("pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", pub or "/none",
                    "-in", raw, "-sigfile", sig)
        v = t.run("--verify", "--id", "02", "-m", "RSA-PKCS", "-i", raw, "--signature-file", sig)
        bad = t.run("--verify", "--id", "02", "-m", "RSA-PKCS", "-i", write(t.path("raw2"), b"x"),
                    "--signature-file", sig)
        check("%s: raw RSA-PKCS: openssl and C_Verify accept the signature, C_Verify refuses "
              "it for other data" % name, r.returncode == 0 and o.returncode == 0 and
              b"Signature is valid" in v.stdout and b"Invalid signature" in bad.stdout,
              (r.stderr, o.stdout, v.stdout, bad.stdout, bad.stderr))
    r = t.run("--sign", "--id", "02", "-m", "RSA-PKCS-PSS", "--hash-algorithm", "SHA256",
              "-i", write(t.path("h"), hashlib.sha256(DATA).digest()), "-o", sig)
    check("%s: a PKCS#1 v1.5 key refuses PSS (one algorithm per key)" % name,
          r.returncode != 0 and b"CKR_KEY_FUNCTION_NOT_PERMITTED" in r.stderr, r.stderr)


def test_rsa_pss(t, name):
    ok, out = keygen(t, "rsa:2048", "03", "pss", "--allowed-mechanisms",
                     "RSA-PKCS-PSS,SHA256-RSA-PKCS-PSS")
    check("%s: --keypairgen rsa:2048 for PSS (--allowed-mechanisms)" % name, ok, out)
    pub = t.pubkey("03")
    sig = t.path("sig-pss")
    r = t.run("--sign", "--id", "03", "-m", "SHA256-RSA-PKCS-PSS", "-i",
              write(t.path("data"), DATA), "-o", sig)
    check("%s: SHA256-RSA-PKCS-PSS signature verified by openssl" % name,
          r.returncode == 0 and pub is not None and openssl_verify(pub, sig, "sha256", pss=True),
          r.stderr)


def test_rsa_oaep(t, name):
    ok, out = keygen(t, "rsa:2048", "04", "oaep", "--usage-decrypt")
    check("%s: --keypairgen rsa:2048 --usage-decrypt" % name, ok, out)
    pub = t.pubkey("04")
    secret = b"decrypted through the module"
    ct = t.path("ct")
    r = openssl("pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", pub or "/none",
                "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                "-pkeyopt", "rsa_mgf1_md:sha256", "-out", ct, data=secret)
    r = t.run("--decrypt", "--id", "04", "-m", "RSA-PKCS-OAEP", "--hash-algorithm", "SHA256",
              "--mgf", "MGF1-SHA256", "-i", ct) if r.returncode == 0 else r
    check("%s: RSA-PKCS-OAEP (SHA-256) decrypts what openssl encrypted" % name,
          r.returncode == 0 and r.stdout == secret, (r.stdout, r.stderr))


def test_import(t, name):
    """--write-object of an EC and an RSA private key (C_CreateObject): the service signs with
    them what openssl verifies with the public key kept aside."""
    for kind in ("ec", "rsa"):
        pem = t.path("imp-%s.pem" % kind)
        der = t.path("imp-%s.der" % kind)
        pub = t.path("imp-%s-pub.der" % kind)
        if kind == "ec":
            openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", pem)
        else:
            openssl("genrsa", "-out", pem, "2048")
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", pem, "-outform", "DER", "-out", der)
        openssl("pkey", "-in", pem, "-pubout", "-outform", "DER", "-out", pub)
        key_id = "21" if kind == "ec" else "22"
        r = t.run("--write-object", der, "--type", "privkey", "--id", key_id, "--label",
                  "imported-" + kind)
        if t.slot == 3:
            # parsecd's TPM provider makes its keys in the TPM and imports none.
            check("%s: importing an %s private key is refused" % (name, kind.upper()),
                  r.returncode != 0 and b"CKR_TEMPLATE_INCONSISTENT" in r.stderr, r.stderr)
            continue
        sig = t.path("imp-sig-" + kind)
        mech = "ECDSA-SHA256" if kind == "ec" else "SHA256-RSA-PKCS"
        s = t.run("--sign", "--id", key_id, "-m", mech, "-i", write(t.path("data"), DATA),
                  "-o", sig, *(["--signature-format", "openssl"] if kind == "ec" else []))
        check("%s: an imported %s private key signs what openssl verifies with its public key"
              % (name, kind.upper()), r.returncode == 0 and s.returncode == 0 and
              openssl_verify(pub, sig, "sha256"), (r.stderr, s.stderr))


def test_hmac(t, name):
    """An HMAC key (--keygen GENERIC:32): SHA256-HMAC made and checked in the service."""
    r = t.run("--keygen", "--key-type", "GENERIC:32", "--id", "31", "--label", "hmac")
    ok, out = r.returncode == 0, (r.stdout + r.stderr).decode(errors="replace")
    check("%s: --keygen GENERIC:32 makes a 32-byte secret key object" % name,
          ok and "Secret Key Object; Generic secret length 32" in out, out)
    data = write(t.path("hmac-data"), DATA)
    mac = t.path("hmac")
    r = t.run("--sign", "-m", "SHA256-HMAC", "--id", "31", "-i", data, "-o", mac)
    good = t.run("--verify", "-m", "SHA256-HMAC", "--id", "31", "-i", data, "--signature-file", mac)
    bad = t.run("--verify", "-m", "SHA256-HMAC", "--id", "31", "-i",
                write(t.path("hmac-other"), DATA + b"!"), "--signature-file", mac)
    check("%s: SHA256-HMAC: a 32-byte MAC that verifies for its data and not for other data"
          % name, r.returncode == 0 and os.path.getsize(mac) == 32 and
          b"Signature is valid" in good.stdout and b"Invalid signature" in bad.stdout,
          (r.stderr, good.stdout, bad.stdout))


def test_aes(t, name):
    """An AES key imported (--write-object --type secrkey), AES-CBC with the caller's IV and
    AES-ECB through pkcs11-tool, compared with openssl enc on the same key; AES:32 generated."""
    key, iv = "000102030405060708090a0b0c0d0e0f", "f0e0d0c0b0a090807060504030201000"
    r = t.run("--write-object", write(t.path("aes.key"), bytes.fromhex(key)), "--type",
              "secrkey", "--key-type", "AES:16", "--id", "41", "--label", "aes-import",
              "--usage-decrypt")
    check("%s: --write-object imports an AES-128 key" % name, r.returncode == 0, r.stderr)
    data = write(t.path("aes-data"), (DATA * 3)[:96])
    for mech, cipher, extra in (("AES-CBC", "aes-128-cbc", ["-iv", iv]),
                                ("AES-ECB", "aes-128-ecb", [])):
        ct = t.path("aes-ct-" + mech)
        r = t.run("--encrypt", "-m", mech, "--id", "41", "-i", data, "-o", ct,
                  *(["--iv", iv] if extra else []))
        want = openssl("enc", "-" + cipher, "-K", key, "-nopad", "-in", data, *extra)
        got = open(ct, "rb").read() if r.returncode == 0 else b""
        check("%s: pkcs11-tool --encrypt -m %s gives what openssl enc -%s does"
              % (name, mech, cipher), r.returncode == 0 and len(got) == 96 and
              got == want.stdout, (r.stderr, got.hex(), want.stdout.hex(), want.stderr))
        back = t.path("aes-pt-" + mech)
        r = t.run("--decrypt", "-m", mech, "--id", "41", "-i", ct, "-o", back,
                  *(["--iv", iv] if extra else []))
        check("%s: pkcs11-tool --decrypt -m %s gives the data back" % (name, mech),
              r.returncode == 0 and open(back, "rb").read() == open(data, "rb").read(), r.stderr)
    r = t.run("--keygen", "--key-type", "AES:32", "--id", "42", "--label", "aes-gen")
    out = (r.stdout + r.stderr).decode(errors="replace")
    check("%s: --keygen AES:32 makes a 32-byte AES secret key object" % name,
          r.returncode == 0 and "Secret Key Object; AES length 32" in out, out)


def test_login(t, name):
    hashed = write(t.path("hash-login"), hashlib.sha256(DATA).digest())
    r = t.run("--login", "--pin", "any-pin", "--sign", "--id", "01", "-m", "ECDSA", "-i", hashed,
              "-o", t.path("sig-login"))
    check("%s: --login with any PIN signs too (no PIN is needed or kept)" % name,
          r.returncode == 0, r.stderr)


def test_apart(svc, t, name, slot, work):
    other = Tool(svc, slot, "p11-other-" + name, work)
    objs = objects(other)
    check("%s: another application sees none of these keys" % name, objs == [], objs)
    r = other.run("--sign", "--id", "01", "-m", "ECDSA", "-i",
                  write(t.path("h"), hashlib.sha256(DATA).digest()), "-o", t.path("x"))
    check("%s: nor signs with them" % name, r.returncode != 0, r.stdout)


def test_delete(t, name):
    r = t.run("--delete-object", "--type", "pubkey", "--id", "02")
    check("%s: the public half of a pair cannot be deleted alone" % name,
          r.returncode != 0 and any(o.get("ID") == "02" for o in objects(t)), r.stderr)
    r = t.run("--delete-object", "--type", "privkey", "--id", "02")
    check("%s: deleting the private key removes the key" % name,
          r.returncode == 0 and not any(o.get("ID") == "02" for o in objects(t)), r.stderr)


def test_selftest(svc, slot, name, work):
    """pkcs11-tool --test on a namespace of RSA PKCS#1, EC and RSA-OAEP keys."""
    t = Tool(svc, slot, "p11-selftest-" + name, work)
    for args in (("rsa:2048", "11", "rsa-t"), ("EC:prime256v1", "12", "ec-t")):
        keygen(t, *args)
    keygen(t, "rsa:2048", "13", "oaep-t", "--usage-decrypt")
    # Signatures are tested in a user session only: --login (any PIN) makes it one.
    r = t.run("--test", "--login", "--pin", "any-pin")
    out = r.stdout.decode(errors="replace")
    check("%s: pkcs11-tool --test: no errors, signatures and OAEP decryption tested" % name,
          r.returncode == 0 and "No errors" in out and "all 4 signature functions seem to work"
          in out and "RSA-PKCS-OAEP" in out, out + r.stderr.decode(errors="replace"))


def run_slot(svc, slot, name, work):
    # A name is unique for an application across the providers: one application per slot.
    t = Tool(svc, slot, "p11-opensc-" + name, work)
    test_listing(t, name)
    test_ec(t, name, "prime256v1", "01", "sha256", 256)
    test_ec(t, name, "secp384r1", "05", "sha384", 384)
    test_rsa_pkcs(t, name)
    test_rsa_pss(t, name)
    test_rsa_oaep(t, name)
    test_login(t, name)
    test_import(t, name)
    test_apart(svc, t, name, slot, work)
    test_delete(t, name)
    # --test's first RSA signature is over a SHA-1 DigestInfo, which parsecd's PKCS#11 and
    # TPM providers do not sign: there it stops at that signature.
    if slot == 1:
        test_selftest(svc, slot, name, work)
        # Mbed Crypto says (CanDoCrypto) that it makes HMAC keys; the others do not say.
        test_hmac(t, name)
        # AES block modes need a provider that keeps ECB keys: Mbed Crypto.
        test_aes(t, name)


def main():
    if os.environ.get("PARSEC_SANITIZED"):
        # The sanitizer build's module wants ASan's runtime loaded first by the program
        # that opens it, and the real programs here are not built with it. That build
        # still runs the module under ASan in check_pkcs11 (an ASan program loading it),
        # and make check runs it under valgrind.
        print("e2e_p11_opensc: skipped: the programs that would load the sanitizer build's module "
              "are not sanitized")
        return 77
    if not os.path.exists(MODULE):
        print("e2e_p11_opensc: %s not built" % MODULE)
        return 1
    base = tempfile.mkdtemp(prefix="parsecd-p11.")
    os.chmod(base, 0o755)
    extra, slots = "", [(1, "mbed")]
    if softhsmlib.available():
        extra += softhsmlib.Token(base).provider_table()
        slots.append((2, "softhsm"))
    tpm = None
    if swtpmlib.available():
        tpm = swtpmlib.Swtpm().__enter__()
        extra += ('\n[[provider]]\nprovider_type = "Tpm"\nkey_info_manager = "sqlite-manager"\n'
                  'tcti = "%s"\n' % tpm.tcti)
        slots.append((3, "tpm"))
    svc = eb.Service(auth="Direct", directory=base, provider_extra=extra)
    work = tempfile.mkdtemp(prefix="p11-opensc.")
    try:
        svc.start()
        for slot, name in slots:
            run_slot(svc, slot, name, work)
        svc.stop()
        r = Tool(svc, 1, "p11-opensc", work).run("-L", slot=False)
        check("with the service stopped no token is present",
              b"token label" not in r.stdout, r.stdout)
    finally:
        svc.stop()
        if tpm is not None:
            tpm.__exit__(None, None, None)
        subprocess.run(["rm", "-rf", work])
        svc.remove()
    return summary("e2e_p11_opensc")


if __name__ == "__main__":
    sys.exit(main())
