#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Our parsec-tool (and so libparsec) against upstream Parsec's own service.

Runs when PARSEC_UPSTREAM_BIN names a build of upstream's `parsec` binary
(1.1.0 with its Mbed Crypto provider and the Direct and Unix peer credentials
authenticators; tests/fixtures/upstream-1.1.0/README.md says how to build
one). Upstream is started on its own config.toml in a temp directory, once with
Direct and once with Unix peer credentials (as root, the second pass also runs
the tool as nobody). Skipped, with a line saying so, otherwise.

Usage: e2e_upstream.py TOPDIR
"""
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

TOOL = os.path.join(eb.TOP, "tool", "parsec-tool")
MBED_DESC = ("User space software provider, based on Mbed Crypto - the reference implementation "
             "of the PSA crypto API")
AUTH_DESC = {
    "Direct": "Directly parses the authentication field as a UTF-8 string and uses that as the "
              "application identity. Should be used for testing only.",
    "UnixPeerCredentials": "Uses Unix peer credentials to authenticate the client. Verifies that "
                           "the self-declared Unix user identifier (UID) in the request's "
                           "authentication header matches that which is found from the peer "
                           "credentials.",
}


class Upstream:
    """Upstream's parsec on a temp socket, its key files in its own directory."""

    def __init__(self, binary, auth, core_extra=""):
        self.dir = tempfile.mkdtemp(prefix="parsec-upstream.")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "parsec.sock")
        self.log = os.path.join(self.dir, "parsec.log")
        with open(os.path.join(self.dir, "config.toml"), "w") as f:
            f.write("""[core_settings]
log_level = "info"
allow_root = true
%s
[listener]
listener_type = "DomainSocket"
timeout = 200
socket_path = "%s"

[authenticator]
auth_type = "%s"

[[key_manager]]
name = "sqlite-manager"
manager_type = "SQLite"
sqlite_db_path = "%s/kim.sqlite3"

[[provider]]
name = "mbed-crypto-provider"
provider_type = "MbedCrypto"
key_info_manager = "sqlite-manager"
""" % (core_extra, self.sock, auth, self.dir))
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen([binary, "-c", "config.toml"], cwd=self.dir, stdout=log,
                                         stderr=subprocess.STDOUT)
        for _ in range(100):
            with open(self.log) as f:
                if "Parsec is ready" in f.read() and os.path.exists(self.sock):
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        with open(self.log) as f:
            raise RuntimeError("upstream parsec did not start: " + f.read()[-1000:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def session(up, auth, as_nobody=False):
    """The nine commands of a first session, each checked as a user would."""
    who = "%s%s" % (auth, " as nobody" if as_nobody else "")
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + up.sock, PARSEC_APP_NAME="upstream-user")
    prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if as_nobody else []
    exe = os.path.join(eb.other_top(), "tool", "parsec-tool") if as_nobody else TOOL

    def tool(*args):
        r = subprocess.run(prefix + [exe] + list(args), capture_output=True, text=True, env=env)
        return r.returncode, r.stdout, r.stderr

    rc, out, err = tool("ping")
    check("%s: ping" % who, rc == 0 and "1.0" in out, (rc, out, err))
    rc, out, err = tool("list-providers")
    check("%s: list-providers shows the Mbed Crypto provider with its whole description" % who,
          rc == 0 and MBED_DESC in out and "Vendor: Arm" in out, (rc, out, err))
    rc, out, err = tool("list-opcodes", "--provider", "1")
    check("%s: list-opcodes lists PsaSignHash and PsaExportPublicKey" % who,
          rc == 0 and "0x04" in out.split() and "0x07" in out.split(), (rc, out, err))
    rc, out, err = tool("list-authenticators")
    check("%s: list-authenticators shows the whole description" % who,
          rc == 0 and AUTH_DESC[auth] in out, (rc, out, err))
    rc, out, err = tool("create-ecc-key", "--key-name", "up-ecc")
    check("%s: create-ecc-key" % who, rc == 0, (rc, out, err))
    message = "signed by upstream Parsec"
    rc, sig_b64, err = tool("sign", "--key-name", "up-ecc", message)
    rc2, pem, err2 = tool("export-public-key", "--key-name", "up-ecc")
    ok = False
    try:
        sig = base64.b64decode(sig_b64.strip())
        key = serialization.load_pem_public_key(pem.encode())
        key.verify(sig, message.encode(), ec.ECDSA(hashes.SHA256()))  # DER, as upstream's tool prints it
        ok = True
    except Exception as e:  # noqa: BLE001 - any failure is the check's detail
        err2 += repr(e)
    check("%s: sign and export-public-key; the signature verifies with the exported key" % who,
          rc == 0 and rc2 == 0 and ok, (rc, rc2, err, err2))
    rc, out, err = tool("verify", "--key-name", "up-ecc", "--signature", sig_b64.strip(), message)
    rc2, _, _ = tool("verify", "--key-name", "up-ecc", "--signature", sig_b64.strip(), message + "!")
    check("%s: verify accepts it and refuses another message" % who, rc == 0 and rc2 == 1, (rc, rc2, err))
    rc, out, err = tool("list-keys")
    check("%s: list-keys shows the key" % who,
          rc == 0 and "* up-ecc (Mbed Crypto provider, EccKeyPair { curve_family: SecpR1 }, 256 bits" in out, (rc, out, err))
    rc, out, err = tool("delete-key", "--key-name", "up-ecc")
    rc2, out2, _ = tool("list-keys")
    check("%s: delete-key removes it" % who, rc == 0 and rc2 == 0 and "up-ecc" not in out2, (rc, out2, err))


def main():
    binary = os.environ.get("PARSEC_UPSTREAM_BIN", "")
    if not binary:
        print("e2e_upstream: PARSEC_UPSTREAM_BIN is not set (a build of upstream Parsec 1.1.0); skipped")
        return 77
    if not os.access(binary, os.X_OK):
        check("PARSEC_UPSTREAM_BIN is an executable", False, binary)
        return summary("e2e_upstream")
    for auth in ("Direct", "UnixPeerCredentials"):
        up = Upstream(binary, auth)
        try:
            session(up, auth)
            if auth == "UnixPeerCredentials" and os.getuid() == 0:
                session(up, auth, as_nobody=True)
        finally:
            up.stop()
    return summary("e2e_upstream")


if __name__ == "__main__":
    sys.exit(main())
