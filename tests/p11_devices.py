#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The PKCS#11 conformance suite (tests/check_pkcs11) through parsecd's module on
the device providers: a parsecd with a SoftHSMv2 token behind its PKCS#11
provider and a swtpm behind its TPM provider, each token tested in turn. What a
provider does not offer is skipped by the suite, with a note; the Mbed Crypto
slot is make check's. Usage: p11_devices.py TOP"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402


def run(top, token, extra):
    env = dict(os.environ, P11_TEST_TOKEN=token, P11_TEST_DAEMON_EXTRA=extra)
    print("== check_pkcs11 on the token %s" % token, flush=True)
    return subprocess.run([os.path.join(top, "tests", "check_pkcs11")], env=env).returncode


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    base = tempfile.mkdtemp(prefix="p11-devices.")
    os.chmod(base, 0o755)
    failed, ran = [], 0
    try:
        if softhsmlib.available():
            table = softhsmlib.Token(base).provider_table()
            ran += 1
            if run(top, "Parsec Pkcs11", table) != 0:
                failed.append("Pkcs11")
        if swtpmlib.available():
            with swtpmlib.Swtpm() as tpm:
                table = ('\n[[provider]]\nprovider_type = "Tpm"\n'
                         'key_info_manager = "sqlite-manager"\ntcti = "%s"\n' % tpm.tcti)
                ran += 1
                if run(top, "Parsec Tpm", table) != 0:
                    failed.append("Tpm")
    finally:
        subprocess.run(["rm", "-rf", base])
    if ran == 0:
        print("neither SoftHSMv2 nor swtpm is installed: skipped")
        return 77
    if failed:
        print("p11_devices: failed on %s" % ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
