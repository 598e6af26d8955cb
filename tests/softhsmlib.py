#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A private SoftHSMv2 token for the end-to-end scripts: its own config and
token directory under a temp dir, readable by the service user, and the
[[provider]] table that points parsecd at it."""
import os
import re
import shutil
import subprocess

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
USER_PIN = "1234"
SO_PIN = "12345678"
LABEL = "parsec-test"


def available():
    return os.path.exists(MODULE) and shutil.which("softhsm2-util") and shutil.which("pkcs11-tool")


class Token:
    def __init__(self, directory, service_user="_parsec", user_pin=USER_PIN):
        self.user_pin = user_pin
        self.dir = os.path.join(directory, "softhsm")
        self.tokens = os.path.join(self.dir, "tokens")
        os.makedirs(self.tokens)
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "softhsm2.conf")
        with open(self.conf, "w") as f:
            f.write("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"
                    % self.tokens)
        os.chmod(self.conf, 0o644)
        # parsecd reads SOFTHSM2_CONF from its environment and passes it to the provider.
        os.environ["SOFTHSM2_CONF"] = self.conf
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", LABEL,
                        "--so-pin", SO_PIN, "--pin", user_pin], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The provider opens the token as the service user.
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", service_user, self.tokens], check=True)
        self.slot = self._slot()

    def _slot(self):
        out = subprocess.run(["softhsm2-util", "--show-slots"], check=True,
                             capture_output=True, text=True).stdout
        # Slots are listed in order; the initialised one carries our label.
        for block in out.split("\nSlot ")[1:]:
            if "Label:            %s" % LABEL in block or re.search(r"Label:\s+%s\b" % LABEL, block):
                return int(block.split()[0])
        raise RuntimeError("no SoftHSM slot labelled %s:\n%s" % (LABEL, out))

    def provider_table(self, pin=USER_PIN, extra=""):
        """The [[provider]] table for this token; pin=None leaves user_pin out."""
        return """
[[provider]]
provider_type = "Pkcs11"
key_info_manager = "sqlite-manager"
library_path = "%s"
slot_number = %d
%s
%s""" % (MODULE, self.slot, 'user_pin = "%s"' % pin if pin is not None else "", extra)

    def objects(self):
        """Every object on the token as a list of dicts (class, type, id, label lines)."""
        out = subprocess.run(["pkcs11-tool", "--module", MODULE, "--slot", str(self.slot),
                              "--login", "--pin", self.user_pin, "--list-objects"],
                             capture_output=True, text=True).stdout
        objs, cur = [], None
        for line in out.splitlines():
            if re.match(r"^(Private|Public|Secret) Key Object", line):
                cur = {"kind": line.strip(), "lines": []}
                objs.append(cur)
            elif cur is not None and line.startswith("  "):
                cur["lines"].append(line.strip())
                key, _, val = line.strip().partition(":")
                cur[key.strip()] = val.strip()
        return objs

    def objects_with_id(self, key_id):
        return [o for o in self.objects() if o.get("ID", "").lower() == key_id.lower()]
