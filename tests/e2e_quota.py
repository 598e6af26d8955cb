#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Per-application key store quotas ([privsep] max_keys_per_application and
max_key_bytes_per_application): past them GenerateKey and ImportKey answer
PsaErrorInsufficientStorage and change nothing; other applications go on."""
import os
import signal
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import App, Service, check  # noqa: E402

import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_import_key_pb2 as import_pb  # noqa: E402

OP_IMPORT = 0x06
ST_INSUFFICIENT_STORAGE = 1142


def import_hmac(app, name, data, bits=None):
    """Imports an HMAC-SHA256 key of len(data) bytes (key_bits as given, else from data)."""
    op = import_pb.Operation(key_name=name, data=data)
    at = op.attributes
    at.key_type.hmac.SetInParent()
    at.key_bits = len(data) * 8 if bits is None else bits
    at.key_policy.key_usage_flags.sign_message = True
    at.key_policy.key_algorithm.mac.full_length.hmac.hash_alg = alg_pb.Algorithm.SHA_256
    return eb.call(app.service.sock, 1, OP_IMPORT, op.SerializeToString(), app.auth_type, app.auth)[0]


def key_count_quota():
    svc = Service(privsep_extra="max_keys_per_application = 3")
    try:
        svc.start()
        alice, bob = App(svc, "alice"), App(svc, "bob")
        sts = [alice.generate("k%d" % i) for i in (1, 2, 3)]
        check("three keys fit a quota of three", sts == [0, 0, 0], sts)
        files = svc.key_files()
        st = alice.generate("k4")
        check("the fourth GenerateKey is InsufficientStorage", st == ST_INSUFFICIENT_STORAGE, st)
        check("the refused key is not listed", alice.keys() == (0, ["k1", "k2", "k3"]), alice.keys())
        check("the refused key reached no provider", svc.key_files() == files,
              (files, svc.key_files()))
        st = import_hmac(alice, "h1", b"\x0b" * 32)
        check("an ImportKey past the quota is InsufficientStorage", st == ST_INSUFFICIENT_STORAGE, st)
        check("another application is unaffected", [bob.generate("b%d" % i) for i in (1, 2, 3)] ==
              [0, 0, 0])
        st = alice.destroy("k2")
        check("destroy under the quota", st == 0, st)
        st = alice.generate("k4")
        check("after a destroy a new key fits", st == 0, st)
        svc.stop()
        svc.start()
        st = alice.generate("k5")
        check("the quota holds after a restart (counted from the key store)",
              st == ST_INSUFFICIENT_STORAGE, st)
        check("the keys are the same after the restart", alice.keys() == (0, ["k1", "k3", "k4"]),
              alice.keys())
        conf = os.path.join(svc.dir, "config.toml")
        text = open(conf).read().replace("max_keys_per_application = 3", "max_keys_per_application = 4")
        with open(conf, "w") as f:
            f.write(text)
        os.kill(svc.proc.pid, signal.SIGHUP)
        log = svc.wait_log("at most 4 keys", 1)
        check("brokerd takes the new quota on a reload", "at most 4 keys" in log)
        st = alice.generate("k5")
        check("after raising the quota to 4 a fourth key fits", st == 0, st)
        st = alice.generate("k6")
        check("and a fifth does not", st == ST_INSUFFICIENT_STORAGE, st)
    finally:
        svc.stop()
        svc.remove()


def byte_quota():
    svc = Service(privsep_extra="max_keys_per_application = 0\nmax_key_bytes_per_application = 100")
    try:
        svc.start()
        alice, bob = App(svc, "alice"), App(svc, "bob")
        sts = [import_hmac(alice, "h1", b"\x01" * 40), import_hmac(alice, "h2", b"\x02" * 40)]
        check("80 bytes fit a quota of 100", sts == [0, 0], sts)
        files = svc.key_files()
        st = import_hmac(alice, "h3", b"\x03" * 40)
        check("an import to 120 bytes is InsufficientStorage", st == ST_INSUFFICIENT_STORAGE, st)
        check("the refused import changed nothing", alice.keys() == (0, ["h1", "h2"]) and
              svc.key_files() == files, (alice.keys(), files, svc.key_files()))
        st = import_hmac(alice, "h3", b"\x03" * 20)
        check("an import to exactly 100 bytes fits", st == 0, st)
        st = alice.generate("p256")
        check("a P-256 generate (32 bytes) past the bytes quota is InsufficientStorage",
              st == ST_INSUFFICIENT_STORAGE, st)
        st = import_hmac(bob, "b1", b"\x04" * 40)
        check("another application's import is unaffected", st == 0, st)
        st = import_hmac(bob, "b2", b"\x05" * 64, bits=0)
        check("an import without key_bits is charged its data's length (40 + 64 > 100)",
              st == ST_INSUFFICIENT_STORAGE, st)
        st = import_hmac(bob, "b2", b"\x05" * 60, bits=0)
        check("an import without key_bits to exactly 100 bytes fits", st == 0, st)
        check("alice destroys h1", alice.destroy("h1") == 0)
        st = alice.generate("p256")
        check("after a destroy the generate fits", st == 0, st)
        check("unlimited key count (0): alice holds three keys", alice.keys() ==
              (0, ["h2", "h3", "p256"]), alice.keys())
        # A key store from before the quotas: no bytes column, no usage kept; keys count
        # their bits.
        svc.stop()
        db = sqlite3.connect(os.path.join(svc.dir, "kim", "kim.sqlite3"))
        for trigger in ("keys_usage_add", "keys_usage_sub", "keys_usage_move"):
            db.execute("DROP TRIGGER %s" % trigger)
        db.execute("DROP TABLE app_usage")
        db.execute("ALTER TABLE keys DROP COLUMN bytes")
        db.commit()
        db.close()
        svc.start()
        st = alice.generate("p256-2")
        check("an older key store gains the column; 92 + 32 bytes is InsufficientStorage",
              st == ST_INSUFFICIENT_STORAGE, st)
        check("the older key store's keys are all there", alice.keys() ==
              (0, ["h2", "h3", "p256"]), alice.keys())
    finally:
        svc.stop()
        svc.remove()


def main():
    key_count_quota()
    byte_quota()
    return eb.summary("e2e_quota")


if __name__ == "__main__":
    sys.exit(main())
