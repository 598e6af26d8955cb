#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A software TPM (swtpm) on a Unix socket in a temp directory, for tests.

    with Swtpm() as tpm:          # started, stopped on the way out, always
        tcti = tpm.tcti           # "swtpm:path=..."
        tpm.stop(); tpm.start()   # the same state directory: same seeds, same keys

The directory is 0755 and the sockets 0666: the TPM worker connects as the
service user _parsec.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time


def available():
    return all(shutil.which(p) for p in ("swtpm", "swtpm_ioctl", "tpm2_getrandom"))


class Swtpm:
    def __init__(self, directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="parsecd-swtpm.")
        os.chmod(self.dir, 0o755)
        self.state = os.path.join(self.dir, "state")
        os.makedirs(self.state, exist_ok=True)
        self.sock = os.path.join(self.dir, "tpm.sock")
        self.ctrl = self.sock + ".ctrl"
        self.pidfile = os.path.join(self.dir, "swtpm.pid")
        self.tcti = "swtpm:path=" + self.sock
        self.pid = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    def tool_env(self):
        env = dict(os.environ)
        env["TSS2_LOG"] = "all+none"
        return env

    def ready(self):
        """Whether the TPM answers a command (tpm2_getrandom)."""
        r = subprocess.run(["tpm2_getrandom", "-T", self.tcti, "4"], env=self.tool_env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        return r.returncode == 0

    def start(self, seconds=10):
        subprocess.run(["swtpm", "socket", "--tpm2", "--daemon",
                        "--tpmstate", "dir=" + self.state,
                        "--server", "type=unixio,path=" + self.sock,
                        "--ctrl", "type=unixio,path=" + self.ctrl,
                        "--flags", "not-need-init,startup-clear",
                        "--pid", "file=" + self.pidfile,
                        "--log", "file=%s,level=1" % os.path.join(self.dir, "swtpm.log")],
                       check=True, timeout=30)
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.pid = int(open(self.pidfile).read().strip())
            except (FileNotFoundError, ValueError):
                pass
            if self.pid and os.path.exists(self.sock):
                for path in (self.sock, self.ctrl):
                    os.chmod(path, 0o666)
                if self.ready():
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("swtpm did not become ready in " + self.dir)
            time.sleep(0.1)

    def stop(self, seconds=10):
        """Asks swtpm to shut down, waits for its pid file to go; kills it otherwise."""
        if self.pid is None:
            return
        subprocess.run(["swtpm_ioctl", "--unix", self.ctrl, "-s"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
        deadline = time.monotonic() + seconds
        while os.path.exists(self.pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(self.pidfile):
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.unlink(self.pidfile)
        self.pid = None

    def tool(self, *args):
        """A tpm2-tools command against this TPM (it must be free: one connection at a time)."""
        return subprocess.run(["tpm2_" + args[0], "-T", self.tcti] + list(args[1:]),
                              env=self.tool_env(), capture_output=True, text=True, timeout=30)

    def remove(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
