#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""parsecd adopts an upstream Parsec 1.1.0 deployment: the key stores and key
files upstream itself made (tests/fixtures/upstream-adopt/, SQLite and OnDisk,
two Direct applications and uids 65534 and 4242) are served unchanged.

Each fixture is copied to a temp directory, which is upstream's working
directory and parsecd's; parsecd is started on upstream's config.toml plus a
[privsep] table for the test's own state directory. Keys made under Unix peer
credentials are used by clients running as those uids (root only).

Usage: e2e_adopt.py TOPDIR
"""
import base64
import hashlib
import json
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402

FIXTURES = os.path.join(eb.TOP, "tests", "fixtures", "upstream-adopt")
PARSECD = os.path.join(eb.TOP, "parsecd", "parsecd")
TOOL = os.path.join(eb.TOP, "tool", "parsec-tool")
AUTHS = {"Direct": "config-Direct.toml", "UnixPeerCredentials": "config-UnixPeerCredentials.toml"}
ROOT = os.geteuid() == 0
# Upstream's default SQLite key store, relative to its working directory /var/lib/parsec.
UPSTREAM_KIM = os.path.join("kim-mappings", "sqlite", "sqlite-key-info-manager.sqlite3")


class Deployment:
    """A copy of one fixture: upstream's working directory, config and stores."""

    def __init__(self, fixture, upstream_layout=False, kim_default=False):
        """upstream_layout: the working directory is also state_dir, as /var/lib/parsec is for
        both upstream and parsecd on a host (the OnDisk store is then state_dir/mappings).
        kim_default: upstream's SQLite file where upstream's default puts it, below
        kim-mappings/sqlite/ of the working directory, root's (when root) and 0600."""
        self.dir = tempfile.mkdtemp(prefix="parsecd-adopt.")
        os.chmod(self.dir, 0o755)
        shutil.copytree(os.path.join(FIXTURES, fixture), self.dir, dirs_exist_ok=True)
        # As upstream leaves them, whatever the checkout's umask or a tarball's modes gave the
        # fixtures (git archive's directories are 0775; parsecd refuses a group-writable state_dir).
        for root, dirs, files in os.walk(self.dir):
            os.chmod(root, 0o755)
            for name in files:
                path = os.path.join(root, name)
                os.chmod(path, os.stat(path).st_mode & 0o755)
        self.kim = os.path.join(self.dir, "kim.sqlite3")
        if kim_default:
            self.kim = os.path.join(self.dir, UPSTREAM_KIM)
            os.makedirs(os.path.dirname(self.kim), mode=0o755)
            os.rename(os.path.join(self.dir, "kim.sqlite3"), self.kim)
            os.chmod(self.kim, 0o600)
        self.sock = os.path.join(self.dir, "parsec.sock")
        self.chroot = tempfile.mkdtemp(prefix="parsecd-adopt-empty.")
        os.chmod(self.chroot, 0o755)
        with open(os.path.join(self.dir, "public-keys.json")) as f:
            self.public = json.load(f)
        self.state = self.dir if upstream_layout else self.dir + "/state"
        for name in AUTHS.values():
            path = os.path.join(self.dir, name)
            if not os.path.exists(path):
                continue
            with open(path) as f:
                text = f.read().replace("@DIR@/kim.sqlite3", self.kim).replace("@DIR@", self.dir)
            with open(path, "w") as f:
                f.write(text + '\n[privsep]\nstate_dir = "%s"\nchroot_dir = "%s"\n'
                        % (self.state, self.chroot))
            os.chmod(path, 0o600)
        self.proc = None
        self.log_path = os.path.join(self.dir, "parsecd.log")

    def all_files(self):
        return sorted(os.path.join(root, n) for root, dirs, files in os.walk(self.dir)
                      for n in files + dirs)

    def own_store(self):
        """Where parsecd keeps its key store when the configured one is upstream's."""
        return os.path.join(self.state, "parsecd-kim", "sqlite-key-info-manager.sqlite3")

    def upstream_files(self):
        """Every file and directory upstream left (key files, OnDisk mappings, its SQLite
        store with any -wal, -shm or -journal, their directories): contents, owner, mode
        and modification time."""
        out = {}
        kim_dir = os.path.dirname(self.kim)
        for root, dirs, files in os.walk(self.dir):
            for name in files + dirs:
                path = os.path.join(root, name)
                rel = os.path.relpath(path, self.dir)
                if not (name.endswith(".psa_its") or rel.split(os.sep)[0] == "mappings" or
                        (root == kim_dir and name.startswith(os.path.basename(self.kim))) or
                        (kim_dir != self.dir and rel.split(os.sep)[0] == "kim-mappings")):
                    continue
                st = os.lstat(path)
                digest = "directory"
                if not os.path.isdir(path):
                    with open(path, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                out[rel] = (digest, st.st_uid, st.st_gid, oct(st.st_mode), st.st_mtime_ns)
        return out

    def dry_run(self, auth):
        return subprocess.run([PARSECD, "--adopt-dry-run", "-c", AUTHS[auth]], cwd=self.dir,
                              capture_output=True, text=True)

    def start(self, auth):
        log = open(self.log_path, "a")
        before = self.log().count("listening on")
        self.proc = subprocess.Popen([PARSECD, "-c", AUTHS[auth]], cwd=self.dir, stdout=log,
                                     stderr=subprocess.STDOUT)
        for _ in range(150):
            if self.log().count("listening on") > before:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError("parsecd did not start:\n" + self.log()[-3000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def summaries(self):
        return [line for line in self.log().splitlines() if "upstream keys in" in line]

    def tool(self, who, *args):
        """parsec-tool as a Direct application (a name) or as a uid (a number)."""
        env = {"PARSEC_SERVICE_ENDPOINT": "unix:" + self.sock, "PATH": os.environ["PATH"]}
        prefix, tool = [], TOOL
        if who.isdigit():
            prefix = ["setpriv", "--reuid=" + who, "--regid=" + who, "--clear-groups"]
            tool = os.path.join(eb.other_top(), "tool", "parsec-tool")
        else:
            env["PARSEC_APP_NAME"] = who
        r = subprocess.run(prefix + [tool] + list(args), capture_output=True, text=True, env=env)
        return r.returncode, r.stdout, r.stderr

    def remove(self):
        self.stop()
        if eb.counts["failed"]:
            print(self.log()[-4000:])
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(self.chroot, ignore_errors=True)


def listed(dep, who):
    rc, out, err = dep.tool(who, "list-keys")
    # upstream's format: "* NAME (PROVIDER, TYPE, BITS, permitted algorithm: ...)"
    return sorted(line[2:].split(" (", 1)[0] for line in out.splitlines() if line.startswith("* ")) \
        if rc == 0 else ("error", err)


def verifies(pem, message, sig_b64):
    try:
        key = serialization.load_pem_public_key(pem.encode())
        sig = base64.b64decode(sig_b64.strip())
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(sig, message, padding.PKCS1v15(), hashes.SHA256())
        else:  # DER, as upstream's parsec-tool prints it
            key.verify(sig, message, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:  # noqa: BLE001 - any failure means it does not verify
        return False


def usable(auth):
    return auth == "Direct" or ROOT


def serves_upstream_keys(dep, auth):
    """Each application sees exactly its keys, which sign under upstream's public keys."""
    apps = dep.public[auth]
    for who, keys in sorted(apps.items()):
        check("%s %s: list-keys shows exactly its upstream keys" % (auth, who),
              listed(dep, who) == sorted(keys), (listed(dep, who), sorted(keys)))
        for name, pem in sorted(keys.items()):
            rc, out, err = dep.tool(who, "export-public-key", "--key-name", name)
            check("%s %s/%s: the public key is the one upstream exported" % (auth, who, name),
                  rc == 0 and out == pem, (rc, out, err))
            message = ("adopted %s of %s" % (name, who)).encode()
            rc, sig, err = dep.tool(who, "sign", "--key-name", name, message.decode())
            check("%s %s/%s: signs, and the signature verifies under upstream's public key"
                  % (auth, who, name), rc == 0 and verifies(pem, message, sig), (rc, sig, err))


def other_namespaces(dep, auth):
    """Keys of one authenticator are not visible under the other, nor to a stranger."""
    check("%s: an application upstream never saw has no keys" % auth,
          listed(dep, "4243" if auth != "Direct" else "carol") == [], listed(dep, "carol"))
    if auth == "Direct" and "UnixPeerCredentials" in dep.public:
        check("Direct: application '65534' does not see uid 65534's keys (another authenticator)",
              listed(dep, "65534") == [], listed(dep, "65534"))


def new_and_destroyed(dep, auth):
    """A new key beside the adopted ones; an adopted key destroyed (upstream's file stays)."""
    who = sorted(dep.public[auth])[0]
    before = dep.upstream_files()
    rc, _, err = dep.tool(who, "create-ecc-key", "--key-name", "made-by-parsecd")
    rc2, pem, _ = dep.tool(who, "export-public-key", "--key-name", "made-by-parsecd")
    rc3, sig, _ = dep.tool(who, "sign", "--key-name", "made-by-parsecd", "new")
    check("%s %s: a new key is created beside the adopted ones and signs" % (auth, who),
          rc == 0 and rc2 == 0 and rc3 == 0 and verifies(pem, b"new", sig) and
          "made-by-parsecd" in listed(dep, who), (rc, err))
    victim = sorted(dep.public[auth][who])[0]
    rc, _, err = dep.tool(who, "delete-key", "--key-name", victim)
    check("%s %s/%s: an adopted key can be destroyed" % (auth, who, victim),
          rc == 0 and victim not in listed(dep, who), (rc, err, listed(dep, who)))
    check("%s: upstream's files are as they were (copied, never moved or edited)" % auth,
          dep.upstream_files() == before)
    return who, victim, pem


def first_start(dep, auth, total):
    pristine = dep.upstream_files()
    listing = dep.all_files()
    r = dep.dry_run(auth)
    plan = [line for line in r.stdout.splitlines() if line.startswith("adopt ")]
    check("%s: --adopt-dry-run lists the %d keys it would adopt" % (auth, total),
          r.returncode == 0 and len(plan) == total and
          "%d to be adopted" % total in r.stdout, (r.returncode, r.stdout, r.stderr))
    check("%s: --adopt-dry-run writes nothing" % auth,
          dep.all_files() == listing and dep.upstream_files() == pristine)
    dep.start(auth)
    lines = dep.summaries()
    check("%s: one summary line: %d adopted from the mbed-crypto-provider" % (auth, total),
          len(lines) == 1 and "%d adopted (mbed-crypto-provider %d)" % (total, total) in lines[0]
          and "0 skipped" in lines[0], lines)
    provider_state_owned(dep, auth, "after the adopting start")


def provider_state_owned(dep, auth, when):
    """The software provider's directory and every key file in it are its role's user's once
    parsecd has started, whether the start adopted keys (written as brokerd's user into the
    directory lent for it) or adopted none (the directory alone given back)."""
    if not ROOT:
        return
    d = os.path.join(dep.state, "mbed-crypto-provider")
    want = pwd.getpwnam("_parsec-mbed").pw_uid
    wrong = [n for n in [""] + os.listdir(d) if os.stat(os.path.join(d, n)).st_uid != want]
    check("%s: the provider's directory and its key files are _parsec-mbed's %s" % (auth, when),
          os.listdir(d) and not wrong, wrong)


def restart(dep, auth, total, who, victim, pem, software=True):
    """A second start; software=False for a deployment without the software provider."""
    dep.stop()
    dep.start(auth)
    last = dep.summaries()[-1]
    check("%s: a second start adopts nothing new (%d already adopted)" % (auth, total),
          "0 adopted" in last and "%d already adopted" % total in last, last)
    if software:
        provider_state_owned(dep, auth, "after a start that adopted nothing")
    check("%s %s: the destroyed key stays destroyed, the new key stays" % (auth, who),
          victim not in listed(dep, who) and "made-by-parsecd" in listed(dep, who),
          listed(dep, who))
    rc, out, _ = dep.tool(who, "export-public-key", "--key-name", "made-by-parsecd")
    check("%s %s: parsecd's own key is unchanged after the restart" % (auth, who),
          rc == 0 and out == pem)


def untouched(dep, pristine, when):
    check("upstream's files and directories are byte-identical, with the same owner, mode and "
          "modification time, %s" % when, dep.upstream_files() == pristine,
          sorted(set(dep.upstream_files().items()) ^ set(pristine.items())))


def sqlite_suite():
    dep = Deployment("sqlite", upstream_layout=True, kim_default=True)
    try:
        # A host that ran upstream's OnDisk store before its SQLite one keeps the mappings
        # directory: upstream's, not a provider's state, so nothing is written into it.
        shutil.copytree(os.path.join(FIXTURES, "ondisk-direct", "mappings"),
                        os.path.join(dep.dir, "mappings"))
        for root, dirs, files in os.walk(os.path.join(dep.dir, "mappings")):
            os.chmod(root, 0o755)
        total = sum(len(k) for auth in dep.public.values() for k in auth.values())
        pristine = dep.upstream_files()
        first_start(dep, "Direct", total)
        untouched(dep, pristine, "after the adopting start")
        check("parsecd keeps its own key store in state_dir/parsecd-kim",
              os.path.exists(dep.own_store()) and os.stat(dep.own_store()).st_uid ==
              (pwd.getpwnam("_parsec-broker").pw_uid if ROOT else os.geteuid()), dep.own_store())
        serves_upstream_keys(dep, "Direct")
        other_namespaces(dep, "Direct")
        who, victim, pem = new_and_destroyed(dep, "Direct")
        restart(dep, "Direct", total, who, victim, pem)
        dep.proc.send_signal(signal.SIGHUP)
        for _ in range(50):
            if "reloaded" in dep.log():
                break
            time.sleep(0.1)
        check("a reload on the same config.toml does not take upstream's store for a change of "
              "key store", "reloaded" in dep.log() and "[[key_manager]] changes" not in dep.log()
              and "made-by-parsecd" in listed(dep, who), dep.log()[-1500:])
        untouched(dep, pristine, "after new keys, a destroy, a restart and a reload")
        if ROOT:
            dep.stop()
            dry_run_as_owner(dep)
            # Upstream's second authenticator: the same store, now Unix peer credentials.
            dep.start("UnixPeerCredentials")
            serves_upstream_keys(dep, "UnixPeerCredentials")
            other_namespaces(dep, "UnixPeerCredentials")
            check("UnixPeerCredentials: Direct's keys are not visible to uid 65534",
                  "alice-rsa" not in listed(dep, "65534"))
            untouched(dep, pristine, "after a start under the other authenticator")
        else:
            print("# keys of uids 65534 and 4242 need root to run their clients; skipped")
    finally:
        dep.remove()


def dry_run_as_owner(dep):
    """--adopt-dry-run reads parsecd's key store as brokerd's user, who writes it, never as
    root: a store only root may read is refused, as brokerd would refuse it."""
    store = dep.own_store()
    st = os.stat(store)
    os.chown(store, 0, 0)
    os.chmod(store, 0o600)
    try:
        r = dep.dry_run("Direct")
        check("--adopt-dry-run cannot read a key store only root can read (it reads as "
              "_parsec-broker)", r.returncode != 0 and "adopt " not in r.stdout,
              (r.returncode, r.stdout[-500:], r.stderr[-800:]))
    finally:
        os.chown(store, st.st_uid, st.st_gid)
        os.chmod(store, st.st_mode & 0o7777)
    r = dep.dry_run("Direct")
    check("and reads it once it is _parsec-broker's again", r.returncode == 0, (r.returncode,
          r.stderr[-800:]))


def as_earlier_version(dep):
    """What parsecd left before it kept a store of its own: its tables inside upstream's file,
    which it had given to the service user, and no store of its own."""
    own = dep.own_store()
    con = sqlite3.connect(dep.kim)
    con.execute("ATTACH ? AS own", (own,))
    for (sql,) in con.execute("SELECT sql FROM own.sqlite_master WHERE sql IS NOT NULL "
                              "ORDER BY type = 'trigger', type DESC").fetchall():
        con.execute(sql)
    for table in ("keys", "key_ids", "deployment", "adopted"):
        con.execute("INSERT INTO main.%s SELECT * FROM own.%s" % (table, table))
    con.commit()
    con.close()
    shutil.rmtree(os.path.dirname(own))
    if ROOT:
        pw = pwd.getpwnam("_parsec")
        os.chown(dep.kim, pw.pw_uid, pw.pw_gid)


def migration_suite():
    """parsecd's keys an earlier version kept in upstream's file move to its own store, once."""
    dep = Deployment("sqlite", upstream_layout=True, kim_default=True)
    try:
        total = sum(len(k) for auth in dep.public.values() for k in auth.values())
        dep.start("Direct")
        who, victim, pem = new_and_destroyed(dep, "Direct")
        dep.stop()
        as_earlier_version(dep)
        before = dep.upstream_files()
        r = dep.dry_run("Direct")
        check("migration: --adopt-dry-run says parsecd's keys would move to its own store",
              "move parsecd's own keys from %s to %s" % (dep.kim, dep.own_store()) in r.stdout
              and "0 to be adopted" in r.stdout and "%d already adopted" % total in r.stdout,
              (r.stdout, r.stderr))
        dep.start("Direct")
        check("migration: the start says how many keys moved out of upstream's file",
              "keys of parsecd's own moved from %s" % dep.kim in dep.log(), dep.log()[-2000:])
        last = dep.summaries()[-1]
        check("migration: nothing adopted again, the earlier adoptions are remembered",
              "0 adopted" in last and "%d already adopted" % total in last, last)
        rc, out, _ = dep.tool(who, "export-public-key", "--key-name", "made-by-parsecd")
        check("migration: parsecd's own key keeps its public key; the destroyed key stays gone",
              rc == 0 and out == pem and victim not in listed(dep, who), (rc, listed(dep, who)))
        keys = dep.public["Direct"]["bob"]
        check("migration: another application's adopted keys are all there",
              listed(dep, "bob") == sorted(keys), listed(dep, "bob"))
        name = sorted(keys)[0]
        rc, sig, _ = dep.tool("bob", "sign", "--key-name", name, "moved")
        check("migration: a moved adopted key signs under upstream's public key",
              rc == 0 and verifies(keys[name], b"moved", sig))
        untouched(dep, before, "after the start that moved parsecd's keys out of them")
        dep.stop()
        dep.start("Direct")
        check("migration: a second start moves nothing",
              dep.log().count("keys of parsecd's own moved") == 1 and
              "made-by-parsecd" in listed(dep, who))
        untouched(dep, before, "after a restart")
    finally:
        dep.remove()


def parsecd_store_in_place():
    """A parsecd deployment whose store is at upstream's default path, with no upstream tables
    in it, keeps it there."""
    dep = Deployment("sqlite", upstream_layout=True, kim_default=True)
    try:
        os.unlink(dep.kim)
        dep.start("Direct")
        rc, _, _ = dep.tool("alice", "create-ecc-key", "--key-name", "in-place")
        _, pem, _ = dep.tool("alice", "export-public-key", "--key-name", "in-place")
        dep.stop()
        dep.start("Direct")
        _, again, _ = dep.tool("alice", "export-public-key", "--key-name", "in-place")
        check("parsecd's own store at upstream's default path stays there and keeps its keys",
              rc == 0 and pem != "" and again == pem and not os.path.exists(dep.own_store()),
              (rc, pem, again))
    finally:
        dep.remove()


def conflict(dep, auth, who):
    """Upstream holds a key under a name parsecd's store already gives to another key."""
    app_dir = os.path.join(dep.dir, "mappings", base64.urlsafe_b64encode(who.encode()).decode(), "1")
    some = sorted(os.listdir(app_dir))[0]
    taken = base64.urlsafe_b64encode(b"made-by-parsecd").decode()
    shutil.copy(os.path.join(app_dir, some), os.path.join(app_dir, taken))
    _, before, _ = dep.tool(who, "export-public-key", "--key-name", "made-by-parsecd")
    r = dep.dry_run(auth)
    check("%s: --adopt-dry-run reports the conflict" % auth,
          "conflict %s %s made-by-parsecd" % (auth, who) in r.stdout, r.stdout)
    dep.stop()
    dep.start(auth)
    last = dep.summaries()[-1]
    check("%s: a name already in parsecd's store is reported as a conflict" % auth,
          "1 conflicting" in last and "made-by-parsecd not adopted: the name is taken" in dep.log(),
          last)
    _, after, _ = dep.tool(who, "export-public-key", "--key-name", "made-by-parsecd")
    check("%s: the conflicting key is not overwritten" % auth, before == after and after != "")


def ondisk_suite(fixture, auth, upstream_layout):
    if not usable(auth):
        print("# %s keys need root to run clients as their uids; skipped" % fixture)
        return
    dep = Deployment(fixture, upstream_layout)
    try:
        total = sum(len(k) for k in dep.public[auth].values())
        first_start(dep, auth, total)
        serves_upstream_keys(dep, auth)
        other_namespaces(dep, auth)
        who, victim, pem = new_and_destroyed(dep, auth)
        restart(dep, auth, total, who, victim, pem)
        conflict(dep, auth, who)
    finally:
        dep.remove()


def missing_key_file():
    """A mapping whose key file upstream's working directory lacks is skipped, and why."""
    dep = Deployment("ondisk-direct")
    try:
        os.unlink(os.path.join(dep.dir, "0000000000000002.psa_its"))
        r = dep.dry_run("Direct")
        check("a key without its key file is skipped, naming the file",
              "its key file is not in the working directory: 1" in r.stdout and
              "0000000000000002.psa_its" in r.stdout, r.stdout)
    finally:
        dep.remove()


# Upstream's SQLite key store schema (parsec 1.1.0, src/key_info_managers/sqlite_manager).
UPSTREAM_SCHEMA = [
    "CREATE TABLE kim_metadata (id TEXT NOT NULL, int_value INTEGER NOT NULL, PRIMARY KEY (id))",
    "INSERT INTO kim_metadata (id, int_value) VALUES ('schema_version', 1)",
    "CREATE TABLE key_mapping (authenticator_id INTEGER NOT NULL, application_name TEXT NOT NULL, "
    "key_name TEXT NOT NULL, provider_uuid TEXT NOT NULL, provider_name TEXT NOT NULL, "
    "key_id BLOB NOT NULL, key_id_version INTEGER NOT NULL, key_attributes BLOB NOT NULL, "
    "key_attributes_version INTEGER NOT NULL, PRIMARY KEY (authenticator_id, application_name, "
    "key_name))",
]
PKCS11_UUID = "30e39502-eba6-4d60-a4af-c518b7f5e38f"


def upstream_p256_attributes():
    """The bincode of a P-256 ECDSA SHA-256 signing key's attributes, as upstream wrote it."""
    con = sqlite3.connect(os.path.join(FIXTURES, "sqlite", "kim.sqlite3"))
    row = con.execute("SELECT key_attributes FROM key_mapping WHERE application_name = 'alice' "
                      "AND key_name = 'signing'").fetchone()
    con.close()
    return row[0]


def pkcs11_deployment(d, token):
    """What upstream's PKCS#11 provider leaves for a key of id 2: a key pair on the token with
    CKA_ID 00000002 (the id's bytes, big endian) and its row in upstream's key store."""
    base = ["pkcs11-tool", "--module", softhsmlib.MODULE, "--slot", str(token.slot), "--login",
            "--pin", softhsmlib.USER_PIN]
    subprocess.run(base + ["--keypairgen", "--key-type", "EC:prime256v1", "--id", "00000002",
                           "--label", "upstream", "--usage-sign"], check=True, capture_output=True)
    der = os.path.join(d, "pub.der")
    subprocess.run(base + ["--read-object", "--type", "pubkey", "--id", "00000002", "-o", der],
                   check=True, capture_output=True)
    if ROOT:
        subprocess.run(["chown", "-R", "_parsec", token.tokens], check=True)
    # The row lives only in the write-ahead log (-wal and -shm copied while the writer is
    # open, before any checkpoint): what a store in WAL mode leaves when its writer is killed.
    scratch = os.path.join(d, "scratch")
    os.mkdir(scratch)
    con = sqlite3.connect(os.path.join(scratch, "kim.sqlite3"))
    con.execute("PRAGMA journal_mode = WAL")
    for sql in UPSTREAM_SCHEMA:
        con.execute(sql)
    con.execute("INSERT INTO key_mapping VALUES (1, 'alice', 'hsm-key', ?, 'pkcs11-provider', "
                "?, 1, ?, 1)", (PKCS11_UUID, (2).to_bytes(4, "little"), upstream_p256_attributes()))
    con.commit()
    for suffix in ("", "-wal", "-shm"):
        shutil.copy(os.path.join(scratch, "kim.sqlite3" + suffix), os.path.join(d, "kim.sqlite3" +
                                                                                suffix))
    con.close()
    shutil.rmtree(scratch)
    with open(der, "rb") as f:
        return serialization.load_der_public_key(f.read()).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def default_level_summary():
    """Without log_level (upstream's default is warn), the start that adopts still says so."""
    dep = Deployment("ondisk-direct")
    try:
        path = os.path.join(dep.dir, AUTHS["Direct"])
        with open(path) as f:
            text = f.read().replace('log_level = "info"\n', "")
        with open(path, "w") as f:
            f.write(text)
        dep.start("Direct")
        lines = dep.summaries()
        check("at the default log level the adopting start logs its summary line",
              len(lines) == 1 and "4 adopted" in lines[0], lines)
    finally:
        dep.remove()


def pkcs11_suite():
    if not softhsmlib.available():
        print("# SoftHSMv2 or pkcs11-tool missing; the PKCS#11 adoption is skipped")
        return
    d = tempfile.mkdtemp(prefix="parsecd-adopt-p11.")
    os.chmod(d, 0o755)
    dep = None
    try:
        token = softhsmlib.Token(d)
        pem = pkcs11_deployment(d, token)
        with open(os.path.join(d, "config-Direct.toml"), "w") as f:
            f.write('[core_settings]\nlog_level = "info"\nallow_root = true\n[listener]\nlistener_type = '
                    '"DomainSocket"\ntimeout = 3000\nsocket_path = "@DIR@/parsec.sock"\n'
                    '[authenticator]\nauth_type = "Direct"\n[[key_manager]]\n'
                    'name = "sqlite-manager"\nmanager_type = "SQLite"\n'
                    'sqlite_db_path = "@DIR@/kim.sqlite3"\n' + token.provider_table())
        with open(os.path.join(d, "public-keys.json"), "w") as f:
            json.dump({"Direct": {"alice": {"hsm-key": pem}}}, f)
        dep = Deployment(d)
        pristine = dep.upstream_files()
        check("PKCS#11: upstream's store has its row in its -wal only",
              os.path.getsize(dep.kim + "-wal") > 0 and "kim.sqlite3-shm" in pristine and
              b"hsm-key" not in open(dep.kim, "rb").read())
        r = dep.dry_run("Direct")
        check("PKCS#11: --adopt-dry-run names the token objects it would adopt",
              "adopt Direct alice hsm-key: pkcs11-provider, token objects with CKA_ID 00000002"
              in r.stdout, (r.stdout, r.stderr))
        dep.start("Direct")
        check("PKCS#11: one summary line: 1 adopted from the pkcs11-provider",
              "1 adopted (pkcs11-provider 1)" in " ".join(dep.summaries()), dep.log()[-2000:])
        serves_upstream_keys(dep, "Direct")
        rc, _, err = dep.tool("alice", "delete-key", "--key-name", "hsm-key")
        check("PKCS#11: the adopted key is destroyed with its objects on the token",
              rc == 0 and listed(dep, "alice") == [] and token.objects_with_id("00000002") == [],
              (rc, err, token.objects()))
        dep.stop()
        dep.start("Direct")
        check("PKCS#11: a second start adopts nothing new",
              "0 adopted" in dep.summaries()[-1] and "1 already adopted" in dep.summaries()[-1],
              dep.summaries())
        untouched(dep, pristine, "with a -wal and -shm, after adoption, a destroy and a restart")
    finally:
        if dep is not None:
            dep.remove()
        shutil.rmtree(d, ignore_errors=True)


def adoption_filtered():
    """The adoption process runs under its seccomp filter: in the test build, a chown it
    attempts once its store is open kills it, and parsecd does not start."""
    fault_parsecd = os.path.join(eb.TOP, "tests", "faults", "parsecd", "parsecd")
    if not os.path.exists(fault_parsecd):
        print("# the test build (make fault-tree) is missing; the adoption filter is not tried")
        return
    if os.environ.get("PARSEC_SANITIZED"):
        print("# sanitizer build: its seccomp filter lets other calls through; not checked")
        return
    dep = Deployment("ondisk-direct")
    try:
        pristine = dep.upstream_files()
        env = dict(os.environ, PARSEC_FORBIDDEN="adopt")
        with open(dep.log_path, "a") as log:
            r = subprocess.run([fault_parsecd, "-c", AUTHS["Direct"]], cwd=dep.dir, env=env,
                               stdout=log, stderr=subprocess.STDOUT, timeout=60)
        check("the adoption process breaking its filter dies of SIGSYS and parsecd stops",
              r.returncode != 0 and "adoption process" in dep.log() and
              "killed by signal 31" in dep.log() and "listening on" not in dep.log(),
              dep.log()[-1500:])
        r = subprocess.run([fault_parsecd, "--adopt-dry-run", "-c", AUTHS["Direct"]], cwd=dep.dir,
                           env=env, capture_output=True, text=True, timeout=60)
        check("and so does the dry run's", r.returncode != 0 and "signal 31" in r.stderr,
              (r.returncode, r.stderr))
        untouched(dep, pristine, "after the adoption process was killed")
    finally:
        dep.remove()


def helper_filtered():
    """The adoption helper's other jobs run under the same filter once they have read what they
    parse: the question whether sqlite_db_path is upstream's store, and --orphans reading the key
    store. In the test build a chown each attempts then kills it, and parsecd says so."""
    fault_parsecd = os.path.join(eb.TOP, "tests", "faults", "parsecd", "parsecd")
    if not os.path.exists(fault_parsecd) or os.environ.get("PARSEC_SANITIZED"):
        print("# no test build, or a sanitizer build: the helper's filter is not tried")
        return
    dep = Deployment("sqlite")
    try:
        env = dict(os.environ, PARSEC_FORBIDDEN="classify")
        r = subprocess.run([fault_parsecd, "--adopt-dry-run", "-c", AUTHS["Direct"]], cwd=dep.dir,
                           env=env, capture_output=True, text=True, timeout=60)
        check("the helper telling what sqlite_db_path is dies of SIGSYS past its filter, and "
              "parsecd stops", r.returncode != 0 and "killed by signal 31" in r.stderr,
              (r.returncode, r.stderr[-800:]))
        dep.start("Direct")
        dep.stop()
        run = [fault_parsecd, "--orphans", "-c", AUTHS["Direct"]]
        r = subprocess.run(run, cwd=dep.dir, capture_output=True, text=True, timeout=60)
        check("--orphans reads the key store under its filter", r.returncode == 0 and
              "orphan" in r.stdout, (r.returncode, r.stdout[-300:], r.stderr[-500:]))
        r = subprocess.run(run, cwd=dep.dir, env=dict(os.environ, PARSEC_FORBIDDEN="orphans"),
                           capture_output=True, text=True, timeout=60)
        check("and dies of SIGSYS if it breaks it", r.returncode != 0 and
              "killed by signal 31" in r.stderr, (r.returncode, r.stderr[-800:]))
    finally:
        dep.stop()
        dep.remove()


def main():
    sqlite_suite()
    migration_suite()
    parsecd_store_in_place()
    pkcs11_suite()
    ondisk_suite("ondisk-direct", "Direct", True)
    ondisk_suite("ondisk-peer", "UnixPeerCredentials", False)
    missing_key_file()
    default_level_summary()
    adoption_filtered()
    helper_filtered()
    return summary("e2e_adopt")


if __name__ == "__main__":
    sys.exit(main())
