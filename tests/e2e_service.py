#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""parsecd and its service manager: readiness (NOTIFY_SOCKET), socket
activation (LISTEN_FDS), the socket's mode and group, and SIGHUP reload.

Usage: e2e_service.py TOPDIR
"""
import os
import re
import socket
import struct
import subprocess
import sys
import time

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "tests", "pb"))

import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402



def ping(path):
    hdr = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(path)
            s.sendall(hdr)
            raw = s.recv(64)
        return len(raw) >= 36 and struct.unpack("<H", raw[32:34])[0] == 0
    except OSError:
        return False


def notify_and_socket_mode():
    svc = eb.Service()
    notify_path = os.path.join(svc.dir, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(10)
    os.environ["NOTIFY_SOCKET"] = notify_path
    try:
        svc.start()
        ready = notify.recv(256)
        check("READY=1 reaches the service manager once serving", ready == b"READY=1", ready)
        mode = os.stat(svc.sock).st_mode & 0o777
        check("the socket is world-connectable by default, as upstream", mode == 0o666, oct(mode))
        svc.proc.terminate()
        svc.proc.wait(10)
        stopping = notify.recv(256)
        check("STOPPING=1 on the way out", stopping == b"STOPPING=1", stopping)
    finally:
        os.environ.pop("NOTIFY_SOCKET", None)
        notify.close()
        svc.stop()
        svc.remove()


def socket_activation():
    svc = eb.Service()
    activated = os.path.join(svc.dir, "activated.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(activated)
    listener.listen(16)
    log = open(os.path.join(svc.dir, "parsecd.log"), "w")
    proc = subprocess.Popen(
        ["/bin/sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" -c "$1" 3<&%d' % listener.fileno(),
         os.path.join(TOP, "parsecd", "parsecd"), os.path.join(svc.dir, "config.toml")],
        pass_fds=(listener.fileno(),), stdout=log, stderr=subprocess.STDOUT)
    listener.close()
    try:
        for _ in range(100):
            if "listening on" in open(os.path.join(svc.dir, "parsecd.log")).read():
                break
            time.sleep(0.1)
        check("a socket-activated parsecd serves on the socket it was given", ping(activated))
        check("and makes no socket of its own", not os.path.exists(svc.sock))
        proc.terminate()
        proc.wait(10)
        check("the activated socket is left to the service manager", os.path.exists(activated))
    finally:
        if proc.poll() is None:
            proc.kill()
        svc.remove()


def list_opcodes(svc):
    import list_opcodes_pb2
    st, out = eb.call(svc.sock, 0, 0x09, list_opcodes_pb2.Operation(provider_id=1).SerializeToString(), 0, b"")
    return st, set(list_opcodes_pb2.Result.FromString(out).opcodes) if st == 0 else set()


def read_response(sock):
    """One response on sock: (status, body), or (None, bytes so far) if the service closed first."""
    raw = b""
    while len(raw) < 36:
        chunk = sock.recv(36 - len(raw))
        if not chunk:
            return None, raw
        raw += chunk
    body_len = struct.unpack("<I", raw[22:26])[0]
    body = b""
    while len(body) < body_len:
        chunk = sock.recv(body_len - len(body))
        if not chunk:
            return None, body
        body += chunk
    return struct.unpack("<H", raw[32:34])[0], body


def reload_tests():
    svc = eb.Service()
    config = os.path.join(svc.dir, "config.toml")
    original = open(config).read()
    try:
        svc.start()
        admin = eb.App(svc, "admin")
        admin.generate("k")
        check("before the reload, admin is not an admin", admin.clients()[0] == 21)
        kept = socket.socket(socket.AF_UNIX)
        kept.settimeout(10)
        kept.connect(svc.sock)
        hdr = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, 1, 0, 1, 0, 0, 1, 0, 5, 1, 0, 0,
                          0) + b"admin"
        # flags 0x0001 asks the service to keep the connection open across the reload; the
        # Direct auth field takes each Ping through brokerd too (frontd answers one without).
        kept.sendall(hdr)
        first = read_response(kept)
        with open(config, "w") as f:
            f.write(original.replace("admins = [  ]", 'admins = [ { name = "admin" } ]')
                    .replace('log_level = "info"', 'log_level = "info"\nbody_len_limit = 4096')
                    .replace('key_info_manager = "sqlite-manager"',
                             'key_info_manager = "sqlite-manager"\nadvertise_mac_opcodes = true'))
        os.kill(svc.proc.pid, 1)
        deadline = time.time() + 5
        while time.time() < deadline and "reloaded" not in open(os.path.join(svc.dir, "parsecd.log")).read():
            time.sleep(0.1)
        time.sleep(1)
        kept.sendall(hdr)
        second = read_response(kept)
        check("a connection open across the reload keeps working: both pings answer Success",
              first[0] == 0 and second[0] == 0, (first, second))
        kept.close()
        check("admins change on SIGHUP", admin.clients() == (0, ["admin"]), admin.clients())
        # One byte over the new limit: refused at once, from the header alone.
        big = struct.pack("<IHBBHBQBBBIHIHBB", 0x5EC0A710, 30, 1, 0, 0, 0, 1, 0, 0, 0, 4097, 0, 1, 0, 0, 0)
        with socket.socket(socket.AF_UNIX) as c:
            c.settimeout(10)
            c.connect(svc.sock)
            c.sendall(big)
            try:
                status = read_response(c)[0]
            except socket.timeout:
                status = "no answer in 10 s"
        check("body_len_limit changes on SIGHUP: a body one byte over 4096 is BodySizeExceedsLimit (20)",
              status == 20, status)
        st, ops = list_opcodes(svc)
        check("a changed provider is restarted with its new settings", st == 0 and 0x16 in ops, ops)
        check("its keys are still there", admin.public("k")[0] == 0)
        with open(config, "w") as f:
            f.write("[listener\nthis is not toml")
        os.kill(svc.proc.pid, 1)
        time.sleep(1)
        log = open(os.path.join(svc.dir, "parsecd.log")).read()
        check("a broken config is refused with a clear log line", "reload refused" in log and
              "config.toml:1:" in log, log[-400:])
        check("and the running configuration keeps serving", admin.clients()[0] == 0 and ping(svc.sock))
    finally:
        svc.stop()
        svc.remove()


def socket_group():
    if os.geteuid() != 0:
        return
    import grp
    svc = eb.Service()
    config = os.path.join(svc.dir, "config.toml")
    with open(config, "a") as f:
        f.write('socket_mode = "0660"\nsocket_group = "nogroup"\n')
    try:
        svc.start()
        st = os.stat(svc.sock)
        check("socket_group and socket_mode narrow the socket",
              st.st_mode & 0o777 == 0o660 and st.st_gid == grp.getgrnam("nogroup").gr_gid,
              (oct(st.st_mode), st.st_gid))
    finally:
        svc.stop()
        svc.remove()


def gone(pid, parent):
    """pid no longer runs as a child of parent (it may be another process's pid by now)."""
    try:
        return int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1]) != parent
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return True


def core_child_loss():
    """parsecd(8): if frontd or brokerd dies the service stops with a non-zero exit
    status (its service manager restarts it), where a provider is restarted alone
    (e2e_privsep)."""
    for victim in ("parsec-frontd", "parsec-brokerd"):
        svc = eb.Service()
        try:
            svc.start()
            parent = svc.proc.pid
            kids = eb.service_pids(parent)[1:]
            pid = [p for p, comm in kids if comm == victim]
            check("%s runs under parsecd" % victim, len(pid) == 1, kids)
            if len(pid) != 1:
                continue
            os.kill(pid[0], 9)
            code = svc.wait_exit(15)
            log = svc.log()
            check("%s killed: parsecd stops with a non-zero exit status" % victim,
                  code not in (0, None), code)
            name = victim[len("parsec-"):]
            # Its peer may notice first and exit too: the line for the victim then
            # comes while the service already stops, without the reason.
            said = re.search(r"%s \(pid %d\) was killed by signal 9 \(Killed\)"
                             r"(; stopping the service)?$" % (name, pid[0]), log, re.M)
            check("%s killed: the log says so, and the service stops rather than restart it"
                  % victim, said is not None and "stopping the service" in log, log[-800:])
            check("%s killed: no other child of parsecd is left running" % victim,
                  all(gone(p, parent) for p, _ in kids), kids)
        finally:
            svc.stop()
            svc.remove()


def main():
    core_child_loss()
    socket_group()
    notify_and_socket_mode()
    socket_activation()
    reload_tests()
    return summary("e2e_service")


if __name__ == "__main__":
    sys.exit(main())
