#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Real PKCS#11 programs, unchanged, on parsecd's keys through libparsec-pkcs11.so.

A real parsecd (Unix peer credentials) on a temp socket with three providers:
Mbed Crypto, PKCS#11 on a private SoftHSMv2 token and TPM on swtpm. Then, as
the README's "Using parsecd from PKCS#11 programs" shows them:
- GnuTLS: p11tool lists the tokens and objects, generates EC and RSA keys,
  --test-sign passes, and certtool --generate-request makes a request with a
  parsecd key that `openssl req -verify` accepts;
- OpenSSL's pkcs11 engine (libengine-pkcs11-openssl, MODULE_PATH from an
  openssl config of this test's own): pkeyutl -sign with ECDSA, RSA-PKCS and
  RSA-PSS, each verified by openssl with the public key the service exports,
  and `openssl req -new -x509` with a parsecd key;
- OpenSSH: ssh-keygen -D lists the keys, ssh-add -s loads them into a private
  ssh-agent (started with -P, its allow list), ssh-keygen -Y sign through the
  agent verifies with -Y verify, and ssh logs in to an sshd of this test's own
  on 127.0.0.1 with PKCS11Provider, with an HMAC key (a secret-key object,
  made by pkcs11-tool) beside the pairs;
- two uids (root and nobody) each see only their own keys through the same
  module, on each of the three providers, and the engine signs with root's
  key on each of them;
- the README's PKCS#11 recipes, run as written (as nobody);
- p11-kit: a module file (etc/p11-kit/parsec.module naming this module, in
  nobody's own p11-kit configuration) makes `p11-kit list-modules` show it,
  and through p11-kit-proxy.so nobody sees and signs with its own key.
No tool is given a PIN: the module needs none, so a prompt would fail the check.

`e2e_p11_tools.py TOPDIR --softhsm` runs the same recipes against SoftHSM's own
module (with its PIN), to check the harness itself.

Usage: e2e_p11_tools.py TOPDIR [--softhsm]
"""
import hashlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

MODULE = os.path.join(eb.TOP, "pkcs11", "libparsec-pkcs11.so")
ENGINE = "/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so"
TOOLS = ("p11tool", "certtool", "openssl", "ssh-keygen", "ssh-agent", "ssh-add", "ssh")
SSHD = "/usr/sbin/sshd"


class Target:
    """The module the programs load, the environment and directory they run in,
    the PIN they are given (None: none at all) and the user they run as."""

    def __init__(self, module, env, pin, work):
        self.module, self.env, self.pin, self.work = module, env, pin, work
        self.user = None
        # The RSA key pkeyutl signs RSA-PSS with: a parsecd key permits one algorithm,
        # and a key p11tool makes is for PKCS#1 v1.5.
        self.pss_key = "gt-rsa"

    def run(self, argv, stdin=None, extra_env=None, timeout=180):
        """One program, as self.user when set (else as this process); stdin closed
        unless given, so a program that would prompt for a PIN fails instead."""
        env = dict(self.env)
        env.update(extra_env or {})
        if self.pin is not None:
            env["GNUTLS_PIN"] = self.pin
        if self.user is not None:
            env.setdefault("HOME", "/nonexistent")
            argv = ["setpriv", "--reuid=" + self.user, "--regid=%d" % pwd.getpwnam(self.user).pw_gid,
                    "--clear-groups"] + argv
        return subprocess.run(argv, env=env, cwd=self.work, input=stdin, capture_output=True,
                              timeout=timeout, stdin=None if stdin is not None else subprocess.DEVNULL)

    def p11tool(self, *args):
        login = ["--login"] if self.pin is not None else []
        return self.run(["p11tool", "--provider", self.module] + login + list(args))

    def token_urls(self):
        r = self.p11tool("--list-token-urls")
        return [u for u in r.stdout.decode().split() if u.startswith("pkcs11:")]


def out_of(r):
    return (r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace"))[-1500:]


def key_url(token, name, kind):
    return "%s;object=%s;type=%s" % (token, urllib.parse.quote(name, safe=""), kind)


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def pem_lines(text):
    return [line for line in text.splitlines() if line and not line.startswith("-----")]


# ---- GnuTLS -------------------------------------------------------------------------

def generate(t, token, name, algo):
    """A key pair made by p11tool in token; algo "ECDSA" (P-256) or "RSA" (2048)."""
    spec = ["--curve", "secp256r1"] if algo == "ECDSA" else ["--bits", "2048"]
    return t.p11tool("--generate-privkey", algo, "--label", name, *spec,
                     "--outfile", os.path.join(t.work, name + ".gen.pem"), token)


def public_pem(t, token, name):
    """The public key as the module gives it (p11tool --export-pubkey), in a file."""
    path = os.path.join(t.work, name + ".pub.pem")
    r = t.p11tool("--export-pubkey", "--outfile", path, key_url(token, name, "public"))
    return path if r.returncode == 0 and os.path.exists(path) else None


def gnutls(t, token):
    r = t.p11tool("--list-tokens")
    check("p11tool --list-tokens lists the token",
          r.returncode == 0 and "URL: " + token in r.stdout.decode(), out_of(r))
    for name, algo in (("gt-ec", "ECDSA"), ("gt-rsa", "RSA")):
        r = generate(t, token, name, algo)
        check("p11tool --generate-privkey %s makes %s" % (algo, name), r.returncode == 0, out_of(r))
    r = t.p11tool("--list-all", token)
    listing = r.stdout.decode()
    for name in ("gt-ec", "gt-rsa"):
        urls = [line for line in listing.splitlines() if "URL:" in line and "object=" + name + ";" in line]
        check("p11tool --list-all shows %s as a private and a public key" % name,
              any("type=private" in u for u in urls) and any("type=public" in u for u in urls),
              out_of(r))
    for name in ("gt-ec", "gt-rsa"):
        r = t.p11tool("--test-sign", key_url(token, name, "private"))
        text = out_of(r)
        check("p11tool --test-sign %s: signs and verifies against the token's public key" % name,
              r.returncode == 0 and text.count("... ok") >= 2 and "fail" not in text.lower(), text)
        pub = public_pem(t, token, name)
        gen = os.path.join(t.work, name + ".gen.pem")
        check("the public key p11tool exports for %s is the one it generated" % name,
              pub is not None and os.path.exists(gen) and
              pem_lines(open(pub).read()) == pem_lines(open(gen).read()), pub)
    if t.pin is None:
        r = t.run(["p11tool", "--provider", t.module, "--login", "--test-sign",
                   key_url(token, "gt-ec", "private")], extra_env={"GNUTLS_PIN": "any pin"})
        check("p11tool --login with some PIN works too (C_Login accepts any)", r.returncode == 0,
              out_of(r))
    tmpl = write(os.path.join(t.work, "req.tmpl"), 'cn = "parsecd p11 test"\n')
    for name in ("gt-ec", "gt-rsa"):
        req = os.path.join(t.work, name + ".req.pem")
        r = t.run(["certtool", "--generate-request", "--provider", t.module, "--template", tmpl,
                   "--load-privkey", key_url(token, name, "private"), "--outfile", req])
        check("certtool --generate-request with %s" % name, r.returncode == 0, out_of(r))
        v = t.run(["openssl", "req", "-verify", "-noout", "-in", req])
        check("openssl req -verify accepts certtool's request signed by %s" % name,
              v.returncode == 0 and "verify OK" in out_of(v), out_of(v))
        pub = public_pem(t, token, name)
        k = t.run(["openssl", "req", "-noout", "-pubkey", "-in", req])
        check("the request carries %s's public key" % name, pub is not None and
              pem_lines(k.stdout.decode()) == pem_lines(open(pub).read()), out_of(k))


# ---- OpenSSL's pkcs11 engine ---------------------------------------------------------

def openssl_conf(t):
    pin = "PIN = %s\n" % t.pin if t.pin is not None else ""
    return write(os.path.join(t.work, "openssl.cnf"), """openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = %s
MODULE_PATH = %s
%sinit = 0
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = parsecd p11 test
""" % (ENGINE, t.module, pin))


def engine_sign(t, token, name, opts, tag):
    """pkeyutl -sign through the engine over SHA-256(data); the signature
    verified by openssl with the exported public key, and refused for other data."""
    data = os.path.join(t.work, "data.bin")
    write(data, "signed through the pkcs11 engine\n")
    digest = os.path.join(t.work, "data.sha256")
    with open(digest, "wb") as f:
        f.write(hashlib.sha256(open(data, "rb").read()).digest())
    sig = os.path.join(t.work, "%s.sig" % tag)
    pk = sum((["-pkeyopt", o] for o in opts), [])
    r = t.run(["openssl", "pkeyutl", "-engine", "pkcs11", "-keyform", "engine", "-sign",
               "-inkey", key_url(token, name, "private"), "-in", digest, "-out", sig] + pk)
    check("openssl pkeyutl -engine pkcs11 -sign (%s)" % tag,
          r.returncode == 0 and os.path.exists(sig) and os.path.getsize(sig) > 0, out_of(r))
    pub = public_pem(t, token, name)
    v = t.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub or "/nonexistent",
               "-in", digest, "-sigfile", sig] + pk)
    check("openssl verifies the %s signature with the exported public key" % tag,
          v.returncode == 0 and "Verified Successfully" in out_of(v), out_of(v))
    with open(digest, "wb") as f:
        f.write(hashlib.sha256(b"other data").digest())
    v = t.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub or "/nonexistent",
               "-in", digest, "-sigfile", sig] + pk)
    check("and refuses it over other data (%s)" % tag, v.returncode != 0, out_of(v))


def engine(t, token):
    conf = openssl_conf(t)
    t.env["OPENSSL_CONF"] = conf
    try:
        engine_sign(t, token, "gt-ec", [], "ECDSA P-256")
        engine_sign(t, token, "gt-rsa", ["digest:sha256"], "RSA-PKCS SHA-256")
        engine_sign(t, token, t.pss_key, ["digest:sha256", "rsa_padding_mode:pss",
                                         "rsa_pss_saltlen:32"], "RSA-PSS SHA-256")
        cert = os.path.join(t.work, "self.pem")
        r = t.run(["openssl", "req", "-new", "-x509", "-engine", "pkcs11", "-keyform", "engine",
                   "-key", key_url(token, "gt-ec", "private"), "-sha256", "-days", "1",
                   "-out", cert])
        check("openssl req -new -x509 -engine pkcs11 with a parsecd key", r.returncode == 0, out_of(r))
        v = t.run(["openssl", "verify", "-CAfile", cert, cert])
        check("openssl verify accepts the self-signed certificate", v.returncode == 0, out_of(v))
        pub = public_pem(t, token, "gt-ec")
        k = t.run(["openssl", "x509", "-noout", "-pubkey", "-in", cert])
        check("the certificate holds the key's public half", pub is not None and
              pem_lines(k.stdout.decode()) == pem_lines(open(pub).read()), out_of(k))
    finally:
        del t.env["OPENSSL_CONF"]


# ---- OpenSSH --------------------------------------------------------------------------

def ssh_keys(t):
    r = t.run(["ssh-keygen", "-D", t.module])
    return r, [line for line in r.stdout.decode().splitlines() if line.startswith(("ecdsa-", "ssh-rsa"))]


def askpass(t):
    """What ssh-add and ssh ask a PIN from (no terminal here): the PIN, or, for a
    module that needs none, a script that fails so a prompt fails the check."""
    answer = "echo %s" % t.pin if t.pin is not None else "exit 1"
    return write(os.path.join(t.work, "askpass"), "#!/bin/sh\n%s\n" % answer, 0o755)


def ssh_agent(t, keys):
    agent_sock = os.path.join(t.work, "agent.sock")
    allow = os.path.realpath(t.module)
    # The agent's helper loads the module: it needs the agent's environment to find the service.
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", agent_sock, "-P", allow], env=t.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(400):  # 20 s: a loaded machine
            if os.path.exists(agent_sock):
                break
            time.sleep(0.05)
        env = {"SSH_AUTH_SOCK": agent_sock, "SSH_ASKPASS": askpass(t),
               "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
        r = t.run(["ssh-add", "-s", t.module], extra_env=env)
        check("ssh-add -s loads the module into a private ssh-agent (-P %s)" % allow,
              r.returncode == 0, out_of(r))
        r = t.run(["ssh-add", "-L"], extra_env=env)
        listed = [line for line in r.stdout.decode().splitlines() if line]
        check("the agent holds the keys ssh-keygen -D lists",
              sorted(x.split()[1] for x in listed) == sorted(x.split()[1] for x in keys), out_of(r))
        ec = [k for k in keys if k.startswith("ecdsa-")]
        pub = write(os.path.join(t.work, "agent-key.pub"), (ec or keys or [""])[0] + "\n")
        msg = write(os.path.join(t.work, "msg.txt"), "signed by ssh-keygen through the agent\n")
        r = t.run(["ssh-keygen", "-Y", "sign", "-f", pub, "-n", "file", msg], extra_env=env)
        check("ssh-keygen -Y sign through the agent", r.returncode == 0 and
              os.path.exists(msg + ".sig"), out_of(r))
        allowed = write(os.path.join(t.work, "allowed_signers"),
                        "tester " + open(pub).read())
        r = t.run(["ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "tester", "-n", "file",
                   "-s", msg + ".sig"], stdin=open(msg, "rb").read())
        check("ssh-keygen -Y verify accepts it", r.returncode == 0 and "Good" in out_of(r), out_of(r))
        r = t.run(["ssh-keygen", "-Y", "verify", "-f", allowed, "-I", "tester", "-n", "file",
                   "-s", msg + ".sig"], stdin=b"other text\n")
        check("and refuses it for another text", r.returncode != 0, out_of(r))
    finally:
        agent.terminate()
        agent.wait(10)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ssh_login(t, keys):
    """ssh logs in to an sshd of this test's own, whose authorized keys are the
    module's keys only, with -o PKCS11Provider."""
    d = t.work
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(d, "hostkey")],
                   check=True)
    write(os.path.join(d, "authorized_keys"), "".join(k + "\n" for k in keys), 0o600)
    port = free_port()
    user = pwd.getpwuid(os.getuid()).pw_name
    conf = write(os.path.join(d, "sshd_config"), """Port %d
ListenAddress 127.0.0.1
HostKey %s/hostkey
PidFile %s/sshd.pid
AuthorizedKeysFile %s/authorized_keys
AllowUsers %s
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
""" % (port, d, d, d, user))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    sshd = subprocess.Popen([SSHD, "-D", "-f", conf, "-E", os.path.join(d, "sshd.log")])
    try:
        for _ in range(400):  # 20 s: a loaded machine
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        known = write(os.path.join(d, "known_hosts"),
                      "[127.0.0.1]:%d %s" % (port, open(os.path.join(d, "hostkey.pub")).read()))
        env = {"SSH_ASKPASS": askpass(t), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
        r = t.run(["ssh", "-F", "/dev/null", "-p", str(port), "-o", "PKCS11Provider=" + t.module,
                   "-o", "UserKnownHostsFile=" + known, "-o", "IdentityAgent=none",
                   "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
                   "-o", "BatchMode=no", "%s@127.0.0.1" % user, "echo logged-in-as-$(id -un)"],
                  extra_env=env, timeout=120)
        check("ssh -o PKCS11Provider=M logs in to sshd on 127.0.0.1:%d with a module key" % port,
              r.returncode == 0 and ("logged-in-as-" + user) in r.stdout.decode(), out_of(r))
        log = open(os.path.join(d, "sshd.log")).read()
        check("sshd accepted the public key it holds from ssh-keygen -D",
              "Accepted publickey for %s" % user in log, log[-1500:])
    finally:
        sshd.terminate()
        sshd.wait(10)


def openssh(t):
    r, keys = ssh_keys(t)
    check("ssh-keygen -D lists the module's keys (EC and RSA)", r.returncode == 0 and
          any(k.startswith("ecdsa-sha2-nistp256 ") for k in keys) and
          any(k.startswith("ssh-rsa ") for k in keys), out_of(r))
    if not keys:
        return
    ssh_agent(t, keys)
    if os.geteuid() == 0:
        ssh_login(t, keys)
    else:
        print("# ssh login: skipped (sshd needs root)")


# ---- the README's recipes, as written -------------------------------------------------

README_SECTION = "## Using parsecd from PKCS#11 programs"


def readme_script(module):
    """The README section's code blocks as one bash script: M set to the module
    under test, the ssh login (which needs a server: ssh_login runs it) left out."""
    text = open(os.path.join(eb.TOP, "README.md")).read()
    section = text[text.index(README_SECTION):]
    section = section[:section.index("\n## ", len(README_SECTION))]
    lines = []
    for line in section.splitlines():
        if not line.startswith("    "):
            continue
        line = line[4:]
        if line.startswith("M="):
            line = "M=" + module
        if line.startswith("ssh -o PKCS11Provider"):
            continue
        lines.append(line)
    return "\n".join(["set -ex",
                      "trap '[ -z \"${SSH_AGENT_PID:-}\" ] || kill $SSH_AGENT_PID' EXIT",
                      "echo 'signed by the README recipes' > data.txt"] + lines) + "\n"


def readme_recipes(t, user):
    """The README's recipes run as written by user, who has no key yet."""
    d = os.path.join(t.work, "readme")
    os.makedirs(d)
    os.chown(d, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
    script = write(os.path.join(t.work, "readme.sh"), readme_script(t.module))
    t.user, work = user, t.work
    t.work = d
    try:
        r = t.run(["bash", script], timeout=300)
    finally:
        t.user, t.work = None, work
    text = out_of(r) if r.returncode else r.stdout.decode() + r.stderr.decode()
    check("the README's PKCS#11 recipes run as written (as %s)" % user, r.returncode == 0, text[-3000:])
    check("in them, openssl verifies the OpenSC and the engine signatures",
          text.count("Signature Verified Successfully") == 2, text[-3000:])
    check("openssl req -verify accepts certtool's request",
          "verify OK" in text, text[-3000:])
    check("ssh-keygen -Y verify accepts the agent's signature",
          'Good "file" signature for me' in text, text[-3000:])


# ---- p11-kit ------------------------------------------------------------------------------

PROXY = "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"


def p11kit(t, user):
    """p11-kit picks the module up from a module file (here user's own, in
    ~/.config/pkcs11/modules, as the package's in /usr/share/p11-kit/modules),
    and p11-kit-proxy.so shows user the token and user's keys, not root's."""
    home = os.path.join(t.work, "home")
    modules = os.path.join(home, ".config", "pkcs11", "modules")
    os.makedirs(modules)
    body = open(os.path.join(eb.TOP, "etc", "p11-kit", "parsec.module")).read()
    write(os.path.join(modules, "parsec.module"),
          re.sub(r"(?m)^module: .*$", "module: " + t.module, body))
    subprocess.run(["chmod", "-R", "a+rX", home], check=True)
    t.user = user
    try:
        r = t.run(["p11-kit", "list-modules"], extra_env={"HOME": home})
        block = re.search(r"(?ms)^parsec: .*?(?=^\S|\Z)", r.stdout.decode())
        check("p11-kit list-modules shows the module parsec and its Parsec MbedCrypto token",
              block is not None and "token: Parsec MbedCrypto" in block.group(0), out_of(r))
        # pkcs11-tool, not p11tool: GnuTLS cannot load p11-kit's proxy through p11-kit
        # ("PKCS #11 initialization error", whatever modules are registered).
        tool = ["pkcs11-tool", "--module", PROXY, "--token-label", "Parsec MbedCrypto"]
        env = {"HOME": home}
        r = t.run(tool + ["--list-objects"], extra_env=env)
        labels = re.findall(r"(?m)^\s*label:\s*(\S+)", r.stdout.decode())
        check("through p11-kit-proxy.so %s sees its key gt-ec, and not root's gt-pss" % user,
              "gt-ec" in labels and "gt-pss" not in labels, out_of(r))
        digest = write(os.path.join(t.work, "proxy.sha256"), "")
        with open(digest, "wb") as f:
            f.write(hashlib.sha256(b"signed through p11-kit-proxy.so").digest())
        sig = os.path.join(t.work, "proxy.sig")
        r = t.run(tool + ["--sign", "--mechanism", "ECDSA", "--label", "gt-ec", "--input-file", digest,
                          "--output-file", sig, "--signature-format", "openssl"], extra_env=env)
        pub = os.path.join(t.work, "readme", "gt-ec.pub.pem")
        v = t.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in", digest,
                   "-sigfile", sig])
        check("and signs with it there, as openssl verifies", r.returncode == 0 and
              v.returncode == 0 and "Verified Successfully" in out_of(v), out_of(r) + out_of(v))
    finally:
        t.user = None


# ---- parsecd ---------------------------------------------------------------------------

def provider_tokens(t):
    """{provider kind: token URL}, matched on each token's label ("Parsec MbedCrypto"...)."""
    urls = t.token_urls()
    found = {}
    for u in urls:
        fields = dict(f.split("=", 1) for f in u[len("pkcs11:"):].split(";") if "=" in f)
        label = urllib.parse.unquote(fields.get("token", "")).lower()
        for kind, word in (("mbed", "mbed"), ("pkcs11", "pkcs11"), ("tpm", "tpm")):
            if word in label and kind not in found:
                found[kind] = u
    return urls, found


def two_uids(t, tokens):
    """Root and nobody each make a key on each provider through the module; each
    lists (p11tool --list-all) and uses (--test-sign) its own and sees nothing of
    the other's; the engine signs with root's on each provider; and ssh-keygen -D
    shows each only its own."""
    who = (None, "nobody")
    for kind, token in sorted(tokens.items()):
        for user in who:
            t.user = user
            name = "%s-%s" % (user or "root", kind)
            r = generate(t, token, name, "ECDSA")
            check("%s makes an EC key on the %s token" % (user or "root", kind), r.returncode == 0,
                  out_of(r))
        for user in who:
            t.user = user
            mine, theirs = "%s-%s" % (user or "root", kind), "%s-%s" % ("nobody" if user is None else "root", kind)
            r = t.p11tool("--list-all", token)
            listing = r.stdout.decode()
            check("%s sees its own key on the %s token" % (user or "root", kind),
                  r.returncode == 0 and "object=%s;" % mine in listing, out_of(r))
            check("%s does not see the other uid's key on the %s token" % (user or "root", kind),
                  r.returncode == 0 and "object=%s;" % theirs not in listing, listing[-1500:])
            r = t.p11tool("--test-sign", key_url(token, mine, "private"))
            check("%s signs with its key on the %s token (--test-sign)" % (user or "root", kind),
                  r.returncode == 0, out_of(r))
            r = t.p11tool("--test-sign", key_url(token, theirs, "private"))
            check("%s cannot sign with the other uid's key on the %s token" % (user or "root", kind),
                  r.returncode != 0, out_of(r))
    t.user = None
    t.env["OPENSSL_CONF"] = openssl_conf(t)
    try:
        for kind, token in sorted(tokens.items()):
            engine_sign(t, token, "root-" + kind, [], "ECDSA P-256 on the %s token" % kind)
    finally:
        del t.env["OPENSSL_CONF"]
    seen = {}
    for user in who:
        t.user = user
        seen[user] = set(k.split()[1] for k in ssh_keys(t)[1])
    t.user = None
    check("ssh-keygen -D shows root and nobody disjoint sets of keys",
          seen[None] and seen["nobody"] and not (seen[None] & seen["nobody"]), seen)


def stage_module(work):
    """The module where nobody can load it: the tree itself when nobody can read it,
    else a copy made for this run (a clone in /root is closed to other uids)."""
    top = eb.other_top()
    staged = os.path.join(top, "pkcs11", "libparsec-pkcs11.so")
    if os.path.exists(staged):
        return staged
    copy = os.path.join(work, "libparsec-pkcs11.so")
    shutil.copy(MODULE, copy)
    os.chmod(copy, 0o755)
    return copy


def parsecd_run():
    if not os.path.exists(MODULE):
        check("make all built " + MODULE, False, "run make all first")
        return summary("e2e_p11_tools")
    svc = swtpm = None
    base = tempfile.mkdtemp(prefix="parsecd-p11tools.")
    os.chmod(base, 0o755)
    work = os.path.join(base, "work")
    os.makedirs(work)
    os.chmod(work, 0o777)
    try:
        token = softhsmlib.Token(base)
        os.makedirs(os.path.join(base, "tpm"))
        swtpm = swtpmlib.Swtpm(os.path.join(base, "tpm"))
        swtpm.start()
        extra = token.provider_table() + ('\n[[provider]]\nprovider_type = "Tpm"\n'
                                          'key_info_manager = "sqlite-manager"\ntcti = "%s"\n' % swtpm.tcti)
        os.makedirs(os.path.join(base, "svc"))
        svc = eb.Service(auth="UnixPeerCredentials", directory=os.path.join(base, "svc"),
                         provider_extra=extra)
        svc.start()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "PARSEC_SERVICE_ENDPOINT": "unix:" + svc.sock}
        t = Target(stage_module(work) if os.geteuid() == 0 else MODULE, env, None, work)
        urls, tokens = provider_tokens(t)
        check("the module shows one token per provider (mbed, pkcs11, tpm)",
              len(urls) == 3 and len(tokens) == 3, urls)
        if "mbed" not in tokens:
            return summary("e2e_p11_tools")
        gnutls(t, tokens["mbed"])
        tool = os.path.join(eb.TOP, "tool", "parsec-tool")
        r = subprocess.run([tool, "create-rsa-key", "--for-signing-pss", "--key-name", "gt-pss"],
                           env=env, capture_output=True)
        check("parsec-tool makes an RSA-PSS key for the engine to use", r.returncode == 0, out_of(r))
        t.pss_key = "gt-pss"
        engine(t, tokens["mbed"])
        # p11tool gives every key it makes a CKA_ID, so the service names it "gt-ec#<ID>".
        ids = [line.split(":", 1)[1].strip().replace(":", "") for line in
               t.p11tool("--list-all", key_url(tokens["mbed"], "gt-ec", "private")).stdout.decode().splitlines()
               if line.strip().startswith("ID:")]
        name = "gt-ec#" + (ids[0] if ids else "")
        keys = subprocess.run([tool, "list-keys"], env=env, capture_output=True, text=True).stdout
        check("the key p11tool made is the service's key %s (label#CKA_ID)" % name,
              ids and name in keys, keys)
        svc_pub = subprocess.run([tool, "export-public-key", "--key-name", name],
                                 env=env, capture_output=True, text=True)
        pub = public_pem(t, tokens["mbed"], "gt-ec")
        check("the module's public key is the one parsec-tool export-public-key prints",
              svc_pub.returncode == 0 and pub is not None and
              pem_lines(svc_pub.stdout) == pem_lines(open(pub).read()), svc_pub.stderr)
        # A secret key beside the pairs: the programs below list objects and must skip it.
        r = t.run(["pkcs11-tool", "--module", t.module, "--token-label", "Parsec MbedCrypto",
                   "--keygen", "--key-type", "GENERIC:32", "--label", "mac-key"])
        check("pkcs11-tool --keygen makes an HMAC key beside them", r.returncode == 0, out_of(r))
        r = t.p11tool("--list-all", tokens["mbed"])
        check("p11tool --list-all shows it as a secret key, with the pairs",
              re.search(r"object=mac-key;type=secret-key", r.stdout.decode()) is not None and
              "object=gt-ec;type=private" in r.stdout.decode(), out_of(r))
        openssh(t)
        if os.geteuid() == 0:
            eb.ensure_user("nobody")
            readme_recipes(t, "nobody")
            p11kit(t, "nobody")
            two_uids(t, tokens)
        else:
            print("# two uids: skipped (needs root)")
    finally:
        if svc is not None:
            svc.stop()
            svc.remove()
        if swtpm is not None:
            swtpm.remove()
        shutil.rmtree(base, ignore_errors=True)
    return summary("e2e_p11_tools")


def softhsm_run():
    """The recipes against SoftHSM's own module: the harness checked on its own."""
    base = tempfile.mkdtemp(prefix="parsecd-p11tools.")
    os.chmod(base, 0o755)
    try:
        token = softhsmlib.Token(base, service_user="root")
        work = os.path.join(base, "work")
        os.makedirs(work)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "SOFTHSM2_CONF": token.conf}
        t = Target(softhsmlib.MODULE, env, softhsmlib.USER_PIN, work)
        urls = t.token_urls()
        mine = [u for u in urls if "token=" + softhsmlib.LABEL in u]
        check("p11tool finds the SoftHSM token", len(mine) == 1, urls)
        if mine:
            gnutls(t, mine[0])
            engine(t, mine[0])
            openssh(t)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return summary("e2e_p11_tools")


def main():
    if os.environ.get("PARSEC_SANITIZED"):
        # The sanitizer build's module wants ASan's runtime loaded first by the program
        # that opens it, and the real programs here are not built with it. That build
        # still runs the module under ASan in check_pkcs11 (an ASan program loading it),
        # and make check runs it under valgrind.
        print("e2e_p11_tools: skipped: the programs that would load the sanitizer build's module "
              "are not sanitized")
        return 77
    missing = [p for p in TOOLS if shutil.which(p) is None] + \
        [p for p in (ENGINE, SSHD) if not os.path.exists(p)]
    if missing or not softhsmlib.available() or not swtpmlib.available():
        print("e2e_p11_tools: skipped: missing %s (scripts/deps.sh installs them)" %
              (", ".join(missing) or "softhsm2 or swtpm"))
        return 77
    if "--softhsm" in sys.argv[2:]:
        return softhsm_run()
    return parsecd_run()


if __name__ == "__main__":
    sys.exit(main())
