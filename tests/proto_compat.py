#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checks that our proto/ contracts match upstream's field for field.

Usage: proto_compat.py UPSTREAM_DIR OUR_DIR. Both sets are compiled with
protoc into descriptor sets; for every upstream file, each message (nested
ones too) and enum must have the same fields (name, number, type, label,
type name, oneof) and enum values. Extra files of ours are fine, and so are
the fields of parsecd's own extension listed in EXTENSIONS (numbers from 1000,
which upstream's decoders skip as unknown); nothing else may differ.
"""
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2


# (file, message, field name, field number): parsecd's extension fields in
# upstream's messages, documented in parsecd(8) EXTENSIONS.
EXTENSIONS = {
    ("psa_algorithm.proto", "Algorithm.Mac.Truncated", "at_least_this_length", 1000),
    ("psa_algorithm.proto", "Algorithm.Aead.AeadWithShortenedTag", "at_least_this_length", 1000),
}


def without_extensions(name, got):
    """got without the listed extension fields; each must be there, or the list is stale."""
    missing = []
    for fname, msg, field, number in EXTENSIONS:
        if fname != name:
            continue
        fields = got.get(msg, [])
        kept = [f for f in fields if not (f[0] == field and f[1] == number)]
        if len(kept) == len(fields):
            missing.append("%s.%s = %d" % (msg, field, number))
        got[msg] = kept
    return missing


def load(directory):
    files = sorted(f for f in os.listdir(directory) if f.endswith(".proto"))
    with tempfile.NamedTemporaryFile(suffix=".pb") as out:
        subprocess.run(["protoc", "-I", directory, "--include_imports",
                        "--descriptor_set_out=" + out.name] + files, check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        fds.ParseFromString(open(out.name, "rb").read())
    return {f.name: f for f in fds.file}


def shape_enum(enum, prefix, into):
    into[prefix + enum.name] = sorted((v.name, v.number) for v in enum.value)


def shape_message(msg, prefix, into):
    name = prefix + msg.name
    oneofs = [o.name for o in msg.oneof_decl]
    into[name] = sorted(
        (f.name, f.number, f.type, f.label, f.type_name,
         oneofs[f.oneof_index] if f.HasField("oneof_index") else None)
        for f in msg.field)
    for nested in msg.nested_type:
        shape_message(nested, name + ".", into)
    for enum in msg.enum_type:
        shape_enum(enum, name + ".", into)


def shape(file_desc):
    into = {"package": file_desc.package}
    for msg in file_desc.message_type:
        shape_message(msg, "", into)
    for enum in file_desc.enum_type:
        shape_enum(enum, "", into)
    return into


def main():
    if len(sys.argv) != 3:
        print("usage: proto_compat.py UPSTREAM_DIR OUR_DIR")
        return 2
    upstream_dir, our_dir = sys.argv[1:]
    if not os.path.isdir(upstream_dir):
        print("proto_compat: upstream contracts not found at %s; skipped" % upstream_dir)
        return 77
    upstream, ours = load(upstream_dir), load(our_dir)
    passed = failed = 0
    for name in sorted(upstream):
        if name not in ours:
            print("not ok - %s: missing from %s" % (name, our_dir))
            failed += 1
            continue
        want, got = shape(upstream[name]), shape(ours[name])
        problems = ["extension field %s is listed but not in ours" % m
                    for m in without_extensions(name, got)]
        for key in sorted(set(want) | set(got)):
            if want.get(key) != got.get(key):
                problems.append("%s: upstream %s, ours %s" % (key, want.get(key), got.get(key)))
        if problems:
            print("not ok - %s" % name)
            for p in problems:
                print("    " + p)
            failed += 1
        else:
            print("ok - %s" % name)
            passed += 1
    print("proto_compat: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
