// SPDX-License-Identifier: Apache-2.0
//! parsecd against upstream Parsec's own codec: requests are built and
//! responses parsed by the parsec-interface crate, as an upstream client does.
//! Bad headers are sent as raw bytes. Prints one line per check and a total.

use parsec_interface::operations::psa_algorithm::{Algorithm, FullLengthMac, Hash, Mac};
use parsec_interface::operations::{
    list_authenticators, list_keys, list_opcodes, list_providers, ping, Convert,
    NativeOperation, NativeResult,
};
use parsec_interface::operations_protobuf::ProtobufConverter;
use parsec_interface::requests::request::{RequestAuth, RequestHeader};
use parsec_interface::requests::response::ResponseHeader;
use parsec_interface::requests::{
    AuthType, BodyType, Opcode, ProviderId, Request, Response, ResponseStatus,
};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: String) {
        if ok {
            println!("ok - {}", name);
            self.passed += 1;
        } else {
            println!("not ok - {}: {}", name, detail);
            self.failed += 1;
        }
    }
}

fn connect(path: &str) -> UnixStream {
    let s = UnixStream::connect(path).expect("connect to the service");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s
}

fn call(
    stream: &mut UnixStream,
    provider: ProviderId,
    op: NativeOperation,
    session: u64,
) -> Result<(ResponseHeader, Option<NativeResult>), String> {
    let opcode = op.opcode();
    let body = ProtobufConverter
        .operation_to_body(op)
        .map_err(|e| format!("encode: {:?}", e))?;
    let request = Request {
        header: RequestHeader {
            provider,
            session,
            content_type: BodyType::Protobuf,
            accept_type: BodyType::Protobuf,
            auth_type: AuthType::NoAuth,
            opcode,
        },
        body,
        auth: RequestAuth::new(Vec::new()),
    };
    request
        .write_to_stream(stream)
        .map_err(|e| format!("write: {:?}", e))?;
    let response =
        Response::read_from_stream(stream, 1 << 20).map_err(|e| format!("read: {:?}", e))?;
    if response.header.status != ResponseStatus::Success {
        return Ok((response.header, None));
    }
    let header = response.header;
    let result = ProtobufConverter
        .body_to_result(response.body, opcode)
        .map_err(|e| format!("decode result: {:?}", e))?;
    Ok((header, Some(result)))
}

/// A 36-byte request header built by hand, little endian.
fn raw_header(provider: u8, opcode: u32, body_len: u32, session: u64) -> Vec<u8> {
    let mut h = Vec::with_capacity(36);
    h.extend_from_slice(&0x5EC0_A710u32.to_le_bytes());
    h.extend_from_slice(&30u16.to_le_bytes());
    h.push(1);
    h.push(0);
    h.extend_from_slice(&0u16.to_le_bytes());
    h.push(provider);
    h.extend_from_slice(&session.to_le_bytes());
    h.push(0);
    h.push(0);
    h.push(0);
    h.extend_from_slice(&body_len.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&opcode.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.push(0);
    h.push(0);
    h
}

struct RawResponse {
    flags: u16,
    provider: u8,
    session: u64,
    opcode: u32,
    status: u16,
}

fn read_raw(stream: &mut UnixStream) -> Option<RawResponse> {
    let mut h = [0u8; 36];
    stream.read_exact(&mut h).ok()?;
    let body_len = u32::from_le_bytes([h[22], h[23], h[24], h[25]]) as usize;
    let mut body = vec![0u8; body_len];
    stream.read_exact(&mut body).ok()?;
    Some(RawResponse {
        flags: u16::from_le_bytes([h[8], h[9]]),
        provider: h[10],
        session: u64::from_le_bytes([h[11], h[12], h[13], h[14], h[15], h[16], h[17], h[18]]),
        opcode: u32::from_le_bytes([h[28], h[29], h[30], h[31]]),
        status: u16::from_le_bytes([h[32], h[33]]),
    })
}

fn closed(stream: &mut UnixStream) -> bool {
    let mut b = [0u8; 1];
    matches!(stream.read(&mut b), Ok(0))
}

/// Protobuf by hand (field key, varint, length-delimited), for a body the crate cannot write.
fn pb_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn pb_uint(field: u64, v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    pb_varint(field << 3, &mut out);
    pb_varint(v, &mut out);
    out
}

fn pb_bytes(field: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    pb_varint(field << 3 | 2, &mut out);
    pb_varint(body.len() as u64, &mut out);
    out.extend_from_slice(body);
    out
}

/// PsaImportKey of an HMAC key whose policy is HMAC-SHA-256 of at least 12 bytes: the
/// Truncated MAC message with parsecd's at_least_this_length (1000), as libparsec writes it
/// (proto/psa_algorithm.proto, proto/psa_key_attributes.proto, proto/psa_import_key.proto).
fn at_least_import_body(name: &str) -> Vec<u8> {
    let hmac_sha256 = pb_bytes(1, &pb_uint(1, 7)); // FullLength.hmac { hash_alg: SHA_256 }
    let truncated = [pb_bytes(1, &hmac_sha256), pb_uint(2, 12), pb_uint(1000, 1)].concat();
    let algorithm = pb_bytes(3, &pb_bytes(2, &truncated)); // Algorithm.mac.truncated
    let usage = [pb_uint(6, 1), pb_uint(7, 1)].concat(); // sign_message, verify_message
    let policy = [pb_bytes(1, &usage), pb_bytes(2, &algorithm)].concat();
    let attributes =
        [pb_bytes(1, &pb_bytes(2, &[])), pb_uint(2, 256), pb_bytes(3, &policy)].concat();
    [pb_bytes(1, name.as_bytes()), pb_bytes(2, &attributes), pb_bytes(3, &[0x5a; 32])].concat()
}

/// A raw request with Direct authentication as app; the answer's status.
fn raw_direct(path: &str, provider: u8, opcode: u32, body: &[u8], app: &str) -> Option<u16> {
    let mut h = raw_header(provider, opcode, body.len() as u32, 5);
    h[21] = 1;
    h[26..28].copy_from_slice(&(app.len() as u16).to_le_bytes());
    h.extend_from_slice(body);
    h.extend_from_slice(app.as_bytes());
    let mut s = connect(path);
    s.write_all(&h).ok()?;
    read_raw(&mut s).map(|r| r.status)
}

/// ListKeys as upstream's client sends and reads it, authenticated as app (Direct); the
/// result and whether its body holds at_least_this_length set (key 1000 varint, then 1).
fn list_keys_direct(path: &str, app: &str) -> Result<(list_keys::Result, bool), String> {
    let body = ProtobufConverter
        .operation_to_body(NativeOperation::ListKeys(list_keys::Operation {}))
        .map_err(|e| format!("encode: {:?}", e))?;
    let request = Request {
        header: RequestHeader {
            provider: ProviderId::Core,
            session: 6,
            content_type: BodyType::Protobuf,
            accept_type: BodyType::Protobuf,
            auth_type: AuthType::Direct,
            opcode: Opcode::ListKeys,
        },
        body,
        auth: RequestAuth::new(app.as_bytes().to_vec()),
    };
    let mut s = connect(path);
    request.write_to_stream(&mut s).map_err(|e| format!("write: {:?}", e))?;
    let response =
        Response::read_from_stream(&mut s, 1 << 20).map_err(|e| format!("read: {:?}", e))?;
    if response.header.status != ResponseStatus::Success {
        return Err(format!("status {:?}", response.header.status));
    }
    let field = response.body.bytes().windows(3).any(|w| w == [0xc0, 0x3e, 0x01]);
    match ProtobufConverter.body_to_result(response.body, Opcode::ListKeys) {
        Ok(NativeResult::ListKeys(r)) => Ok((r, field)),
        other => Err(format!("decode: {:?}", other)),
    }
}

fn ping_ok(path: &str) -> bool {
    let mut s = connect(path);
    matches!(
        call(&mut s, ProviderId::Core, NativeOperation::Ping(ping::Operation), 1),
        Ok((_, Some(NativeResult::Ping(_))))
    )
}

fn main() {
    let endpoint = std::env::var("PARSEC_SERVICE_ENDPOINT").expect("PARSEC_SERVICE_ENDPOINT");
    let path = endpoint.trim_start_matches("unix:").to_string();
    let mut c = Checks { passed: 0, failed: 0 };

    // Ping as upstream's client sends it: one request per connection, session echoed,
    // and the service closes the connection after the reply.
    for session in [7u64, 8u64] {
        let mut s = connect(&path);
        let r = call(&mut s, ProviderId::Core, NativeOperation::Ping(ping::Operation), session);
        let ok = match &r {
            Ok((resp, Some(NativeResult::Ping(p)))) => {
                resp.session == session
                    && p.wire_protocol_version_maj == 1
                    && p.wire_protocol_version_min == 0
            }
            _ => false,
        };
        c.check(&format!("ping, one request per connection (session {})", session),
            ok && closed(&mut s), format!("{:?}", r.map(|x| x.0)));
    }
    // Keep-alive at the client's request (header flags bit 0): two pings on one connection.
    {
        let mut s = connect(&path);
        let mut both = true;
        for session in [9u64, 10u64] {
            let mut h = raw_header(0, 1, 0, session);
            h[8] = 1;
            both &= s.write_all(&h).is_ok()
                && matches!(read_raw(&mut s), Some(r) if r.status == 0 && r.session == session
                    && r.flags == 1);
        }
        c.check("two pings on a connection kept at the client's request", both, String::new());
    }
    c.check("ping on a fresh connection", ping_ok(&path), String::new());

    // ListProviders: the software provider first, core last, upstream's UUIDs.
    let r = call(&mut connect(&path), ProviderId::Core, NativeOperation::ListProviders(list_providers::Operation), 2);
    match r {
        Ok((_, Some(NativeResult::ListProviders(res)))) => {
            let first = res.providers.first();
            let last = res.providers.last();
            c.check(
                "list providers",
                res.providers.len() == 2
                    && first.map(|p| p.id == ProviderId::MbedCrypto
                        && p.uuid.to_string() == "1c1139dc-ad7c-47dc-ad6b-db6fdb466552"
                        && !p.description.is_empty() && !p.vendor.is_empty()) == Some(true)
                    && last.map(|p| p.id == ProviderId::Core
                        && p.uuid.to_string() == "47049873-2a43-4845-9d72-831eab668784") == Some(true),
                format!("{:?}", res.providers),
            );
        }
        other => c.check("list providers", false, format!("{:?}", other.map(|x| x.0))),
    }

    // ListOpcodes for core and the software provider: must parse with the crate.
    for (provider, name) in [(ProviderId::Core, "core"), (ProviderId::MbedCrypto, "software provider")] {
        let op = NativeOperation::ListOpcodes(list_opcodes::Operation { provider_id: provider });
        match call(&mut connect(&path), ProviderId::Core, op, 3) {
            Ok((_, Some(NativeResult::ListOpcodes(res)))) => {
                let ok = if provider == ProviderId::Core {
                    [Opcode::Ping, Opcode::ListProviders, Opcode::ListOpcodes, Opcode::ListAuthenticators]
                        .iter().all(|o| res.opcodes.contains(o))
                } else {
                    res.opcodes.contains(&Opcode::PsaSignHash) && res.opcodes.contains(&Opcode::PsaGenerateKey)
                };
                c.check(&format!("list opcodes of the {}", name), ok, format!("{:?}", res.opcodes));
            }
            other => c.check(&format!("list opcodes of the {}", name), false,
                format!("{:?}", other.map(|x| x.0))),
        }
    }

    // ListAuthenticators: Direct, as configured.
    match call(&mut connect(&path), ProviderId::Core, NativeOperation::ListAuthenticators(list_authenticators::Operation), 4) {
        Ok((_, Some(NativeResult::ListAuthenticators(res)))) => c.check(
            "list authenticators",
            res.authenticators.len() == 1 && res.authenticators[0].id == AuthType::Direct,
            format!("{:?}", res.authenticators),
        ),
        other => c.check("list authenticators", false, format!("{:?}", other.map(|x| x.0))),
    }

    // Header faults, raw. (name, byte offset, value, expected status, closes)
    let faults: [(&str, usize, u8, u16, bool); 8] = [
        ("bad magic", 0, 0x00, 17, true),
        // Upstream reads as many header bytes as the size says before refusing it.
        ("header size 29", 4, 29, 17, true),
        ("version 2.0", 6, 2, 4, true),
        ("version 1.1", 7, 1, 4, true),
        ("reserved byte", 35, 1, 17, true),
        ("content type 1", 19, 1, 2, true),
        ("accept type 1", 20, 1, 3, true),
        ("body over the limit", 24, 0x10, 20, true),
    ];
    for (name, offset, value, status, closes) in faults.iter() {
        let mut s = connect(&path);
        let mut h = raw_header(0, 1, 0, 99);
        h[*offset] = *value;
        s.write_all(&h).unwrap();
        let r = read_raw(&mut s);
        let ok = match &r {
            Some(resp) => resp.status == *status && (!*closes || closed(&mut s)),
            None => false,
        };
        c.check(&format!("{} is answered {}", name, status), ok,
            format!("status {:?}", r.map(|x| x.status)));
        // The answer to an unreadable header is one the crate itself can parse.
        if *offset == 0 {
            let mut s = connect(&path);
            s.write_all(&h).unwrap();
            let parsed = Response::read_from_stream(&mut s, 1 << 20);
            c.check("bad magic answer parses with the crate", matches!(&parsed,
                Ok(r) if r.header.status == ResponseStatus::InvalidHeader),
                format!("{:?}", parsed.map(|r| r.header)));
        }
    }

    // Truncated body, then the client stops sending.
    {
        let mut s = connect(&path);
        let mut h = raw_header(0, 9, 10, 5);
        h.extend_from_slice(&[1, 2, 3]);
        s.write_all(&h).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let r = read_raw(&mut s);
        c.check("truncated body answered ConnectionError or closed",
            r.as_ref().map(|x| x.status == 15).unwrap_or(true), format!("{:?}", r.map(|x| x.status)));
    }

    // Undecodable body: answered, the connection stays usable.
    {
        let mut s = connect(&path);
        let mut h = raw_header(0, 9, 3, 6);
        h.extend_from_slice(&[0xff, 0xff, 0xff]);
        s.write_all(&h).unwrap();
        let r = read_raw(&mut s);
        let ok = r.as_ref().map(|x| x.status == 7 && x.session == 6 && x.opcode == 9).unwrap_or(false);
        c.check("undecodable body is DeserializingBodyFailed", ok, format!("{:?}", r.map(|x| x.status)));
        c.check("and the connection is closed after that answer, as upstream's", closed(&mut s),
            String::new());
    }

    // Unknown opcode, unknown provider, unconfigured provider, crypto op to core. The
    // first two are faults upstream finds before it has a request header
    // (Request::read_from_stream): its answer (Response::from_status) echoes nothing,
    // provider 0, session 0, opcode Ping, and the crate must parse it. The others echo
    // the request (Response::from_request_header).
    let cases: [(&str, u8, u32, Vec<u8>, u16, bool); 4] = [
        ("unknown opcode", 0, 0x7777, vec![], 9, false),
        ("unknown provider", 200, 1, vec![], 6, false),
        ("provider not configured", 3, 0x0D, vec![0x08, 0x10], 5, true),
        ("crypto operation sent to core", 0, 0x0D, vec![0x08, 0x10], 1134, true),
    ];
    for (name, provider, opcode, body, status, echoed) in cases.iter() {
        let mut s = connect(&path);
        let mut h = raw_header(*provider, *opcode, body.len() as u32, 42);
        h.extend_from_slice(body);
        s.write_all(&h).unwrap();
        let r = read_raw(&mut s);
        let want = if *echoed { (*status, 42, *opcode, *provider) } else { (*status, 0, 1, 0) };
        let ok = r.as_ref().map(|x| (x.status, x.session, x.opcode, x.provider) == want)
            .unwrap_or(false);
        c.check(&format!("{} is answered {}", name, status), ok,
            format!("{:?}", r.map(|x| (x.status, x.session, x.opcode, x.provider))));
        let mut s = connect(&path);
        s.write_all(&h).unwrap();
        let parsed = Response::read_from_stream(&mut s, 1 << 20);
        c.check(&format!("{}: the answer parses with the crate", name),
            matches!(&parsed, Ok(r) if r.header.status as u16 == *status),
            format!("{:?}", parsed.map(|r| r.header)));
    }

    c.check("still serving after every bad request", ping_ok(&path), String::new());

    // A key whose policy allows a MAC of at least 12 bytes: parsecd writes the length with
    // its at_least_this_length field, which upstream's crate does not know. Its ListKeys
    // answer must still decode, the field skipped: the crate reads the one length.
    let st = raw_direct(&path, 1, 0x06, &at_least_import_body("at-least-12"), "interop");
    c.check("an HMAC key with an at-least-12 policy is imported", st == Some(0),
        format!("{:?}", st));
    let listed = list_keys_direct(&path, "interop");
    let want = Algorithm::Mac(Mac::Truncated {
        mac_alg: FullLengthMac::Hmac { hash_alg: Hash::Sha256 },
        mac_length: 12,
    });
    c.check("the crate decodes a ListKeys answer holding at_least_this_length",
        matches!(&listed, Ok((r, true)) if r.keys.iter().any(|k| k.name == "at-least-12"
            && k.attributes.policy.permitted_algorithms == want)),
        format!("{:?}", listed));
    if std::env::var("INTEROP_NO_TOTAL").is_err() {
        println!("interop: {} passed, {} failed", c.passed, c.failed);
    } else {
        println!("# rust: {} {}", c.passed, c.failed);
    }
    std::process::exit(if c.failed == 0 { 0 } else { 1 });
}
