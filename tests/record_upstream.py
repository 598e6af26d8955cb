#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Records a running Parsec service's whole answers (header and body, as hex)
for the core operations, into the fixtures tests/check_upstream.c replays.

Usage: record_upstream.py TOPDIR SOCKET direct|peer OUTDIR

direct: Ping, ListProviders, ListOpcodes (providers 0 and 1),
ListAuthenticators, then with a fresh P-256 key: PsaGenerateKey, ListKeys,
PsaExportPublicKey, PsaSignMessage (which upstream's Mbed Crypto provider does
not serve), PsaHashCompute and PsaSignHash over MESSAGE, PsaDestroyKey, and an
export of the destroyed key (an error answer).
peer: ListAuthenticators and ListKeys under Unix peer credentials.
One file per answer, named OPERATION.hex.
"""
import hashlib
import os
import socket
import struct
import sys

TOP = os.path.abspath(sys.argv[1])
sys.path.insert(0, os.path.join(TOP, "tests", "pb"))

import list_authenticators_pb2 as la_pb  # noqa: E402
import list_keys_pb2 as lk_pb  # noqa: E402
import list_opcodes_pb2 as lo_pb  # noqa: E402
import list_providers_pb2 as lp_pb  # noqa: E402
import ping_pb2 as ping_pb  # noqa: E402
import psa_algorithm_pb2 as alg_pb  # noqa: E402
import psa_destroy_key_pb2 as destroy_pb  # noqa: E402
import psa_export_public_key_pb2 as export_pb  # noqa: E402
import psa_generate_key_pb2 as gen_pb  # noqa: E402
import psa_hash_compute_pb2 as hash_pb  # noqa: E402
import psa_sign_hash_pb2 as sign_pb  # noqa: E402
import psa_sign_message_pb2 as sign_msg_pb  # noqa: E402

HDR = "<IHBBHBQBBBIHIHBB"
APP = b"fixture-app"
KEY = "fixture-key"
MESSAGE = b"upstream fixture"


def raw_call(sock_path, provider, opcode, body, auth_type, auth):
    hdr = struct.pack(HDR, 0x5EC0A710, 30, 1, 0, 0, provider, 1, 0, 0,
                      auth_type, len(body), len(auth), opcode, 0, 0, 0)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(sock_path)
        s.sendall(hdr + body + auth)
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    if len(raw) < 36:
        sys.exit("no answer to opcode 0x%x" % opcode)
    fields = struct.unpack(HDR, raw[:36])
    if len(raw) != 36 + fields[10] + fields[11]:
        sys.exit("answer to opcode 0x%x has %d bytes, header says %d" %
                 (opcode, len(raw), 36 + fields[10] + fields[11]))
    return fields[13], raw


def save(outdir, name, raw):
    text = raw.hex()
    with open(os.path.join(outdir, name + ".hex"), "w") as f:
        for i in range(0, len(text), 64):
            f.write(text[i:i + 64] + "\n")
    print("%s: %d bytes" % (name, len(raw)))


def main():
    sock, mode, outdir = sys.argv[2], sys.argv[3], sys.argv[4]
    os.makedirs(outdir, exist_ok=True)
    if mode == "peer":
        auth = (3, struct.pack("<I", os.getuid()))
        save(outdir, "list_authenticators-peer",
             raw_call(sock, 0, 0x0E, la_pb.Operation().SerializeToString(), *auth)[1])
        save(outdir, "list_keys-peer", raw_call(sock, 0, 0x1A, lk_pb.Operation().SerializeToString(), *auth)[1])
        return
    auth = (1, APP)
    save(outdir, "ping", raw_call(sock, 0, 0x01, ping_pb.Operation().SerializeToString(), 0, b"")[1])
    save(outdir, "list_providers",
         raw_call(sock, 0, 0x08, lp_pb.Operation().SerializeToString(), 0, b"")[1])
    for p in (0, 1):
        save(outdir, "list_opcodes-%d" % p,
             raw_call(sock, 0, 0x09, lo_pb.Operation(provider_id=p).SerializeToString(), 0, b"")[1])
    save(outdir, "list_authenticators",
         raw_call(sock, 0, 0x0E, la_pb.Operation().SerializeToString(), 0, b"")[1])

    op = gen_pb.Operation(key_name=KEY)
    a = op.attributes
    a.key_type.ecc_key_pair.curve_family = a.key_type.SECP_R1
    a.key_bits = 256
    a.key_policy.key_usage_flags.sign_hash = True
    a.key_policy.key_usage_flags.verify_hash = True
    a.key_policy.key_usage_flags.export = False
    a.key_policy.key_algorithm.asymmetric_signature.ecdsa.hash_alg.specific = alg_pb.Algorithm.SHA_256
    st, raw = raw_call(sock, 1, 0x02, op.SerializeToString(), *auth)
    if st != 0:
        sys.exit("PsaGenerateKey: status %d" % st)
    save(outdir, "psa_generate_key", raw)
    save(outdir, "list_keys", raw_call(sock, 0, 0x1A, lk_pb.Operation().SerializeToString(), *auth)[1])
    save(outdir, "psa_export_public_key",
         raw_call(sock, 1, 0x07, export_pb.Operation(key_name=KEY).SerializeToString(), *auth)[1])
    mop = sign_msg_pb.Operation(key_name=KEY, message=MESSAGE)
    mop.alg.ecdsa.hash_alg.specific = alg_pb.Algorithm.SHA_256
    save(outdir, "psa_sign_message", raw_call(sock, 1, 0x18, mop.SerializeToString(), *auth)[1])
    save(outdir, "psa_hash_compute",
         raw_call(sock, 1, 0x0F, hash_pb.Operation(alg=alg_pb.Algorithm.SHA_256,
                                                   input=MESSAGE).SerializeToString(), *auth)[1])
    sop = sign_pb.Operation(key_name=KEY, hash=hashlib.sha256(MESSAGE).digest())
    sop.alg.ecdsa.hash_alg.specific = alg_pb.Algorithm.SHA_256
    save(outdir, "psa_sign_hash", raw_call(sock, 1, 0x04, sop.SerializeToString(), *auth)[1])
    save(outdir, "psa_destroy_key",
         raw_call(sock, 1, 0x03, destroy_pb.Operation(key_name=KEY).SerializeToString(), *auth)[1])
    save(outdir, "psa_export_public_key-missing",
         raw_call(sock, 1, 0x07, export_pb.Operation(key_name=KEY).SerializeToString(), *auth)[1])


if __name__ == "__main__":
    main()
