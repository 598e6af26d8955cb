#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""libparsec-psa's headers (psa/include/psa/*.h) against Debian's Mbed TLS 2.28
headers (/usr/include/psa), the reference implementation of the PSA Cryptography
API, and against the literal values of the API 1.0.1 text.

Every macro and function the headers define is listed from the headers
themselves. One generated program prints each constant (value, width,
signedness) and each function-like macro applied to a spread of key types, key
sizes, algorithms and lengths; it is built once against each set of headers and
the two outputs must agree wherever Mbed TLS defines the name too. A name that
Mbed TLS lacks must be one of the API 1.0.1 names it never took up. Another
generated program uses every declaration (each function through a pointer of
the exact prototype, each type, initializer and macro) and must compile with
-Wall -Wextra -Werror -pedantic as C99 and as C11 against ours, and against
Mbed TLS's, which shows the prototypes are the same. Last, the comparison runs
once more on a copy of our headers with one value changed and must fail.

Usage: check_psa_headers.py [top]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
OURS = os.path.join(TOP, "psa", "include")
SPEC = os.path.join(TOP, "tests", "fixtures", "psa-api-1.0.1-values.txt")
CC = os.environ.get("CC", "cc")

# API 1.0.1 names that Mbed TLS 2.28 does not define (it implements API 1.0
# without them); their values are held to the API text instead.
NOT_IN_MBEDTLS = {
    "PSA_ALG_GET_HASH", "PSA_ALG_SM3", "PSA_ECC_FAMILY_FRP", "PSA_KEY_TYPE_SM4",
    "PSA_KEY_USAGE_CACHE", "PSA_KEY_DERIVATION_INPUT_CONTEXT",
    "PSA_KEY_LOCATION_PRIMARY_SECURE_ELEMENT", "PSA_HASH_SUSPEND_ALGORITHM_FIELD_LENGTH",
    "PSA_HASH_SUSPEND_INPUT_LENGTH_FIELD_LENGTH", "PSA_HASH_SUSPEND_HASH_STATE_FIELD_LENGTH",
    "PSA_HASH_SUSPEND_OUTPUT_SIZE", "PSA_HASH_SUSPEND_OUTPUT_MAX_SIZE",
    "psa_hash_suspend", "psa_hash_resume",
    # our helper for the AEAD size macros (Mbed TLS has its own under another name)
    "PSA_ALG_AEAD_EQUAL_IGNORING_TAG_",
}

# Sample arguments by parameter name, as numbers so that both builds see the same.
HASHES = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D,
          0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0xFF]
ALGS = sorted(set(
    [0x02000000 | h for h in HASHES] + [0x03800000 | h for h in HASHES]
    + [base | h for base in (0x06000200, 0x06000300, 0x06001300, 0x06000600, 0x06000700,
                             0x06000900, 0x07000300, 0x08000100, 0x08000200, 0x08000300)
       for h in (0x00, 0x05, 0x09, 0x0B, 0x15, 0xFF)]
    + [0x03C00100, 0x03C00200, 0x03880009, 0x03A0800B, 0x03C40200, 0x03C48200,
       0x04800100, 0x04C01000, 0x04C01100, 0x04C01200, 0x0440FF00, 0x04404400,
       0x04404000, 0x04404100, 0x05500100, 0x05500200, 0x05100500, 0x05480100,
       0x05448200, 0x05088500, 0x05400100, 0x06000800, 0x07000200,
       0x09010000, 0x09020000, 0x09020109, 0x09010209, 0x0902030B,
       0x00000000, 0x01000000, 0x0A000000, 0x7FFFFFFF, 0x80000000, 0x82000009, 0xFFFFFFFF]))
FAMILIES = [0x00, 0x03, 0x12, 0x17, 0x1B, 0x22, 0x27, 0x2B, 0x30, 0x33, 0x41, 0x42, 0xFF]
TYPES = sorted(set(
    [0x0000, 0x1001, 0x1100, 0x1200, 0x2400, 0x2406, 0x2301, 0x2403, 0x2405, 0x2002,
     0x2004, 0x4001, 0x7001, 0x3000, 0x5001, 0x8000, 0xC001, 0xFFFF]
    + [base | f for base in (0x4100, 0x7100, 0x4200, 0x7200) for f in FAMILIES]))
SAMPLES = {
    "ALG": ("psa_algorithm_t", ALGS),
    "TYPE": ("psa_key_type_t", TYPES),
    "FAMILY": ("uint8_t", FAMILIES),
    "BITS": ("size_t", [0, 1, 8, 128, 192, 255, 256, 384, 448, 521, 1024, 2048, 3072, 4096]),
    "LEN": ("size_t", [0, 1, 4, 8, 12, 13, 15, 16, 17, 32, 63, 64, 1000]),
    "LIFETIME": ("psa_key_lifetime_t", [0, 1, 2, 0xFF, 0x100, 0x101, 0x1FF, 0x80000001, 0xFFFFFFFF]),
    "PERSISTENCE": ("psa_key_persistence_t", [0, 1, 2, 0xFF]),
    "LOCATION": ("psa_key_location_t", [0, 1, 0x800000, 0xFFFFFF]),
    "BLOCK": ("size_t", [1, 8, 16]),
}
PARAM_CLASS = {
    "alg": "ALG", "hash_alg": "ALG", "mac_alg": "ALG", "aead_alg": "ALG", "ka_alg": "ALG",
    "kdf_alg": "ALG", "hmac_alg": "ALG", "hkdf_alg": "ALG", "a": "ALG", "b": "ALG",
    "type": "TYPE", "key_type": "TYPE", "curve": "FAMILY", "group": "FAMILY",
    "bits": "BITS", "key_bits": "BITS", "curve_bits": "BITS",
    "mac_length": "LEN", "tag_length": "LEN", "min_mac_length": "LEN", "min_tag_length": "LEN",
    "plaintext_length": "LEN", "ciphertext_length": "LEN", "input_length": "LEN",
    "length": "LEN", "bytes": "LEN",
    "lifetime": "LIFETIME", "persistence": "PERSISTENCE", "location": "LOCATION",
    "block_size": "BLOCK",
}

results = {"passed": 0, "failed": 0}


def ok(msg):
    print("ok - " + msg)
    results["passed"] += 1


def not_ok(msg, details=()):
    print("not ok - " + msg)
    for d in list(details)[:20]:
        print("    " + d)
    results["failed"] += 1


def header_text(incdir):
    return "\n".join(open(os.path.join(incdir, "psa", f)).read()
                     for f in sorted(os.listdir(os.path.join(incdir, "psa"))) if f.endswith(".h"))


def list_names(incdir):
    """The macros (object-like and function-like with their parameters) and the
    functions (name -> (return type, parameters)) that our headers define."""
    text = header_text(incdir)
    objs, funcs_m = [], {}
    for m in re.finditer(r"^#define (PSA_\w+)(\(([^)]*)\))?", text, re.M):
        if m.group(2):
            funcs_m[m.group(1)] = [p.strip() for p in m.group(3).split(",")]
        else:
            objs.append(m.group(1))
    flat = re.sub(r"\s+", " ", re.sub(r"/\*.*?\*/", " ", text, flags=re.S))
    funcs = {}
    for m in re.finditer(r"(?:static inline )?(psa_\w+|void|size_t) (psa_\w+)\(([^)]*)\)\s*[;{]", flat):
        funcs[m.group(2)] = (m.group(1), m.group(3).strip())
    return objs, funcs_m, funcs


def compile_run(src, incdir, work, tag):
    exe = os.path.join(work, "values-" + tag)
    cmd = [CC, "-std=c11", "-w", "-o", exe, src] + (["-I", incdir] if incdir else [])
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr
    r = subprocess.run([exe], capture_output=True, text=True)
    return r.stdout, r.stderr


def values_program(objs, funcs_m, path):
    """Each output line: NAME [arguments] value; for constants also width and
    signedness, for function-like macros a last line with those of the result."""
    out = ["#include <stdio.h>", "#include <stddef.h>", "#include <stdint.h>", "#include <psa/crypto.h>"]
    for cls, (ctype, vals) in SAMPLES.items():
        out.append("static const %s S_%s[] = { %s };" % (ctype, cls, ", ".join("%#x" % v for v in vals)))
        out.append("#define N_%s (sizeof(S_%s) / sizeof(S_%s[0]))" % (cls, cls, cls))
    out.append("#define SIGNED(e) ((e) * 0 - 1 < 0)")
    out.append("int main(void)\n{")
    skip = {n for n in objs if n.endswith("_INIT")}
    for n in objs:
        if n in skip:
            continue
        out.append("#ifdef %s" % n)
        out.append('\tprintf("%s %%lld %%zu %%d\\n", (long long)(%s), sizeof(%s), (int)SIGNED(%s));'
                   % (n, n, n, n))
        out.append("#else\n\tprintf(\"%s undefined\\n\");\n#endif" % n)
    for n, params in funcs_m.items():
        classes = [PARAM_CLASS[p] for p in params]
        out.append("#ifdef %s\n\t{" % n)
        for i, cls in enumerate(classes):
            out.append("\t" * (i + 2) + "for (size_t i%d = 0; i%d < N_%s; i%d++) {" % (i, i, cls, i))
        args = ", ".join("S_%s[i%d]" % (cls, i) for i, cls in enumerate(classes))
        fmt = " ".join(["%#llx"] * len(classes))
        shown = ", ".join("(unsigned long long)S_%s[i%d]" % (cls, i) for i, cls in enumerate(classes))
        out.append("\t" * (len(classes) + 2) + 'printf("%s %s %%lld\\n", %s, (long long)(%s(%s)));'
                   % (n, fmt, shown, n, args))
        out.append("\t" * 2 + "}" * len(classes))
        out.append('\t\tprintf("%s type %%zu %%d\\n", sizeof(%s(%s)), (int)SIGNED(%s(%s)));'
                   % (n, n, ", ".join("S_%s[0]" % c for c in classes), n,
                      ", ".join("S_%s[0]" % c for c in classes)))
        out.append("\t}\n#else\n\tprintf(\"%s undefined\\n\");\n#endif" % n)
    out.append("\treturn 0;\n}")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def by_name(output):
    d = {}
    for line in output.splitlines():
        name = line.split(" ", 1)[0]
        d.setdefault(name, []).append(line)
    return d


def compare(ours_out, mbed_out, names):
    """(agreeing names, [(name, first differences)], names Mbed TLS lacks)."""
    ours, mbed = by_name(ours_out), by_name(mbed_out)
    same, differ, missing = [], [], []
    for n in names:
        if mbed.get(n) == [n + " undefined"]:
            missing.append(n)
        elif ours.get(n) == mbed.get(n):
            same.append(n)
        else:
            a, b = ours.get(n, []), mbed.get(n, [])
            diffs = ["ours %s | mbedtls %s" % (x, y) for x, y in zip(a, b) if x != y]
            if len(a) != len(b):
                diffs.append("%d lines here, %d there" % (len(a), len(b)))
            differ.append((n, diffs))
    return same, differ, missing


def check_values(incdir, work, tag):
    """Runs the comparison for the headers in incdir; returns (differ, missing, ours output)."""
    objs, funcs_m, _ = list_names(incdir)
    src = os.path.join(work, "values-%s.c" % tag)
    values_program(objs, funcs_m, src)
    ours, err = compile_run(src, incdir, work, tag + "-ours")
    if ours is None:
        return None, err, None
    mbed, err = compile_run(src, None, work, tag + "-mbedtls")
    if mbed is None:
        return None, err, None
    names = [n for n in objs if not n.endswith("_INIT")] + list(funcs_m)
    same, differ, missing = compare(ours, mbed, names)
    return (same, differ), missing, ours


def check_spec(ours_out):
    """Our values against the literal ones of the API 1.0.1 text."""
    ours = {}
    for line in ours_out.splitlines():
        parts = line.split(" ")
        if len(parts) == 4 and parts[1].lstrip("-").isdigit():
            ours[parts[0]] = int(parts[1])
    expected = []
    for line in open(SPEC):
        if line.strip() and not line.startswith("#"):
            name, value = line.split()
            expected.append((name, int(value, 0)))
    return ours, expected


def spec_macro_values(expected, work):
    """The fixture's function-like entries (NAME(ARG)) evaluated against ours."""
    calls = [(n, v) for n, v in expected if "(" in n]
    src = os.path.join(work, "spec-calls.c")
    with open(src, "w") as f:
        f.write("#include <stdio.h>\n#include <psa/crypto.h>\nint main(void)\n{\n")
        for n, _ in calls:
            f.write('\tprintf("%%lld\\n", (long long)(%s));\n' % n)
        f.write("\treturn 0;\n}\n")
    out, err = compile_run(src, OURS, work, "spec")
    if out is None:
        return [("build", err)]
    got = [int(x) for x in out.split()]
    return [("%s = %d, the API says %d" % (n, g, v), "") for (n, v), g in zip(calls, got) if g != v]


def usage_program(funcs, objs, funcs_m, path, with_ours_only):
    """A program that uses every declaration: each function through a pointer of our
    exact prototype, every type with its initializer, every macro in an expression."""
    out = ["#include <stddef.h>", "#include <stdint.h>", "#include <psa/crypto.h>",
           "long long use_psa(void);", "long long use_psa(void)", "{"]
    for cls, (ctype, vals) in SAMPLES.items():
        out.append("\tvolatile %s v_%s = %#x;" % (ctype, cls, vals[min(1, len(vals) - 1)]))
    out.append("\tlong long sum = 0;")
    for name, (ret, params) in sorted(funcs.items()):
        if name in NOT_IN_MBEDTLS and not with_ours_only:
            continue
        out.append("\t%s (*volatile p_%s)(%s) = %s;" % (ret, name, params, name))
        out.append("\tsum += p_%s != 0;" % name)
    for t in ("key_attributes", "hash_operation", "mac_operation", "cipher_operation",
              "aead_operation", "key_derivation_operation"):
        out.append("\tpsa_%s_t o_%s = PSA_%s_INIT;" % (t, t, t.upper()))
        out.append("\to_%s = psa_%s_init();" % (t, t))
        out.append("\tsum += (long long)sizeof(o_%s);" % t)
    for t in ("psa_status_t", "psa_key_type_t", "psa_ecc_family_t", "psa_dh_family_t",
              "psa_algorithm_t", "psa_key_lifetime_t", "psa_key_persistence_t",
              "psa_key_location_t", "psa_key_id_t", "psa_key_usage_t", "psa_key_derivation_step_t"):
        out.append("\t{ %s x = 0; sum += (long long)x; }" % t)
    for n in objs:
        if n.endswith("_INIT") or (n in NOT_IN_MBEDTLS and not with_ours_only):
            continue
        out.append("\tsum += (long long)(%s);" % n)
    for n, params in funcs_m.items():
        if n in NOT_IN_MBEDTLS and not with_ours_only:
            continue
        args = ", ".join("v_" + PARAM_CLASS[p] for p in params)
        out.append("\tsum += (long long)(%s(%s));" % (n, args))
    out += ["\treturn sum;", "}"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def compile_only(src, incdir, std):
    cmd = [CC, "-std=" + std, "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only", src]
    if incdir:
        cmd[1:1] = ["-I", incdir]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0, r.stderr


def main():
    if not os.path.exists("/usr/include/psa/crypto.h"):
        print("check_psa_headers: Mbed TLS's headers (libmbedtls-dev) are missing")
        return 77
    work = tempfile.mkdtemp(prefix="psa-headers.")
    try:
        run(work)
    finally:
        shutil.rmtree(work)
    print("check_psa_headers: %d passed, %d failed" % (results["passed"], results["failed"]))
    return 0 if results["failed"] == 0 else 1


def run(work):
    objs, funcs_m, funcs = list_names(OURS)
    unknown = ["%s(%s)" % (n, p) for n, ps in funcs_m.items() for p in ps if p not in PARAM_CLASS]
    if unknown:
        not_ok("every function-like macro has sample arguments", unknown)
    else:
        ok("%d constants, %d function-like macros and %d functions listed from the headers"
           % (len(objs), len(funcs_m), len(funcs)))

    cmp_result, missing, ours_out = check_values(OURS, work, "a")
    if cmp_result is None:
        not_ok("the values program builds against both headers", [missing])
        return
    same, differ = cmp_result
    if differ:
        not_ok("%d names print differently from Mbed TLS 2.28" % len(differ),
               ["%s: %s" % (n, "; ".join(d[:3])) for n, d in differ])
    else:
        ok("%d names print the same against ours and Mbed TLS 2.28's headers" % len(same))
    stray = sorted(set(missing) - NOT_IN_MBEDTLS)
    if stray:
        not_ok("names Mbed TLS lacks are API 1.0.1 names it never took up", stray)
    else:
        ok("the %d names Mbed TLS lacks are API 1.0.1's, or our helper: %s" % (len(missing), " ".join(sorted(missing))))
    for name in sorted(NOT_IN_MBEDTLS - set(funcs)):
        if name not in objs and name not in funcs_m:
            not_ok("%s is defined" % name)

    ours, expected = check_spec(ours_out)
    bad = ["%s = %s, the API says %d" % (n, ours.get(n), v) for n, v in expected
           if "(" not in n and ours.get(n) != v]
    bad += [m for m, _ in spec_macro_values(expected, work)]
    if bad:
        not_ok("values as the API 1.0.1 text gives them", bad)
    else:
        ok("the %d literal values and hash-suspend sizes of the API 1.0.1 text" % len(expected))

    for label, incdir, with_ours in (("our", OURS, True), ("Mbed TLS 2.28's", None, False)):
        src = os.path.join(work, "use-%s.c" % ("ours" if with_ours else "mbedtls"))
        usage_program(funcs, objs, funcs_m, src, with_ours)
        for std in ("c99", "c11"):
            good, err = compile_only(src, incdir, std)
            if good:
                ok("a program using every declaration compiles against %s headers "
                   "(-std=%s -Wall -Wextra -Werror -pedantic)" % (label, std))
            else:
                not_ok("a program using every declaration compiles against %s headers (-std=%s)"
                       % (label, std), err.splitlines())

    # The test can fail: one value changed in a copy of our headers is found.
    mutant = os.path.join(work, "mutant")
    shutil.copytree(OURS, mutant)
    values = os.path.join(mutant, "psa", "crypto_values.h")
    text = open(values).read()
    changed = text.replace("#define PSA_ALG_SHA_384 ((psa_algorithm_t)0x0200000a)",
                           "#define PSA_ALG_SHA_384 ((psa_algorithm_t)0x0200000e)")
    if changed == text:
        not_ok("the self-check finds PSA_ALG_SHA_384 to change")
        return
    open(values, "w").write(changed)
    cmp_result, _, _ = check_values(mutant, work, "b")
    caught = cmp_result is not None and any(n == "PSA_ALG_SHA_384" for n, _ in cmp_result[1])
    if caught:
        ok("a copy with PSA_ALG_SHA_384 changed fails the comparison (%d names differ)"
           % len(cmp_result[1]))
    else:
        not_ok("a copy with PSA_ALG_SHA_384 changed fails the comparison")


if __name__ == "__main__":
    sys.exit(main())
