#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""parsec-tool and libparsec as users meet them.

- libparsec is installed into a temporary prefix and examples/sign.c is built
  against it through pkg-config, as an application would, and run.
- parsec-tool's command line is upstream parsec-tool 0.7's: help, usage errors
  (exit 2), failures (exit 1), --version, --timeout and what each listing prints.
- For each provider (Mbed Crypto; PKCS#11 on SoftHSMv2 and TPM on swtpm when
  they are installed) the checks upstream's tests/parsec-cli-tests.sh makes, in
  our own words: random bytes when the provider lists PsaGenerateRandom, RSA
  PKCS#1 v1.5 and OAEP encryption both ways with OpenSSL, an ECDSA signature
  OpenSSL verifies, CSRs for RSA PKCS#1 v1.5, RSA-PSS and ECC keys that
  `openssl req -verify` accepts with the serialNumber in the subject, and RSA
  keys of 2048 and 1024 bits (and the same with 1024-bit RSA throughout).
- PARSEC_CLI_TESTS=/path/to/parsec-cli-tests.sh (upstream's script, which is
  not in this repository) also runs that script against each provider, with
  the options upstream's CI gives it (-d, and -d --rsa-key-size 1024).

Usage: e2e_tool.py TOPDIR
"""
import base64
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402

TOOL = os.path.join(eb.TOP, "tool", "parsec-tool")


def tool_env(svc):
    return dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock, PARSEC_APP_NAME="tool-user",
                RUST_LOG="info")


def tool(svc, *args):
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, env=tool_env(svc), timeout=300)
    return r.returncode, r.stdout, r.stderr


def has_word(out, word):
    """Whether word appears in out as a whole word (key names hold '-': "rsa" is not in "rsa-sign")."""
    return re.search(r"(?<![\w.-])%s(?![\w.-])" % re.escape(word), out) is not None


def cli_surface(svc):
    """The command line itself, as upstream's tool presents it."""
    rc, out, err = tool(svc, "ping")
    check("ping prints the wire protocol version alone", rc == 0 and out == "1.0\n"
          and "[INFO ] Service wire protocol version" in err, (rc, out, err))
    rc, out, _ = tool(svc, "list-providers")
    check("list-providers: 'ID: 0x01 (Mbed Crypto provider)' then its fields",
          rc == 0 and re.search(r"^ID: 0x01 \(Mbed Crypto provider\)\nDescription: .+\nVersion: \d+\.\d+\.\d+\n"
                                r"Vendor: .+\nUUID: [0-9a-f-]{36}\n\n", out, re.M) is not None, out)
    rc, out, _ = tool(svc, "list-authenticators")
    check("list-authenticators names the authenticator", rc == 0 and "ID: 0x01 (Direct authentication)\n" in out, out)
    rc, out, _ = tool(svc, "-p", "1", "list-opcodes")
    check("list-opcodes prints each opcode with its name", rc == 0 and "0x0d (PsaGenerateRandom)\n" in out
          and "0x04 (PsaSignHash)\n" in out, out)
    rc, out2, _ = tool(svc, "list-opcodes", "--provider", "1")
    check("list-opcodes takes its own --provider", rc == 0 and out2 == out, out2)
    rc, out, _ = tool(svc, "list-opcodes")
    check("without a provider, list-opcodes lists the core provider's", rc == 0 and "0x01 (Ping)\n" in out
          and "PsaSignHash" not in out, out)
    rc, out, _ = tool(svc, "-V")
    rc2, out2, _ = tool(svc, "--version")
    check("-V and --version print 'parsec-tool VERSION'", rc == rc2 == 0 and out == out2
          and re.match(r"^parsec-tool \d+\.\d+", out), out)
    rc, out, _ = tool(svc, "--help")
    check("--help lists every subcommand and the global options", rc == 0 and all(
        c in out for c in ("create-csr", "generate-random", "list-clients", "verify", "import-key",
                           "-t, --timeout <TIMEOUT>", "-p, --provider <PROVIDER>", "-V, --version")), out)
    rc, out, _ = tool(svc, "create-rsa-key", "--help")
    check("a subcommand's --help lists its flags, long and short", rc == 0 and all(
        f in out for f in ("-k, --key-name <KEY_NAME>", "-s, --for-signing", "-r, --for-signing-pss",
                           "-b, --bits <BITS>", "-o, --oaep")), out)
    rc, out, _ = tool(svc, "help", "create-csr")
    check("help SUBCOMMAND is that subcommand's help", rc == 0 and "--san <SUBJECT_ALTERNATIVE_NAME>" in out
          and "--serialNumber <SERIAL_NUMBER>" in out, out)
    rc, out, err = tool(svc)
    check("no subcommand: the help on stderr, exit 2", rc == 2 and out == "" and "Commands:" in err, (rc, err))
    for args, words in ((("sign",), "the following required arguments were not provided"),
                        (("sign", "-k", "k", "a", "b"), "unexpected argument 'b'"),
                        (("create-rsa-key", "-k", "k", "--colour"), "unexpected argument '--colour'"),
                        (("generate-random", "--nbytes", "x"), "invalid value 'x' for '--nbytes <NBYTES>'"),
                        (("-p", "256", "ping"), "256 is not in 0..=255"),
                        (("ping", "-p", "1"), "unexpected argument '-p'"),
                        (("frobnicate",), "unrecognized subcommand 'frobnicate'")):
        rc, out, err = tool(svc, *args)
        check("bad usage %s: exit 2, 'error: %s'" % (" ".join(args), words),
              rc == 2 and err.startswith("error: ") and words in err and "Usage: parsec-tool" in err, (rc, err))
    rc, _, err = tool(svc, "sign", "--key-name", "missing", "x")
    check("a failure exits 1 with '[ERROR] Subcommand failed' and the status", rc == 1
          and "[ERROR] Subcommand failed:" in err and "PsaErrorDoesNotExist" in err, (rc, err))
    rc, _, err = tool(svc, "-p", "9", "list-keys")
    check("-p with no such provider id exits 1", rc == 1 and "does not map with an existing provider" in err, err)
    rc, _, err = tool(svc, "-p", "3", "list-keys")
    rc2, _, err2 = tool(svc, "-p", "3", "create-ecc-key", "-k", "nowhere")
    check("-p names a provider the service lacks: core operations still work, key operations exit 1",
          rc == 0 and rc2 == 1 and "[ERROR]" in err2, (rc, err, rc2, err2))
    r = subprocess.run([TOOL, "list-keys"], capture_output=True, text=True,
                       env=dict(tool_env(svc), RUST_LOG="error"))
    check("RUST_LOG=error silences the [INFO ] lines", r.returncode == 0 and r.stderr == "", r.stderr)
    rc, out, _ = tool(svc, "-t", "5", "ping")
    check("-t/--timeout is accepted", rc == 0 and out == "1.0\n", out)
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + os.path.join(svc.dir, "nothing.sock"))
    r = subprocess.run([TOOL, "ping"], capture_output=True, text=True, env=env)
    check("no service: exit 1 with an [ERROR] line", r.returncode == 1 and "[ERROR]" in r.stderr, r.stderr)


def timeout_bounds_a_silent_service(d):
    """--timeout N gives up on a service that accepts but never answers."""
    path = os.path.join(d, "silent.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(4)
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + path)
    start = time.time()
    r = subprocess.run([TOOL, "-t", "1", "ping"], capture_output=True, text=True, env=env, timeout=60)
    took = time.time() - start
    srv.close()
    check("-t 1 against a silent service: exit 1 within seconds", r.returncode == 1 and took < 10,
          (r.returncode, took, r.stderr))


def openssl(*args, data=None):
    return subprocess.run(["openssl"] + list(args), input=data, capture_output=True)


class ProviderRun:
    """One provider's session; keys and files live in the service's directory."""

    def __init__(self, svc, provider, name):
        self.svc, self.provider, self.name = svc, str(provider), name

    def tool(self, *args):
        return tool(self.svc, "-p", self.provider, *args)

    def path(self, f):
        return os.path.join(self.svc.dir, f)

    def create(self, kind, key, *flags):
        rc, _, err = self.tool("create-%s-key" % kind, "--key-name", key, *flags)
        rc2, listed, _ = self.tool("list-keys")
        rc3, pem, _ = self.tool("export-public-key", "--key-name", key)
        with open(self.path(key + ".pem"), "w") as f:
            f.write(pem)
        return rc == 0 and rc2 == 0 and rc3 == 0 and has_word(listed, key) and "BEGIN PUBLIC KEY" in pem, err

    def delete(self, key):
        rc, _, _ = self.tool("delete-key", "--key-name", key)
        check("%s: delete-key %s" % (self.name, key), rc == 0, rc)


def check_random(run):
    rc, out, _ = run.tool("list-opcodes")
    if "PsaGenerateRandom" not in out:
        print("# %s: no PsaGenerateRandom" % run.name)
        return
    rc, out, _ = run.tool("generate-random", "--nbytes", "10")
    check("%s: generate-random --nbytes 10 prints ten hex bytes" % run.name,
          rc == 0 and re.match(r"^([0-9A-F]{2} ){10}\n$", out), out)


def check_encryption(run, scheme, bits):
    flags = ("--oaep",) if scheme == "OAEP" else ()
    flags += ("--bits", bits) if bits else ()
    key = "enc-" + scheme.lower()
    ok, err = run.create("rsa", key, *flags)
    check("%s: create-rsa-key %s" % (run.name, " ".join(flags)), ok, err)
    text = "%s %s encryption through parsec-tool" % (time.ctime(), scheme)
    rc, ct, _ = run.tool("encrypt", "--key-name", key, text)
    rc2, out, err = run.tool("decrypt", ct.strip(), "--key-name", key)
    check("%s: %s encrypt then decrypt gives the text back" % (run.name, scheme),
          rc == 0 and rc2 == 0 and out == text + "\n", (rc, rc2, out, err))
    opts = ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"] if scheme == "OAEP" else []
    ct = openssl("pkeyutl", "-encrypt", *opts, "-pubin", "-inkey", run.path(key + ".pem"),
                 data=text.encode()).stdout
    rc, out, err = run.tool("decrypt", base64.b64encode(ct).decode(), "--key-name", key)
    check("%s: decrypt takes what OpenSSL encrypted (%s) with the exported key" % (run.name, scheme),
          rc == 0 and len(ct) > 0 and out == text + "\n", (rc, out, err))
    ct = openssl("pkeyutl", "-encrypt", *opts, "-pubin", "-inkey", run.path(key + ".pem"),
                 data=b"caf\xc3\xa9 \xff\xe2\x82!").stdout
    rc, out, err = run.tool("decrypt", base64.b64encode(ct).decode(), "--key-name", key)
    check("%s: decrypt prints UTF-8 text, each invalid part as U+FFFD (%s)" % (run.name, scheme),
          rc == 0 and out == "caf\u00e9 \ufffd\ufffd!\n", (rc, out, err))
    run.delete(key)


def check_signing(run):
    ok, err = run.create("ecc", "sig-ecc")
    check("%s: create-ecc-key" % run.name, ok, err)
    text = "%s signature through parsec-tool" % time.ctime()
    rc, sig, err = run.tool("sign", text, "--key-name", "sig-ecc")
    with open(run.path("sig.bin"), "wb") as f:
        f.write(base64.b64decode(sig.strip() or "AA=="))
    with open(run.path("sig.txt"), "w") as f:
        f.write(text)
    r = openssl("dgst", "-sha256", "-verify", run.path("sig-ecc.pem"), "-signature", run.path("sig.bin"),
                run.path("sig.txt"))
    check("%s: OpenSSL verifies the base64 DER ECDSA signature sign prints" % run.name,
          rc == 0 and r.returncode == 0, (err, r.stdout, r.stderr))
    rc, out, err = run.tool("verify", "--key-name", "sig-ecc", "--signature", sig.strip(), text)
    rc2, _, _ = run.tool("verify", "--key-name", "sig-ecc", "--signature", sig.strip(), text + "!")
    check("%s: verify accepts it and refuses other text" % run.name, rc == 0 and rc2 == 1, (rc, rc2, err))
    run.delete("sig-ecc")


def check_csr(run, kind, flags, bits):
    flags = flags + (("--bits", bits) if bits and kind == "rsa" else ())
    ok, err = run.create(kind, "csr-key", *flags)
    check("%s: a %s key %s for a CSR" % (run.name, kind, " ".join(flags)), ok, err)
    rc, csr, err = run.tool("create-csr", "--cn", "parsec.example", "--san", "localhost", "--serialNumber",
                            "EZ4U2CIXL", "--key-name", "csr-key")
    r = openssl("req", "-text", "-noout", "-verify", data=csr.encode())
    text = r.stdout.decode()
    subject = [line for line in text.splitlines() if "Subject:" in line]
    check("%s: openssl req -verify accepts the CSR of a %s key %s, serialNumber in its subject"
          % (run.name, kind, " ".join(flags)),
          rc == 0 and r.returncode == 0 and subject and "serialNumber = EZ4U2CIXL" in subject[0]
          and "DNS:localhost" in text, (err, r.stderr, subject))
    run.delete("csr-key")


def check_rsa_bits(run, bits):
    flags = ("--bits", str(bits)) if bits != 2048 else ()
    ok, err = run.create("rsa", "bits-key", *flags)
    r = openssl("rsa", "-pubin", "-text", "-noout", "-in", run.path("bits-key.pem"))
    check("%s: create-rsa-key %s makes a %d-bit key" % (run.name, " ".join(flags) or "(default)", bits),
          ok and "Public-Key: (%d bit)" % bits in r.stdout.decode(), (err, r.stdout[:80]))
    run.delete("bits-key")


def many_keys(svc):
    """A key found among many: libparsec looks a key's attributes up in the whole ListKeys
    answer (export-public-key needs them), so the 300th key of an application is found."""
    app = eb.App(svc, "tool-user")
    names = ["many-%03d" % i for i in range(299)] + ["zz-last"]
    made = [n for n in names if app.generate(n) == 0]
    st, listed = app.keys()
    check("300 keys made and listed", made == names and st == 0 and len(listed) == 300,
          (len(made), st, len(listed or [])))
    rc, out, err = tool(svc, "export-public-key", "--key-name", "zz-last")
    check("export-public-key finds the 300th key's attributes and prints its public key",
          rc == 0 and out.startswith("-----BEGIN PUBLIC KEY-----"), (rc, out[:60], err))
    for n in made:
        app.destroy(n)
    st, listed = app.keys()
    check("the 300 keys are gone", st == 0 and listed == [], (st, len(listed or [])))


def provider_suite(svc, provider, name, rsa_bits=None):
    """What upstream's parsec-cli-tests.sh checks, for one provider."""
    run = ProviderRun(svc, provider, name + (" %s-bit RSA" % rsa_bits if rsa_bits else ""))
    check_random(run)
    for scheme in ("PKCS1v15", "OAEP"):
        check_encryption(run, scheme, rsa_bits)
    check_signing(run)
    check_csr(run, "rsa", ("--for-signing",), rsa_bits)
    check_csr(run, "rsa", ("--for-signing-pss",), rsa_bits)
    check_csr(run, "ecc", (), None)
    check_rsa_bits(run, int(rsa_bits or 2048))
    check_rsa_bits(run, int(rsa_bits or 1024))
    rc, out, _ = run.tool("list-keys")
    check("%s: no key left behind" % run.name, rc == 0 and out == "", out)


def upstream_script(svc, provider, name):
    """Upstream's own script, when PARSEC_CLI_TESTS names it, with its CI's options."""
    script = os.environ.get("PARSEC_CLI_TESTS")
    if not script:
        return
    for opts in (["-d"], ["-d", "--rsa-key-size", "1024"]):
        env = dict(tool_env(svc), PARSEC_TOOL=TOOL)
        env.pop("RUST_LOG")
        # The script tees to /dev/stderr, which must be a pipe, not a file it would truncate.
        r = subprocess.run(["sh", script, "-%d" % provider] + opts, capture_output=True, text=True, env=env,
                           timeout=900)
        check("%s: upstream's parsec-cli-tests.sh -%d %s exits 0" % (name, provider, " ".join(opts)),
              r.returncode == 0 and "Testing " in r.stdout, (r.returncode, (r.stdout + r.stderr)[-3000:]))


def with_provider(provider, name, extra=""):
    svc = eb.Service(provider_extra=extra)
    svc.start()
    try:
        provider_suite(svc, provider, name)
        upstream_script(svc, provider, name)
    finally:
        svc.stop()
        svc.remove()


def other_providers():
    if softhsmlib.available():
        d = tempfile.mkdtemp(prefix="parsecd-tool-hsm.")
        os.chmod(d, 0o755)
        try:
            with_provider(2, "PKCS#11 (SoftHSMv2)", softhsmlib.Token(d).provider_table())
        finally:
            subprocess.run(["rm", "-rf", d])
    else:
        print("# SoftHSMv2 missing: the PKCS#11 provider is not tried")
    if swtpmlib.available():
        with swtpmlib.Swtpm() as tpm:
            with_provider(3, "TPM (swtpm)", '\n[[provider]]\nprovider_type = "Tpm"\n'
                          'key_info_manager = "sqlite-manager"\ntcti = "%s"\n' % tpm.tcti)
    else:
        print("# swtpm missing: the TPM provider is not tried")


def main():
    svc = eb.Service()
    svc.start()
    try:
        cli_surface(svc)
        timeout_bounds_a_silent_service(svc.dir)
        many_keys(svc)
        provider_suite(svc, 1, "Mbed Crypto")
        provider_suite(svc, 1, "Mbed Crypto", rsa_bits="1024")
        upstream_script(svc, 1, "Mbed Crypto")
    finally:
        svc.stop()
        svc.remove()
    other_providers()
    return summary("e2e_tool")


if __name__ == "__main__":
    sys.exit(main())
