#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""frontd answers the software provider's PsaGenerateRandom alone, exactly
when brokerd would have answered it Success: the same statuses for every auth
case (none, Direct, UnixPeerCredentials, good and bad fields, authenticators
not configured), providers not configured, a reload removing Direct or the
provider, and sizes past what frontd makes itself; bytes of the length asked,
different each time. That the answers do not pass brokerd is what a user of a
stopped (SIGSTOP) brokerd sees: they still come.

Usage: e2e_front_random.py TOPDIR
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
import softhsmlib  # noqa: E402
from e2elib import Service, check, summary  # noqa: E402

import psa_generate_random_pb2 as random_pb  # noqa: E402

OP_RANDOM = 0x0D
AUTH_NONE, AUTH_DIRECT, AUTH_JWT, AUTH_PEER, AUTH_JWT_SVID = 0, 1, 2, 3, 4
SUCCESS, PROVIDER_NOT_REGISTERED, AUTHENTICATION_ERROR = 0, 5, 11
AUTHENTICATOR_NOT_REGISTERED, INVALID_ARGUMENT = 13, 1135
FRONT_MAX = 4096  # frontd/frontd.h FRONT_LOCAL_RANDOM_MAX: larger sizes go to the worker
WORKER_MAX = 1024 * 1024  # providerd/prov_mbed.c PROV_MBED_MAX_RANDOM
ME = os.getuid().to_bytes(4, "little")
OTHER = (os.getuid() + 1).to_bytes(4, "little")


def ask(svc, size, auth_type=AUTH_DIRECT, auth=b"app", provider=1, timeout=30):
    """(status, random bytes or None); status "no answer" if none came within timeout."""
    body = random_pb.Operation(size=size).SerializeToString()
    try:
        st, out = eb.call(svc.sock, provider, OP_RANDOM, body, auth_type, auth, timeout=timeout)
    except OSError:
        return "no answer", None
    return st, random_pb.Result.FromString(out).random_bytes if st == 0 else None


# (what, auth type, auth field, provider, size, brokerd's status: broker_dispatch.c
# dispatch_admit, broker_auth.c broker_authenticate, providerd/prov_mbed.c's limit)
CASES = [
    ("no authentication", AUTH_NONE, b"", 1, 32, SUCCESS),
    ("no authentication with an auth field brokerd ignores", AUTH_NONE, b"junk", 1, 32, SUCCESS),
    ("Direct", AUTH_DIRECT, b"app", 1, 32, SUCCESS),
    ("Direct, a 255-byte name", AUTH_DIRECT, b"a" * 255, 1, 32, SUCCESS),
    ("Direct, 1 byte", AUTH_DIRECT, b"app", 1, 1, SUCCESS),
    ("Direct, frontd's largest", AUTH_DIRECT, b"app", 1, FRONT_MAX, SUCCESS),
    ("UnixPeerCredentials, the caller's uid", AUTH_PEER, ME, 1, 32, SUCCESS),
    ("Direct, an empty name", AUTH_DIRECT, b"", 1, 32, AUTHENTICATION_ERROR),
    ("Direct, invalid UTF-8", AUTH_DIRECT, b"app\xff", 1, 32, AUTHENTICATION_ERROR),
    ("Direct, a NUL in the name", AUTH_DIRECT, b"a\0b", 1, 32, AUTHENTICATION_ERROR),
    ("Direct, a 256-byte name", AUTH_DIRECT, b"a" * 256, 1, 32, AUTHENTICATION_ERROR),
    ("UnixPeerCredentials, another uid", AUTH_PEER, OTHER, 1, 32, AUTHENTICATION_ERROR),
    ("UnixPeerCredentials, 3 bytes", AUTH_PEER, ME[:3], 1, 32, AUTHENTICATION_ERROR),
    ("JwtSvid, not configured", AUTH_JWT_SVID, b"x.y.z", 1, 32, AUTHENTICATOR_NOT_REGISTERED),
    ("the TPM provider, not configured", AUTH_DIRECT, b"app", 3, 32, PROVIDER_NOT_REGISTERED),
]
# Success, but made by the worker: sizes frontd leaves to it.
WORKER_CASES = [
    ("size 0", AUTH_DIRECT, b"app", 1, 0, SUCCESS),
    ("one byte over frontd's largest", AUTH_DIRECT, b"app", 1, FRONT_MAX + 1, SUCCESS),
    ("the worker's largest", AUTH_NONE, b"", 1, WORKER_MAX, SUCCESS),
    ("one byte over the worker's largest", AUTH_DIRECT, b"app", 1, WORKER_MAX + 1, INVALID_ARGUMENT),
]


def answered_as(svc, cases, label):
    for what, auth_type, auth, provider, size, want in cases:
        st, data = ask(svc, size, auth_type, auth, provider)
        ok = st == want and (st != SUCCESS or (data is not None and len(data) == size))
        check("%s: %s, size %d: status %s" % (label, what, size, want), ok,
              (st, None if data is None else len(data)))


def brokerd_pid(svc):
    return [pid for pid, comm in eb.service_pids(svc.proc.pid) if comm == "parsec-brokerd"][0]


def with_brokerd_stopped(svc, fn):
    broker = brokerd_pid(svc)
    os.kill(broker, signal.SIGSTOP)
    try:
        return fn()
    finally:
        os.kill(broker, signal.SIGCONT)


def set_config(svc, auth_block, provider=True):
    """Rewrites svc's config: its authenticator block, with or without the software provider."""
    path = os.path.join(svc.dir, "config.toml")
    text = open(path).read()
    start, end = text.index("[authenticator]"), text.index("[[key_manager]]")
    if start > 0 and text[start - 1] == "[":
        start -= 1
    text = text[:start] + auth_block + text[end:]
    block = '[[provider]]\nprovider_type = "MbedCrypto"\nkey_info_manager = "sqlite-manager"\n'
    if not provider:
        text = text.replace(block, "")
    elif block not in text:
        text = text.replace("[privsep]", block + "[privsep]")
    open(path, "w").write(text)


BOTH = ('[[authenticator]]\nauth_type = "Direct"\n'
        '[[authenticator]]\nauth_type = "UnixPeerCredentials"\n')
PEER_ONLY = '[[authenticator]]\nauth_type = "UnixPeerCredentials"\n'


def reload(svc, count):
    """SIGHUP; returns once brokerd has applied it (and frontd has had time to hear of it)."""
    os.kill(svc.proc.pid, signal.SIGHUP)
    svc.wait_log("authenticators; per application", count)
    time.sleep(0.3)


def bytes_tests(svc):
    seen = set()
    lengths = []
    for size in (1, 16, 32, 100, FRONT_MAX):
        for _ in range(3):
            st, data = ask(svc, size)
            lengths.append(None if data is None else len(data))
            if data is not None:
                seen.add(data)
    check("random bytes have the length asked, from 1 to %d" % FRONT_MAX,
          lengths == [s for s in (1, 16, 32, 100, FRONT_MAX) for _ in range(3)], lengths)
    check("and differ from call to call (sizes of 16 bytes and up)",
          len([d for d in seen if len(d) >= 16]) == 12, len(seen))
    big = [ask(svc, 32)[1] for _ in range(50)]
    check("50 answers of 32 bytes are all different", None not in big and len(set(big)) == 50)


def stopped_tests(svc):
    """With brokerd stopped, frontd's answers still come; brokerd's do not."""
    def during():
        fast = [ask(svc, size, t, a, p, timeout=5) for _, t, a, p, size, want in CASES
                if want == SUCCESS]
        slow = [ask(svc, 32, AUTH_DIRECT, b"", timeout=1)[0],
                ask(svc, FRONT_MAX + 1, timeout=1)[0]]
        return fast, slow
    fast, slow = with_brokerd_stopped(svc, during)
    check("with brokerd stopped, every random request brokerd would answer Success is answered",
          all(st == SUCCESS for st, _ in fast), [st for st, _ in fast])
    check("but a bad Direct name and a size past frontd's wait for brokerd",
          slow == ["no answer", "no answer"], slow)


def pkcs11_tests(svc):
    """Another provider's random bytes are its worker's."""
    check("the PKCS#11 provider's random bytes: Success, 32 bytes",
          (lambda r: r[0] == SUCCESS and len(r[1]) == 32)(ask(svc, 32, provider=2)))
    st = with_brokerd_stopped(svc, lambda: ask(svc, 32, provider=2, timeout=1)[0])
    check("and they wait for brokerd", st == "no answer", st)


def reload_tests(svc, pkcs11):
    set_config(svc, PEER_ONLY)
    reload(svc, 1)
    st = with_brokerd_stopped(svc, lambda: ask(svc, 32, timeout=1)[0])
    check("after a reload removing Direct, frontd no longer answers Direct random requests",
          st == "no answer", st)
    check("brokerd answers them AuthenticatorNotRegistered",
          ask(svc, 32)[0] == AUTHENTICATOR_NOT_REGISTERED)
    st = with_brokerd_stopped(svc, lambda: ask(svc, 32, AUTH_PEER, ME, timeout=5)[0])
    check("and still answers UnixPeerCredentials ones alone", st == SUCCESS, st)
    set_config(svc, BOTH)
    reload(svc, 2)
    check("Direct back after a reload: answered by frontd again",
          with_brokerd_stopped(svc, lambda: ask(svc, 32, timeout=5)[0]) == SUCCESS)
    if not pkcs11:
        print("# SoftHSMv2 missing: a reload removing the software provider is not tried")
        return
    set_config(svc, BOTH, provider=False)
    reload(svc, 3)
    svc.wait_log("removed", 1)
    for _ in range(50):
        st = ask(svc, 32)[0]
        if st == PROVIDER_NOT_REGISTERED:
            break
        time.sleep(0.1)
    check("after a reload removing the software provider: ProviderNotRegistered",
          st == PROVIDER_NOT_REGISTERED, st)
    # brokerd asks for the provider before it judges the auth field (dispatch_admit).
    answered_as(svc, [(w, t, a, 1, s, PROVIDER_NOT_REGISTERED) for w, t, a, p, s, _ in CASES
                      if p == 1], "provider removed")
    st = with_brokerd_stopped(svc, lambda: ask(svc, 32, AUTH_NONE, b"", timeout=1)[0])
    check("and frontd answers none of them alone", st == "no answer", st)


def main():
    svc = Service()
    pkcs11 = softhsmlib.available()
    if pkcs11:
        # A second provider, so that a reload may remove the software one.
        token = softhsmlib.Token(svc.dir)
        svc = Service(directory=svc.dir, provider_extra=token.provider_table())
    set_config(svc, BOTH)
    try:
        svc.start()
        answered_as(svc, CASES, "fast path")
        answered_as(svc, WORKER_CASES, "worker")
        bytes_tests(svc)
        stopped_tests(svc)
        if pkcs11:
            pkcs11_tests(svc)
        reload_tests(svc, pkcs11)
    finally:
        svc.stop()
        svc.remove()
    return summary("e2e_front_random")


if __name__ == "__main__":
    sys.exit(main())
