#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Connection life as upstream's clients and libparsec see it.

A client that sends one request and reads to the end of the stream (the Go
client does) gets its reply and the service's close at once, for every class
of answer; a client that sets the keep-alive flag keeps its connection until
[privsep] keep_alive_timeout; libparsec makes all its calls on one connection,
counted by the service itself.

Usage: e2e_oneshot.py TOPDIR
"""
import os
import socket
import statistics
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

import list_providers_pb2 as list_providers_pb  # noqa: E402
import ping_pb2 as ping_pb  # noqa: E402
import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_destroy_key_pb2 as destroy_pb  # noqa: E402
import psa_export_public_key_pb2 as export_pub_pb  # noqa: E402
import psa_generate_key_pb2 as gen_pb  # noqa: E402
import psa_hash_compute_pb2 as hash_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402

KEEP_ALIVE = 0x0001
# An EOF this long after the reply is a close by the service, not an idle timeout.
CLOSE_BOUND_S = 0.05


def request(provider, opcode, body=b"", auth=b"app", flags=0, version=(1, 0)):
    auth_type = eb.AUTH_DIRECT if auth else 0
    hdr = struct.pack(eb.HDR_FORMAT, 0x5EC0A710, 30, version[0], version[1], flags, provider, 7, 0, 0,
                      auth_type, len(body), len(auth), opcode, 0, 0, 0)
    return hdr + body + auth


def one_shot(sock_path, req):
    """Sends req, reads to EOF. Returns (status, body, seconds from reply to EOF, extra bytes)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(sock_path)
        s.sendall(req)
        fields, body = eb.read_response(s)
        t_reply = time.monotonic()
        rest = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                rest += chunk
        except socket.timeout:
            return (fields[13] if fields else None), body, None, rest
        return (fields[13] if fields else None), body, time.monotonic() - t_reply, rest


def classes():
    attrs = eb.p256_attributes()
    ecdsa = alg_pb.Algorithm.AsymmetricSignature()
    ecdsa.ecdsa.hash_alg.specific = alg_pb.Algorithm.SHA_256
    return [
        ("Ping (core)", 0, 0x01, ping_pb.Operation().SerializeToString(), 0),
        ("ListProviders (core)", 0, 0x08, list_providers_pb.Operation().SerializeToString(), 0),
        ("PsaGenerateKey (key management)", 1, 0x02,
         gen_pb.Operation(key_name="k1", attributes=attrs).SerializeToString(), 0),
        ("PsaExportPublicKey (key management)", 1, 0x07,
         export_pub_pb.Operation(key_name="k1").SerializeToString(), 0),
        ("PsaSignHash (crypto)", 1, 0x04,
         sign_pb.Operation(key_name="k1", alg=ecdsa, hash=b"\x11" * 32).SerializeToString(), 0),
        ("PsaHashCompute (crypto)", 1, 0x0F,
         hash_pb.Operation(alg=alg_pb.Algorithm.SHA_256, input=b"abc").SerializeToString(), 0),
        ("PsaSignHash of a missing key (error answer)", 1, 0x04,
         sign_pb.Operation(key_name="none", alg=ecdsa, hash=b"\x11" * 32).SerializeToString(),
         1140),
        ("PsaDestroyKey (key management)", 1, 0x03,
         destroy_pb.Operation(key_name="k1").SerializeToString(), 0),
    ]


def check_one_shot(svc):
    for name, provider, opcode, body, want in classes():
        st, _, to_eof, rest = one_shot(svc.sock, request(provider, opcode, body))
        check("one-shot %s: answered %s" % (name, want), st == want, st)
        check("one-shot %s: the service closes right after the reply" % name,
              to_eof is not None and to_eof < 1.0 and rest == b"",
              "EOF after %s s, %d extra bytes" % (to_eof, len(rest)))
    st, _, to_eof, _ = one_shot(svc.sock, request(0, 0x01, version=(2, 0)))
    check("one-shot header fault: WireProtocolVersionNotSupported, then the close",
          st == 4 and to_eof is not None and to_eof < 1.0, (st, to_eof))
    # The figure a user feels: the median of many Ping round trips, reply to EOF.
    gaps = []
    for _ in range(41):
        _, _, to_eof, _ = one_shot(svc.sock, request(0, 0x01))
        gaps.append(to_eof if to_eof is not None else 10.0)
    med = statistics.median(gaps)
    print("# one-shot Ping: reply to EOF median %.2f ms, max %.2f ms" % (med * 1e3, max(gaps) * 1e3))
    check("one-shot Ping: the close follows the reply within 50 ms (median of 41)",
          med < CLOSE_BOUND_S, "%.1f ms" % (med * 1e3))


def check_keep_alive(svc):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(svc.sock)
        s.sendall(request(0, 0x01, flags=KEEP_ALIVE))
        first, _ = eb.read_response(s)
        check("keep-alive asked: the reply carries the flag", first is not None and first[4] == KEEP_ALIVE,
              first)
        s.sendall(request(1, 0x0F, hash_pb.Operation(alg=alg_pb.Algorithm.SHA_256,
                                                         input=b"abc").SerializeToString(),
                          flags=KEEP_ALIVE))
        second, body = eb.read_response(s)
        check("keep-alive: a second request on the same connection is answered",
              second is not None and second[13] == 0 and len(body) > 32, second)
        s.sendall(request(0, 0x01))
        third, _ = eb.read_response(s)
        check("a request without the flag on a kept connection: answered, flag clear",
              third is not None and third[13] == 0 and third[4] == 0, third)
        check("and the connection is then closed", s.recv(1) == b"")
    # Upstream's clients set no flag and must see it clear.
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(svc.sock)
        s.sendall(request(0, 0x01))
        fields, _ = eb.read_response(s)
        check("no flag asked: the reply's flags are 0, as upstream's", fields is not None and fields[4] == 0,
              fields)


def check_idle_timeout():
    svc = eb.Service(privsep_extra="keep_alive_timeout = 400")
    svc.start()
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(20)
            s.connect(svc.sock)
            s.sendall(request(0, 0x01, flags=KEEP_ALIVE))
            fields, _ = eb.read_response(s)
            t0 = time.monotonic()
            eof = s.recv(1) == b""
            idle = time.monotonic() - t0
        check("keep_alive_timeout = 400: the kept connection is closed once idle",
              fields is not None and fields[4] == KEEP_ALIVE and eof and 0.35 <= idle < 15,
              "EOF %s after %.3f s" % (eof, idle))
    finally:
        svc.stop()
        svc.remove()


def open_unread(svc, reqs):
    """Sends each request on a connection of its own that reads nothing (a 4 KiB
    receive buffer); the sockets, and when the last request was sent."""
    socks = []
    for req in reqs:
        s = socket.socket(socket.AF_UNIX)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(svc.sock)
        s.sendall(req)
        socks.append(s)
    return socks, time.monotonic()


def answer_statuses(socks):
    """The status of the answer each socket got (None: cut before its header came)."""
    out = []
    for s in socks:
        s.settimeout(5)
        try:
            fields, _ = eb.read_response(s)
        except OSError:
            fields = None
        out.append(fields[13] if fields else None)
    return out


UNREAD_TIMEOUT_MS = 10000


def check_unread_answers():
    """128 answers of 1 MB nobody reads: frontd queues at most max_output_bytes_per_uid
    (64 MiB) of them for the uid and answers the rest PsaErrorInsufficientMemory at once;
    the queued ones go at the listener timeout and frontd's memory with them. The timeout
    is 10 s here: all 128 answers are made well within it even on a loaded machine (with
    3 s, early answers were cut while later ones were still being made, and those were
    then queued in the room the cut ones left: more than 67 cut, no cap broken)."""
    import psa_generate_random_pb2 as random_pb
    svc = eb.Service()
    config = os.path.join(svc.dir, "config.toml")
    with open(config) as f:
        text = f.read().replace("timeout = 3000\n", "timeout = %d\n" % UNREAD_TIMEOUT_MS)
    with open(config, "w") as f:
        f.write(text)
    svc.start()
    socks = []
    try:
        pid = [p for p, comm in eb.service_pids(svc.proc.pid) if comm == "parsec-frontd"][0]
        start = eb.rss_kib(pid)
        body = random_pb.Operation(size=1000000).SerializeToString()
        socks, sent = open_unread(svc, [request(1, 0x0D, body)] * 128)
        log = os.path.join(svc.dir, "parsecd.log")
        peak, t_peak = start, sent
        while time.monotonic() < sent + 30:
            rss = eb.rss_kib(pid)
            if rss > peak:
                peak, t_peak = rss, time.monotonic()
            if open(log).read().count("answer not read within") > 0 and rss < start + 32 * 1024:
                break
            time.sleep(0.02)
        back = time.monotonic() - t_peak
        # The rest of the queued answers reach their deadline too.
        # (Under ASan the wait above runs its 30 s out: freed memory stays in quarantine.)
        cut, stable = -1, time.monotonic()
        while time.monotonic() < stable + 1.5 and time.monotonic() < sent + 60:
            n = open(log).read().count("answer not read within %d ms" % UNREAD_TIMEOUT_MS)
            if n != cut:
                cut, stable = n, time.monotonic()
            time.sleep(0.1)
        statuses = answer_statuses(socks)
        refused = statuses.count(1141)
        print("# frontd RSS: %d KiB at start, %d KiB at the peak, within 32 MB of its start "
              "%.2f s after the peak; %d answers queued and cut, %d refused"
              % (start, peak, back, cut, refused))
        # 64 MiB hold 67 answers of 1,000,036 bytes.
        check("answers past 64 MiB unread for the uid are refused PsaErrorInsufficientMemory",
              refused > 0 and cut + refused == 128 and cut <= 67 and
              "larger answers are refused" in open(log).read(), (cut, refused, statuses))
        if os.environ.get("PARSEC_SANITIZED"):
            # ASan's allocator keeps freed memory in quarantine: the plain build checks this.
            print("# sanitizer build: frontd's memory is not measured")
        else:
            check("frontd held at most its cap (+16 MB) for them", peak < start + 80 * 1024,
                  (start, peak))
            check("and its memory is back within 32 MB of its start within the listener "
                  "timeout plus one second", back <= UNREAD_TIMEOUT_MS / 1000 + 1, "%.2f s" % back)
        check("and the service still answers", eb.call(svc.sock, 0, 0x01, b"", 0, b"")[0] == 0)
    finally:
        for s in socks:
            s.close()
        svc.stop()
        svc.remove()


def make_keys(svc, app, count, threads=4):
    """count P-256 keys of app with long names (a large ListKeys answer)."""
    import threading

    def work(k):
        a = eb.App(svc, app)
        for i in range(k, count, threads):
            a.generate("key-%05d-" % i + "x" * 200)
    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def check_unread_list_keys():
    """128 ListKeys over 3,000 keys, never read: brokerd's channel buffers grow with
    them and are released once frontd has them; brokerd's memory comes back."""
    import list_keys_pb2 as list_keys_pb
    svc = eb.Service(privsep_extra="max_output_bytes_per_uid = 0")
    svc.start()
    socks = []
    try:
        make_keys(svc, "lister", 3000)
        pid = [p for p, comm in eb.service_pids(svc.proc.pid) if comm == "parsec-brokerd"][0]
        start = eb.rss_kib(pid)
        req = request(0, 0x1A, list_keys_pb.Operation().SerializeToString(), auth=b"lister")
        socks, sent = open_unread(svc, [req] * 128)
        peak = start
        log = os.path.join(svc.dir, "parsecd.log")
        while time.monotonic() < sent + 60 and \
                open(log).read().count("answer not read within") < 128:
            peak = max(peak, eb.rss_kib(pid))
            time.sleep(0.02)
        time.sleep(1)
        after = eb.rss_kib(pid)
        print("# brokerd RSS: %d KiB with the keys, %d KiB at the peak, %d KiB once the 128 "
              "answers were with frontd" % (start, peak, after))
        if os.environ.get("PARSEC_SANITIZED"):
            print("# sanitizer build: brokerd's memory is not measured")
        else:
            check("brokerd's memory is back within 32 MB of its start after 128 unread ListKeys",
                  after < start + 32 * 1024, (start, peak, after))
        check("and the lister still lists its keys",
              len(eb.App(svc, "lister").keys()[1] or []) == 3000)
    finally:
        for s in socks:
            s.close()
        svc.stop()
        svc.remove()


def check_libparsec_reuse():
    svc = eb.Service()
    svc.start()
    try:
        tool = os.path.join(eb.TOP, "tool", "parsec-tool")
        env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock, PARSEC_APP_NAME="reuser")
        out = subprocess.run([tool, "create-ecc-key", "-k", "reused"], env=env, capture_output=True,
                             text=True, timeout=60)
        check("parsec-tool create-ecc-key works", out.returncode == 0, out.stderr)
    finally:
        svc.stop()
    log = open(os.path.join(svc.dir, "parsecd.log")).read()
    line = [l for l in log.splitlines() if "replies written on" in l]
    nums = [int(w) for w in line[-1].split() if w.isdigit()] if line else []
    # ListAuthenticators, ListProviders, PsaGenerateKey: three replies, one connection.
    check("libparsec: three calls on one connection, counted by frontd", nums[-2:] == [3, 1],
          line)
    svc.remove()


def main():
    svc = eb.Service()
    svc.start()
    try:
        check_one_shot(svc)
        check_keep_alive(svc)
    finally:
        svc.stop()
        svc.remove()
    check_idle_timeout()
    check_unread_answers()
    check_unread_list_keys()
    check_libparsec_reuse()
    return summary("e2e_oneshot")


if __name__ == "__main__":
    sys.exit(main())
