#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A SPIFFE Workload API server of the tests' own (python3-grpcio) on a Unix
socket: FetchJWTBundles only, a server stream that sends the current JWT
bundles and again whenever push() changes them. The protobuf messages are
encoded by hand from the Workload API's definitions (spiffe/spiffe
standards/workloadapi.proto):
  JWTBundlesRequest {}
  JWTBundlesResponse { map<string, bytes> bundles = 1; }  // trust domain -> JWKS
What goes on the wire is what SPIRE's agent sends, from spiffe/spire:
- pkg/agent/endpoints/workload/handler.go, composeJWTBundlesResponse: each map
  key is the trust domain's SPIFFE ID, td.IDString() ("spiffe://example.org"),
  and each value the JWKS that bundleutil.Marshal writes with StandardJWKS()
  (pkg/common/bundleutil/marshal.go): the keys carry no "use", and there is
  no spiffe_sequence or spiffe_refresh_hint; handler_test.go's
  TestFetchJWTBundles expects exactly those keys;
- handler.go, sendJWTBundlesResponse: a response equal to the previous one is
  not sent again;
- pkg/agent/endpoints/middleware.go: a call without the "workload.spiffe.io:
  true" metadata is refused, InvalidArgument "security header missing from
  request".
key_form="name" serves the bare trust domain name instead ("example.org"), as
go-spiffe's test fake does (spiffe/go-spiffe
internal/test/fakeworkloadapi/workload_api.go, SetJWTBundles:
bundle.TrustDomain().String()), keeping each JWKS as given."""
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


def _standard_jwks(jwks):
    """SPIRE's StandardJWKS(): the keys without "use", no SPIFFE parameters."""
    return {"keys": [{k: v for k, v in key.items() if k != "use"} for key in jwks["keys"]]}


def jwt_bundles_response(bundles, key_form="spiffe", raw=None):
    """bundles: {trust domain name: JWKS dict}, raw: {map key: bytes} sent as
    they are -> JWTBundlesResponse bytes."""
    entries = {}
    for td, jwks in bundles.items():
        if key_form == "spiffe":
            entries["spiffe://" + td] = json.dumps(_standard_jwks(jwks)).encode()
        else:
            entries[td] = json.dumps(jwks).encode()
    entries.update(raw or {})
    return b"".join(_len_field(1, _len_field(1, key.encode()) + _len_field(2, value))
                    for key, value in entries.items())


class WorkloadAPI:
    def __init__(self, path, bundles, key_form="spiffe"):
        self.path, self.bundles, self.key_form, self.raw = path, bundles, key_form, None
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
        seen, sent = None, None
        while context.is_active() and not self.stopping:
            with self.cond:
                if seen == self.version:
                    self.cond.wait(0.2)
                    continue
                seen = self.version
                data = jwt_bundles_response(self.bundles, self.key_form, self.raw)
            if data != sent:
                sent = data
                yield data

    def push(self, bundles, raw=None):
        """New bundles; raw: extra map entries {key: bytes}, sent as they are."""
        with self.cond:
            self.bundles, self.raw = bundles, raw
            self.version += 1
            self.cond.notify_all()

    def stop(self):
        self.stopping = True
        self.server.stop(0).wait(5)
