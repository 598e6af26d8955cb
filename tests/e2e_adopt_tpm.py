#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""parsecd adopts upstream Parsec's TPM keys: the fixture of
tests/fixtures/upstream-tpm (swtpm's saved state, so the same owner seed, and
upstream's SQLite key store with the TPM provider's key ids for two Direct
applications, made as upstream 1.1.0's source makes them) is served unchanged:
each key listed for its application, signing under the public key recorded
when it was made, beside new keys, destroyable, once adopted never again; a key
in upstream's pre-1.0 format is skipped and the reason said.

Usage: e2e_adopt_tpm.py TOPDIR
"""
import base64
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_adopt as ea  # noqa: E402
import e2e_tpm  # noqa: E402
import e2elib as eb  # noqa: E402
import swtpmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

FIXTURE = os.path.join(eb.TOP, "tests", "fixtures", "upstream-tpm")
LEGACY = "skip Direct bob legacy: a TPM key in the format of upstream's releases before 1.0"


def deployment(tpm, store="SQLite"):
    """A copy of the fixture, upstream's config for that key store (SQLite or OnDisk) as
    config-Direct.toml, its TCTI naming this swtpm's socket."""
    d = tempfile.mkdtemp(prefix="parsecd-adopt-tpm.")
    for name in ("kim.sqlite3", "public-keys.json"):
        shutil.copy(os.path.join(FIXTURE, name), d)
    if store == "OnDisk":
        shutil.copytree(os.path.join(FIXTURE, "mappings"), os.path.join(d, "mappings"))
    path = os.path.join(d, "config-Direct.toml")
    shutil.copy(os.path.join(FIXTURE, "config-Direct.toml" if store == "SQLite" else
                             "config-OnDisk.toml"), path)
    with open(path) as f:
        text = f.read().replace("@TPM@", tpm.sock)
    with open(path, "w") as f:
        f.write(text)
    try:
        return ea.Deployment(d, upstream_layout=True)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def dry_run(dep, store, total):
    listing = dep.all_files()
    r = dep.dry_run("Direct")
    plan = sorted(line for line in r.stdout.splitlines() if line.startswith("adopt "))
    check("TPM %s: --adopt-dry-run lists the %d keys it would adopt, under upstream's primary"
          % (store, total),
          r.returncode == 0 and len(plan) == total and all(
              "tpm-provider, a key under upstream's primary key" in line for line in plan) and
          "%d to be adopted (tpm-provider %d)" % (total, total) in r.stdout, (r.stdout, r.stderr))
    check("TPM: --adopt-dry-run says the pre-1.0 key is skipped and what to do",
          LEGACY in r.stdout and "use it once with upstream 1.x" in r.stdout and
          "1 skipped" in r.stdout, r.stdout)
    check("TPM: --adopt-dry-run writes nothing", dep.all_files() == listing)


def first_start(dep, store, total):
    dep.start("Direct")
    lines = dep.summaries()
    check("TPM: one summary line: %d adopted from upstream's %s store, the pre-1.0 key skipped"
          % (total, store), len(lines) == 1 and "in %s " % store in lines[0] and "%d adopted (tpm-provider %d)" % (total, total) in lines[0]
          and "1 skipped" in lines[0] and "before 1.0" in lines[0], lines)
    check("TPM: the provider made upstream's primary key for them",
          os.path.exists(os.path.join(dep.state, "tpm-provider", "upstream-primary")) and
          "upstream Parsec's primary key made" in dep.log(), dep.log()[-1500:])


def decrypts(dep):
    """The RSA OAEP key (no scheme of its own, sign and decrypt) decrypts what its public key
    encrypted."""
    for who, keys in sorted(dep.public["decrypt"].items()):
        check("TPM: %s: list-keys shows its decryption key" % who,
              ea.listed(dep, who) == sorted(keys), ea.listed(dep, who))
        for name, pem in sorted(keys.items()):
            key = serialization.load_pem_public_key(pem.encode())
            secret = ("for %s's %s" % (who, name)).encode()
            cipher = key.encrypt(secret, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
                                                      algorithm=hashes.SHA256(), label=None))
            rc, out, err = dep.tool(who, "decrypt", "--key-name", name,
                                    base64.b64encode(cipher).decode())
            check("TPM: %s/%s: decrypts, OAEP SHA-256, what its public key encrypted"
                  % (who, name), rc == 0 and out.strip() == secret.decode(), (rc, out, err))


def killed_worker(dep, tpm):
    """Upstream's primary stays loaded only while an adopted key is loaded under it: a killed
    TPM worker leaves our primary and its keys, which the next one flushes."""
    keys = dep.public["Direct"]["bob"]
    rc, _, _ = dep.tool("bob", "sign", "--key-name", "tpm-ecc", "before")
    pid = e2e_tpm.tpm_worker(dep)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        rc2, sig, err = dep.tool("bob", "sign", "--key-name", "tpm-ecc", "after")
        if rc2 == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    left = e2e_tpm.transient(tpm)
    check("TPM: after its worker is killed, the next one signs with the adopted key and the TPM "
          "holds our primary and that key only (%s)" % left,
          rc == 0 and rc2 == 0 and ea.verifies(keys["tpm-ecc"], b"after", sig) and
          e2e_tpm.tpm_worker(dep) not in (None, pid) and left is not None and len(left) == 2,
          (rc, rc2, err, left))


def tpm_suite(store):
    tpm = swtpmlib.Swtpm()
    dep = None
    try:
        shutil.copy(os.path.join(FIXTURE, "tpm2-00.permall"), tpm.state)
        tpm.start()
        dep = deployment(tpm, store)
        total = sum(len(k) for s in dep.public.values() for k in s.values())
        pristine = dep.upstream_files()
        dry_run(dep, store, total)
        first_start(dep, store, total)
        ea.serves_upstream_keys(dep, "Direct")
        ea.other_namespaces(dep, "Direct")
        decrypts(dep)
        check("TPM: bob does not see alice's keys, nor his pre-1.0 key",
              ea.listed(dep, "bob") == ["tpm-ecc"], ea.listed(dep, "bob"))
        who, victim, pem = ea.new_and_destroyed(dep, "Direct")
        ea.restart(dep, "Direct", total, who, victim, pem, software=False)
        keys = dep.public["Direct"]["bob"]
        rc, sig, err = dep.tool("bob", "sign", "--key-name", "tpm-ecc", "after a restart")
        check("TPM: after the restart an adopted key still signs under its public key",
              rc == 0 and ea.verifies(keys["tpm-ecc"], b"after a restart", sig), (rc, err))
        if store == "SQLite":
            killed_worker(dep, tpm)
        ea.untouched(dep, pristine, "after adoption, a destroy and a restart")
    finally:
        if dep is not None:
            dep.remove()
        tpm.remove()


def malformed(tpm):
    """Key ids that are not what upstream's TPM provider writes are skipped, each with why."""
    dep = deployment(tpm)
    try:
        con = sqlite3.connect(dep.kim)
        ecc = con.execute("SELECT key_id, key_attributes FROM key_mapping WHERE "
                          "application_name = 'alice' AND key_name = 'tpm-ecc'").fetchone()
        rsa = con.execute("SELECT key_attributes FROM key_mapping WHERE "
                          "application_name = 'alice' AND key_name = 'tpm-rsa'").fetchone()[0]
        rows = [("cut", ecc[0][:-1], ecc[1]), ("trailing", ecc[0] + b"\0", ecc[1]),
                ("rsa-attributes", ecc[0], rsa)]
        for name, key_id, attrs in rows:
            con.execute("INSERT INTO key_mapping SELECT authenticator_id, 'carol', ?, "
                        "provider_uuid, provider_name, ?, 1, ?, 1 FROM key_mapping LIMIT 1",
                        (name, key_id, attrs))
        con.commit()
        con.close()
        out = dep.dry_run("Direct").stdout
        check("TPM: a cut key id and one with bytes after it are skipped as not a TPM provider's",
              "skip Direct carol cut: a key id that is not a TPM provider's" in out and
              "skip Direct carol trailing: a key id that is not a TPM provider's" in out, out)
        check("TPM: an ECC key id under RSA attributes is skipped, not adopted",
              "skip Direct carol rsa-attributes: a public key that does not match its attributes"
              in out and "4 skipped" in out, out)
        check("TPM: the rest is still adopted", "4 to be adopted" in out, out)
    finally:
        dep.remove()


def main():
    if not swtpmlib.available():
        print("# swtpm or tpm2-tools missing; the TPM adoption is skipped")
        return summary("e2e_adopt_tpm")
    tpm_suite("SQLite")
    tpm_suite("OnDisk")
    tpm = swtpmlib.Swtpm()
    try:
        malformed(tpm)
    finally:
        tpm.remove()
    return summary("e2e_adopt_tpm")


if __name__ == "__main__":
    sys.exit(main())
