#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""JwtSvid and several authenticators at once, against a real parsecd: tokens
signed by a bundle key for audience "parsec" get their own namespace; bad
tokens get AuthenticationError and the service keeps serving; the bundle
rotates without a restart; Direct, UnixPeerCredentials and JwtSvid together
keep their applications' keys apart; an existing single-authenticator key
store keeps its keys; bundles from a Workload API keyed as SPIRE's agent and
as go-spiffe's fakes key them; tokens far larger than a JWT-SVID are refused
cheaply."""
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

import e2elib
from e2elib import App, Service, call, check
from workload_api import WorkloadAPI

sys.path.insert(0, os.path.join(e2elib.TOP, "tests", "pb"))
import list_authenticators_pb2 as list_auth_pb  # noqa: E402

AUTH_JWT_SVID = 4
ST_AUTHENTICATION_ERROR, ST_NOT_REGISTERED, ST_ADMIN_OPERATION = 11, 13, 21
OP_LIST_AUTHENTICATORS = 0x0E
TD = "example.org"
WORKLOAD = "spiffe://example.org/ns/prod/sa/web"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint_b64(n, size):
    return b64(n.to_bytes(size, "big"))


class Signer:
    """One bundle key and the tokens it signs."""

    def __init__(self, kid, alg="ES256"):
        self.kid, self.alg = kid, alg
        if alg.startswith("ES"):
            self.key = ec.generate_private_key(ec.SECP256R1())
        else:
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self):
        pub = self.key.public_key().public_numbers()
        if self.alg.startswith("ES"):
            return {"kty": "EC", "crv": "P-256", "x": uint_b64(pub.x, 32), "y": uint_b64(pub.y, 32),
                    "kid": self.kid, "use": "jwt-svid"}
        return {"kty": "RSA", "n": uint_b64(pub.n, 256), "e": uint_b64(pub.e, 3), "kid": self.kid,
                "use": "jwt-svid"}

    def token(self, sub=WORKLOAD, aud="parsec", exp_in=300, alg=None, header=None, claims=None):
        alg = alg or self.alg
        h = {"alg": alg, "kid": self.kid, "typ": "JWT"}
        h.update(header or {})
        c = {"sub": sub, "aud": aud, "exp": int(time.time()) + exp_in, "iat": int(time.time())}
        c.update(claims or {})
        signing = (b64(json.dumps(h).encode()) + "." + b64(json.dumps(c).encode())).encode()
        if alg == "none":
            return signing + b"."
        if alg.startswith("ES"):
            r, s = decode_dss_signature(self.key.sign(signing, ec.ECDSA(hashes.SHA256())))
            sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        elif alg.startswith("PS"):
            sig = self.key.sign(signing, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                     salt_length=32), hashes.SHA256())
        else:
            sig = self.key.sign(signing, padding.PKCS1v15(), hashes.SHA256())
        return signing + b"." + b64(sig).encode()


def write_bundle(path, signers, td=TD):
    with open(path, "w") as f:
        json.dump({td: {"keys": [s.jwk() for s in signers]}}, f)


def configure(svc, auth_block):
    path = os.path.join(svc.dir, "config.toml")
    text = open(path).read()
    start = text.find("[[authenticator]]")
    start = text.index("[authenticator]") if start == -1 else start
    end = text.index("[[key_manager]]")
    with open(path, "w") as f:
        f.write(text[:start] + auth_block + text[end:])


def authenticators(svc):
    st, out = call(svc.sock, 0, OP_LIST_AUTHENTICATORS, b"", 0, b"")
    return [a.id for a in list_auth_pb.Result.FromString(out).authenticators] if st == 0 else st


def reload(svc, count):
    os.kill(svc.proc.pid, signal.SIGHUP)
    svc.wait_log(" authenticators\n", count)


def many_members(n):
    return {"m%x" % i: 0 for i in range(n)}


def compact_token(header, claims):
    """A token as large as the auth field allows: JSON without spaces, any signature."""
    return (b64(json.dumps(header, separators=(",", ":")).encode()) + "." +
            b64(json.dumps(claims, separators=(",", ":")).encode()) + "." + b64(b"\1" * 64)).encode()


def bad_tokens(svc, good, other):
    """Every kind of bad token is refused; a good one works after each."""
    app = App(svc, "jwt", AUTH_JWT_SVID, good.token())
    huge = b"a" * 65535
    claims = {"sub": WORKLOAD, "aud": "parsec", "exp": int(time.time()) + 300}
    cases = {
        "expired": good.token(exp_in=-10),
        "wrong audience": good.token(aud="not-parsec"),
        "audience list without parsec": good.token(aud=["a", "b"]),
        "wrong key": other.token(header={"kid": good.kid}),
        "unknown kid": other.token(),
        "alg none": good.token(alg="none"),
        "alg HS256": good.token(alg="none").replace(b'"alg": "none"', b'"alg": "HS256"'),
        "sub not a SPIFFE ID": good.token(sub="web"),
        "sub of another trust domain": good.token(sub="spiffe://evil.org/web"),
        "sub without a path": good.token(sub="spiffe://example.org"),
        "truncated": good.token()[:-10],
        "largest auth field (64 KiB - 1) of garbage": huge,
        "garbage": os.urandom(300),
        "empty": b"",
        "three dots": good.token() + b".x",
        "59 KB header of 4,900 members": compact_token(dict(many_members(4898), alg="ES256",
                                                            kid=good.kid), claims),
        "59 KB header of 4,900 members, no alg or kid": compact_token(many_members(4900), claims),
        "59 KB claims of 4,900 members": compact_token({"alg": "ES256", "kid": good.kid},
                                                       dict(many_members(4897), **claims)),
    }
    for name in [n for n in cases if "4,900" in n]:
        check("%s: %d bytes" % (name, len(cases[name])), 55000 < len(cases[name]) < 65535)
    for name, tok in cases.items():
        st = App(svc, "x", AUTH_JWT_SVID, tok).keys()[0]
        check("JwtSvid %s: AuthenticationError" % name, st == ST_AUTHENTICATION_ERROR, st)
        check("  and the service keeps serving", app.keys()[0] == 0)
    # A 1 MiB token does not fit the wire's 16-bit auth length: sent anyway,
    # its first 64 KiB - 1 are the auth field and the rest a bad next request.
    hdr = struct.pack(e2elib.HDR_FORMAT, 0x5EC0A710, 30, 1, 0, 0, 0, 1, 0, 0, AUTH_JWT_SVID, 0,
                      65535, e2elib.OP_LIST_KEYS, 0, 0, 0)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(svc.sock)
        try:
            s.sendall(hdr + b"a" * (1 << 20))
        except OSError:
            pass
        fields, _ = e2elib.read_response(s)
    check("1 MiB token: AuthenticationError", fields is not None and fields[13] ==
          ST_AUTHENTICATION_ERROR, fields)
    check("  and the service keeps serving", app.keys()[0] == 0 and svc.proc.poll() is None)


def tool(svc, *args, **env):
    e = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock)
    for k in ("PARSEC_JWT_SVID", "PARSEC_JWT_SVID_FILE", "PARSEC_APP_NAME"):
        e.pop(k, None)
    e.update(env)
    return subprocess.run([os.path.join(e2elib.TOP, "tool", "parsec-tool")] + list(args), env=e,
                          capture_output=True, text=True)


def clients(svc, signer):
    """parsec-tool (through libparsec) sends a JWT-SVID from the environment or a file."""
    r = tool(svc, "list-keys", PARSEC_JWT_SVID=signer.token().decode())
    check("parsec-tool, PARSEC_JWT_SVID: the workload's keys", r.returncode == 0 and
          "jwt-key" in r.stdout and "peer-key" not in r.stdout, r.stdout + r.stderr)
    path = os.path.join(svc.dir, "svid.token")
    with open(path, "w") as f:
        f.write(signer.token().decode() + "\n")
    r = tool(svc, "list-keys", PARSEC_JWT_SVID_FILE=path)
    check("parsec-tool, PARSEC_JWT_SVID_FILE: the workload's keys", r.returncode == 0 and
          "jwt-key" in r.stdout, r.stdout + r.stderr)
    r = tool(svc, "list-keys")
    check("parsec-tool without a token: peer credentials, the uid's keys", r.returncode == 0 and
          "peer-key" in r.stdout and "jwt-key" not in r.stdout, r.stdout + r.stderr)
    r = tool(svc, "list-keys", PARSEC_JWT_SVID=signer.token(exp_in=-5).decode())
    check("parsec-tool, expired token: AuthenticationError", r.returncode != 0 and
          "AuthenticationError" in r.stdout + r.stderr, r.stdout + r.stderr)


def wait_status(app, want, seconds=10):
    """Polls until app's ListKeys gets status want (bundles arrive asynchronously)."""
    deadline = time.time() + seconds
    while True:
        st = app.keys()[0]
        if st == want or time.time() > deadline:
            return st
        time.sleep(0.1)


def workload_api(key_form):
    """Bundles from a Workload API server keyed as SPIRE's agent keys them
    (key_form "spiffe": spiffe://example.org) or as go-spiffe's fakes do
    ("name": example.org): first bundle, a pushed rotation, an update with bad
    entries beside good ones, and an agent restart, all without restarting
    parsecd."""
    svc = Service()
    agent_sock = os.path.join(svc.dir, "agent.sock")
    k1, k2, k3, k4, o1 = Signer("w1"), Signer("w2"), Signer("w3"), Signer("w4"), Signer("o1")
    agent = WorkloadAPI(agent_sock, {TD: {"keys": [k1.jwk()]}}, key_form)
    other = "spiffe://other.org/w"
    try:
        configure(svc, """[[authenticator]]
auth_type = "JwtSvid"
workload_endpoint = "unix://%s"
[[authenticator]]
auth_type = "Direct"
""" % agent_sock)
        svc.start()
        pid = svc.proc.pid
        app1 = App(svc, "w", AUTH_JWT_SVID, k1.token())
        check("Workload API (%s keys): a token of the agent's bundle accepted" % key_form,
              wait_status(app1, 0) == 0, svc.log()[-1000:])
        check("Workload API: the call carried workload.spiffe.io", agent.calls >= 1 and
              agent.refused == 0, (agent.calls, agent.refused))
        check("Workload API: generate", app1.generate("wk") == 0)
        check("Workload API: another key's token refused",
              App(svc, "w", AUTH_JWT_SVID, k2.token()).keys()[0] == ST_AUTHENTICATION_ERROR)
        agent.push({TD: {"keys": [k2.jwk()]}, "other.org": {"keys": [o1.jwk()]}})
        app2 = App(svc, "w", AUTH_JWT_SVID, k2.token())
        check("pushed rotation: the new key's token accepted, same namespace",
              wait_status(app2, 0) == 0 and app2.keys() == (0, ["wk"]), app2.keys())
        check("pushed rotation: the old key's token refused",
              app1.keys()[0] == ST_AUTHENTICATION_ERROR)
        app_o = App(svc, "o", AUTH_JWT_SVID, o1.token(sub=other))
        check("a second trust domain's token accepted", app_o.keys() == (0, []), app_o.keys())
        prefix = "spiffe://" if key_form == "spiffe" else ""
        agent.push({TD: {"keys": [k4.jwk()]}}, raw={prefix + "other.org": b'{"keys":',
                                                     prefix + "Bad.org": b'{"keys":[]}'})
        app4 = App(svc, "w", AUTH_JWT_SVID, k4.token())
        check("bad entries beside a good one: the good trust domain's new key accepted",
              wait_status(app4, 0) == 0 and app4.keys() == (0, ["wk"]), app4.keys())
        check("  its old key refused", app2.keys()[0] == ST_AUTHENTICATION_ERROR)
        check("  the malformed trust domain keeps the key it had", app_o.keys() == (0, []),
              app_o.keys())
        check("  and the log says so", "2 malformed bundle(s) in an update from the Workload "
              "API (the first: " in svc.log(), svc.log()[-1500:])
        agent.stop()
        check("agent gone: the last bundles stay in use", app4.keys()[0] == 0)
        agent = WorkloadAPI(agent_sock, {TD: {"keys": [k3.jwk()]}}, key_form)
        app3 = App(svc, "w", AUTH_JWT_SVID, k3.token())
        check("agent restarted: reconnected, its bundle honoured", wait_status(app3, 0) == 0)
        check("  the trust domain it no longer names is gone",
              app_o.keys()[0] == ST_AUTHENTICATION_ERROR)
        check("Direct alongside works", App(svc, "d").keys() == (0, []))
        check("no parsecd restart", svc.proc.pid == pid and svc.proc.poll() is None)
        check("no update was ignored whole", "update from the Workload API was ignored"
              not in svc.log(), svc.log()[-1500:])
    finally:
        agent.stop()
        svc.stop()


def main():
    svc = Service()
    ok = 1
    try:
        # An existing key store of the single [authenticator] table.
        svc.start()
        check("single Direct: generate", App(svc, "0").generate("direct-key") == 0)
        svc.stop()

        es, es2, rs = Signer("k1"), Signer("k2"), Signer("r1", "RS256")
        bundle = os.path.join(svc.dir, "bundle.json")
        write_bundle(bundle, [es, rs])
        configure(svc, """[[authenticator]]
auth_type = "Direct"
[[authenticator]]
auth_type = "UnixPeerCredentials"
admins = [{ name = "%d" }]
[[authenticator]]
auth_type = "JwtSvid"
jwt_bundle_path = "%s"
admins = [{ name = "spiffe://example.org/admin" }]
""" % (os.getuid(), bundle))
        svc.start()
        check("ListAuthenticators lists all three in config order",
              authenticators(svc) == [1, 3, 4], authenticators(svc))

        direct = App(svc, "0")
        peer = App(svc, "peer", e2elib.AUTH_PEER, struct.pack("<I", os.getuid()))
        jwt = App(svc, WORKLOAD, AUTH_JWT_SVID, es.token())
        check("existing store: Direct \"0\" keeps its key", direct.keys() == (0, ["direct-key"]),
              direct.keys())
        check("JwtSvid ES256 token accepted: own (empty) namespace", jwt.keys() == (0, []),
              jwt.keys())
        check("JwtSvid: generate", jwt.generate("jwt-key") == 0)
        check("peer uid: generate", peer.generate("peer-key") == 0)
        check("Direct \"0\" sees only its key", direct.keys() == (0, ["direct-key"]), direct.keys())
        check("uid %d sees only its key" % os.getuid(), peer.keys() == (0, ["peer-key"]), peer.keys())
        check("the SPIFFE ID sees only its key", jwt.keys() == (0, ["jwt-key"]), jwt.keys())
        app_rs = App(svc, WORKLOAD, AUTH_JWT_SVID, rs.token())
        check("RS256 token, same SPIFFE ID: same namespace", app_rs.keys() == (0, ["jwt-key"]),
              app_rs.keys())
        app_ps = App(svc, WORKLOAD, AUTH_JWT_SVID, rs.token(alg="PS256"))
        check("PS256 token accepted", app_ps.keys() == (0, ["jwt-key"]), app_ps.keys())
        aud_list = App(svc, WORKLOAD, AUTH_JWT_SVID, es.token(aud=["other", "parsec"]))
        check("aud list holding parsec accepted", aud_list.keys()[0] == 0, aud_list.keys())
        other = App(svc, "o", AUTH_JWT_SVID, es.token(sub="spiffe://example.org/other"))
        check("another SPIFFE ID: another namespace", other.keys() == (0, []), other.keys())

        # Admins are per authenticator.
        check("uid admin: ListClients", peer.clients() == (0, [str(os.getuid())]), peer.clients())
        check("Direct \"0\" is not the admin uid 0", direct.clients()[0] == ST_ADMIN_OPERATION,
              direct.clients())
        check("a workload is no admin", jwt.clients()[0] == ST_ADMIN_OPERATION)
        admin = App(svc, "a", AUTH_JWT_SVID, es.token(sub="spiffe://example.org/admin"))
        check("JwtSvid admin: ListClients of its authenticator",
              admin.clients() == (0, [WORKLOAD]), admin.clients())

        clients(svc, es)
        bad_tokens(svc, es, es2)

        # Rotation: the new bundle holds k2 only; reload, no restart.
        pid = svc.proc.pid
        write_bundle(bundle, [es2])
        reload(svc, 1)
        check("rotated: the new key's token accepted",
              App(svc, "n", AUTH_JWT_SVID, es2.token()).keys() == (0, ["jwt-key"]))
        check("rotated: the old key's token refused",
              App(svc, "n", AUTH_JWT_SVID, es.token()).keys()[0] == ST_AUTHENTICATION_ERROR)
        check("rotated without a restart", svc.proc.pid == pid and svc.proc.poll() is None)

        # Without the JwtSvid table, its requests are not registered.
        configure(svc, '[authenticator]\nauth_type = "Direct"\n')
        reload(svc, 2)
        check("JwtSvid unconfigured: AuthenticatorNotRegistered",
              App(svc, "n", AUTH_JWT_SVID, es2.token()).keys()[0] == ST_NOT_REGISTERED)
        check("Direct \"0\" still has its key", direct.keys() == (0, ["direct-key"]))
        workload_api("spiffe")
        workload_api("name")
        ok = 0
    finally:
        svc.stop()
        if ok:
            print(svc.log()[-3000:])
    return e2elib.summary("e2e_jwt")


if __name__ == "__main__":
    sys.exit(main())
