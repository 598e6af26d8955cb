#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A SPIFFE Workload API server of the tests' own (python3-grpcio) on a Unix
socket: FetchJWTBundles only, a server stream that sends the current JWT
bundles and again whenever push() changes them. The protobuf messages are
encoded by hand from the Workload API's definitions:
  JWTBundlesRequest {}
  JWTBundlesResponse { map<string, bytes> bundles = 1; }  // trust domain -> JWKS
and, as the SPIFFE Workload Endpoint requires, a call without the
"workload.spiffe.io: true" metadata is refused (InvalidArgument)."""
import json
import threading
from concurrent import futures

import grpc


def _varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _len_field(num, data):
    return _varint(num << 3 | 2) + _varint(len(data)) + data


def jwt_bundles_response(bundles):
    """bundles: {trust domain: JWKS dict} -> JWTBundlesResponse bytes."""
    return b"".join(_len_field(1, _len_field(1, td.encode()) + _len_field(2, json.dumps(jwks).encode()))
                    for td, jwks in bundles.items())


class WorkloadAPI:
    def __init__(self, path, bundles):
        self.path, self.bundles = path, bundles
        self.version, self.calls, self.refused, self.stopping = 0, 0, 0, False
        self.cond = threading.Condition()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        handler = grpc.method_handlers_generic_handler("SpiffeWorkloadAPI", {
            "FetchJWTBundles": grpc.unary_stream_rpc_method_handler(
                self._fetch, request_deserializer=lambda b: b, response_serializer=lambda b: b)})
        self.server.add_generic_rpc_handlers((handler,))
        self.server.add_insecure_port("unix:" + path)
        self.server.start()

    def _fetch(self, request, context):
        if dict(context.invocation_metadata()).get("workload.spiffe.io") != "true":
            self.refused += 1
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "security header missing from request")
        self.calls += 1
        seen = None
        while context.is_active() and not self.stopping:
            with self.cond:
                if seen == self.version:
                    self.cond.wait(0.2)
                    continue
                seen, data = self.version, jwt_bundles_response(self.bundles)
            yield data

    def push(self, bundles):
        with self.cond:
            self.bundles = bundles
            self.version += 1
            self.cond.notify_all()

    def stop(self):
        self.stopping = True
        self.server.stop(0).wait(5)
