#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A config that holds a PIN or a TPM hierarchy password must be private to
its owner: group- or other-readable, it is refused by `parsecd -t`, at start
and on SIGHUP (the running configuration keeps serving), naming the file, the
setting and the chmod to run. The built-in development config (make run)
still serves.

Usage: e2e_secrets.py TOPDIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
from e2elib import check, summary  # noqa: E402

PARSECD = os.path.join(eb.TOP, "parsecd", "parsecd")
TPM_TABLE = '\n[[provider]]\nprovider_type = "Tpm"\ntcti = "swtpm:path=/nonexistent"\n%s = "pw"\n'


def config_check(path):
    r = subprocess.run([PARSECD, "-t", "-c", path], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def refused_text(path, setting, mode):
    return "%s: holds %s but group or others may read it (mode %04o): chmod 0600 %s" % (
        path, setting, mode, path)


def check_only():
    """parsecd -t on each secret, at modes others can read and at 0600."""
    svc = eb.Service()
    config = os.path.join(svc.dir, "config.toml")
    base = open(config).read()
    try:
        cases = [("provider.user_pin", '\n[[provider]]\nprovider_type = "Pkcs11"\n'
                  'library_path = "%s"\nuser_pin = "1234"\n' % softhsmlib.MODULE)]
        cases += [("provider." + k, TPM_TABLE % k) for k in ("owner_hierarchy_auth", "endorsement_hierarchy_auth")]
        for setting, table in cases:
            with open(config, "w") as f:
                f.write(base.replace("[privsep]", table + "\n[privsep]"))
            for mode in (0o644, 0o640):
                os.chmod(config, mode)
                code, out = config_check(config)
                check("parsecd -t refuses a %04o config with %s, naming file and chmod" % (mode, setting),
                      code == 1 and refused_text(config, setting, mode) in out, (code, out))
            os.chmod(config, 0o600)
            code, out = config_check(config)
            check("parsecd -t takes it at 0600 (%s)" % setting, code == 0, (code, out))
        with open(config, "w") as f:
            f.write(base)
        os.chmod(config, 0o644)
        code, out = config_check(config)
        check("a 0644 config without a secret is fine", code == 0, (code, out))
    finally:
        svc.remove()


def start_and_reload():
    if not softhsmlib.available():
        print("# SoftHSMv2 missing: start and reload with a PIN not tried")
        return
    svc = eb.Service()
    token = softhsmlib.Token(svc.dir)
    config = os.path.join(svc.dir, "config.toml")
    base = open(config).read()
    with_pin = base.replace("[privsep]", token.provider_table() + "\n[privsep]")
    try:
        with open(config, "w") as f:
            f.write(with_pin)
        os.chmod(config, 0o644)
        started, code, log = svc.start_refused()
        check("a 0644 config with user_pin does not start, saying why",
              not started and code == 1 and refused_text(config, "provider.user_pin", 0o644) in log,
              (started, code, log[-500:]))
        # Serving without a secret; then SIGHUP with a readable PIN added.
        with open(config, "w") as f:
            f.write(base)
        os.chmod(config, 0o644)
        svc.start()
        with open(config, "w") as f:
            f.write(with_pin)
        os.kill(svc.proc.pid, signal.SIGHUP)
        logfile = os.path.join(svc.dir, "parsecd.log")
        deadline = time.time() + 10
        while time.time() < deadline and "reload refused" not in open(logfile).read():
            time.sleep(0.1)
        log = open(logfile).read()
        check("SIGHUP with a 0644 config holding user_pin is refused, naming file and chmod",
              "reload refused" in log and refused_text(config, "provider.user_pin", 0o644) in log, log[-500:])
        check("and the running configuration keeps serving", eb.App(svc, "a").generate("k") == 0)
        os.chmod(config, 0o600)
        os.kill(svc.proc.pid, signal.SIGHUP)
        deadline = time.time() + 20
        st = None
        while time.time() < deadline:
            st = eb.call(svc.sock, 2, 0x02, eb.gen_pb.Operation(
                key_name="p", attributes=eb.p256_attributes()).SerializeToString(), eb.AUTH_DIRECT, b"a")[0]
            if st == 0:
                break
            time.sleep(0.2)
        check("once 0600, the reload takes the PIN and the token serves", st == 0, st)
    finally:
        svc.stop()
        svc.remove()


def dev_config():
    """make run's built-in configuration has no file and no secret: it serves."""
    d = tempfile.mkdtemp(prefix="parsecd-dev.")
    os.chmod(d, 0o755)
    log = open(os.path.join(d, "log"), "w")
    proc = subprocess.Popen([PARSECD, "-D", d], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 15
        while time.time() < deadline and "listening on" not in open(os.path.join(d, "log")).read():
            time.sleep(0.1)
        sock = [f for f in os.listdir(d) if f.endswith(".sock")]
        st = None
        if sock:
            svc = eb.Service.__new__(eb.Service)
            svc.sock = os.path.join(d, sock[0])
            st = eb.App(svc, "dev").generate("k")
        check("the built-in development config (make run) serves", st == 0,
              (st, open(os.path.join(d, "log")).read()[-400:]))
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def main():
    check_only()
    start_and_reload()
    dev_config()
    return summary("e2e_secrets")


if __name__ == "__main__":
    sys.exit(main())
