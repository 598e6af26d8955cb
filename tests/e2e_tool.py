#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""parsec-tool and libparsec as users meet them.

- libparsec is installed into a temporary prefix and examples/sign.c is built
  against it through pkg-config, as an application would, and run.
- A scripted parsec-tool session: ECC and RSA keys, signatures and the public
  key checked by OpenSSL, a CSR that `openssl req -verify` accepts, a message
  OpenSSL encrypts with the exported RSA key decrypted through parsec-tool.

Usage: e2e_tool.py TOPDIR
"""
import base64
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature  # noqa: E402

TOOL = os.path.join(eb.TOP, "tool", "parsec-tool")


def tool(svc, *args):
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock, PARSEC_APP_NAME="tool-user")
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, env=env)
    return r.returncode, r.stdout, r.stderr


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True)


def installed_example(svc):
    prefix = tempfile.mkdtemp(prefix="parsecd-prefix.")
    try:
        r = subprocess.run(["make", "-s", "-C", eb.TOP, "install", "DESTDIR=", "prefix=" + prefix,
                            "sysconfdir=" + prefix + "/etc"], capture_output=True, text=True)
        check("make install into a temporary prefix", r.returncode == 0, r.stderr[-500:])
        pc = os.path.join(prefix, "lib", "pkgconfig")
        env = dict(os.environ, PKG_CONFIG_PATH=pc)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libparsec"], capture_output=True,
                               text=True, env=env).stdout.split()
        exe = os.path.join(prefix, "sign-example")
        extra = os.environ.get("PARSEC_EXAMPLE_CFLAGS", "").split()
        r = subprocess.run(["cc", "-o", exe, os.path.join(eb.TOP, "examples", "sign.c")] + extra + flags,
                           capture_output=True, text=True)
        check("examples/sign.c builds from the installed header through pkg-config",
              r.returncode == 0, r.stderr[-500:])
        r = subprocess.run([exe], capture_output=True, text=True,
                           env=dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock,
                                    LD_LIBRARY_PATH=os.path.join(prefix, "lib")))
        check("and signs through the service", r.returncode == 0 and "signed and verified" in r.stdout,
              r.stdout + r.stderr)
        exported = subprocess.run(["nm", "-D", "--defined-only", os.path.join(prefix, "lib", "libparsec.so")],
                                  capture_output=True, text=True).stdout.split("\n")
        foreign = [l for l in exported if l.strip() and " parsec_" not in l and "LIBPARSEC" not in l]
        check("libparsec exports only parsec_* symbols", not foreign, foreign[:5])
        soname = subprocess.run(["objdump", "-p", os.path.join(prefix, "lib", "libparsec.so")],
                                capture_output=True, text=True).stdout
        check("libparsec has a versioned soname", "SONAME               libparsec.so.0" in soname)
    finally:
        subprocess.run(["rm", "-rf", prefix])


def has_word(out, word):
    """Whether word appears in out as a whole word (key names hold '-': "rsa" is not in "rsa-sign")."""
    return re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(word), out) is not None


def scripted_tool(svc):
    d = svc.dir
    rc, out, _ = tool(svc, "ping")
    check("parsec-tool ping", rc == 0 and has_word(out, "1.0"), out)
    rc, _, _ = tool(svc, "create-ecc-key", "--key-name", "ecc")
    rc2, _, _ = tool(svc, "create-rsa-key", "--key-name", "rsa-sign", "--for-signing")
    rc3, _, _ = tool(svc, "create-rsa-key", "--key-name", "rsa")
    check("parsec-tool creates ECC and RSA keys", (rc, rc2, rc3) == (0, 0, 0), (rc, rc2, rc3))
    message = "signed through parsec-tool"
    with open(os.path.join(d, "msg"), "w") as f:
        f.write(message)
    for key in ("ecc", "rsa-sign"):
        rc, pem, _ = tool(svc, "export-public-key", "--key-name", key)
        with open(os.path.join(d, key + ".pem"), "w") as f:
            f.write(pem)
        rc2, sig_b64, _ = tool(svc, "sign", "--key-name", key, message)
        sig = base64.b64decode(sig_b64.strip())
        if key == "ecc":  # PSA's r || s; OpenSSL wants DER
            n = len(sig) // 2
            sig = encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))
        with open(os.path.join(d, key + ".sig"), "wb") as f:
            f.write(sig)
        r = openssl("dgst", "-sha256", "-verify", os.path.join(d, key + ".pem"), "-signature",
                    os.path.join(d, key + ".sig"), os.path.join(d, "msg"))
        check("OpenSSL verifies parsec-tool's %s signature with the exported PEM" % key,
              rc == 0 and rc2 == 0 and r.returncode == 0, r.stdout + r.stderr)
        rc, out, _ = tool(svc, "verify", "--key-name", key, "--signature", sig_b64.strip(), message)
        check("parsec-tool verify accepts it (%s)" % key, rc == 0, out)
        rc, csr, err = tool(svc, "create-csr", "--key-name", key, "--cn", "host.example", "--o", "Parsec")
        r = openssl("req", "-verify", "-noout", "-subject", data=csr.encode())
        check("openssl req -verify accepts parsec-tool's CSR (%s)" % key,
              rc == 0 and r.returncode == 0 and b"host.example" in r.stdout, err + r.stderr.decode())
    rc, pem, _ = tool(svc, "export-public-key", "--key-name", "rsa")
    with open(os.path.join(d, "rsa.pem"), "w") as f:
        f.write(pem)
    ct = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", os.path.join(d, "rsa.pem"),
                 data=b"for parsec-tool").stdout
    rc, out, err = tool(svc, "decrypt", "--key-name", "rsa", base64.b64encode(ct).decode())
    check("parsec-tool decrypts what OpenSSL encrypted with the exported key",
          rc == 0 and out.strip() == "for parsec-tool", (rc, out, err))
    rc, out, _ = tool(svc, "list-keys")
    check("list-keys shows the three keys", rc == 0 and all(has_word(out, k) for k in ("ecc", "rsa-sign", "rsa")), out)
    rc, out, _ = tool(svc, "generate-random", "--nbytes", "24")
    check("generate-random prints base64", rc == 0 and len(base64.b64decode(out.strip())) == 24, out)
    rc, _, err = tool(svc, "sign", "--key-name", "missing", "x")
    check("a refusal exits 1 with the status", rc == 1 and "PsaErrorDoesNotExist" in err, (rc, err))
    rc, _, _ = tool(svc, "sign")
    check("bad usage exits 2", rc == 2, rc)
    rc, out, _ = tool(svc, "sign", "--help")
    check("--help for a subcommand", rc == 0 and "--key-name" in out, out)
    rc, _, _ = tool(svc, "delete-key", "--key-name", "ecc")
    rc2, out, _ = tool(svc, "list-keys")
    check("delete-key removes it", rc == 0 and not has_word(out, "ecc") and has_word(out, "rsa"), out)
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + os.path.join(d, "nothing.sock"))
    r = subprocess.run([TOOL, "ping"], capture_output=True, env=env)
    check("no service exits 3", r.returncode == 3, r.returncode)


def main():
    svc = eb.Service()
    svc.start()
    try:
        installed_example(svc)
        scripted_tool(svc)
    finally:
        svc.stop()
        svc.remove()
    return summary("e2e_tool")


if __name__ == "__main__":
    sys.exit(main())
