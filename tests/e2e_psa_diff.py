#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Same answers as Mbed TLS: the plain PSA Crypto API programs of tests/psa/ built
twice, once against Debian's mbedtls 2.28 (keys in the process) and once against
libparsec-psa (keys in parsecd, on each provider: Mbed Crypto, PKCS#11 with SoftHSM,
TPM with swtpm), and their transcripts compared line by line. A provider may answer
PSA_ERROR_NOT_SUPPORTED where mbedtls succeeds (counted, and the rest of that case is
not compared); any other difference fails and is named. PSA_DIFF_PROVIDERS (a comma
list of mbed-crypto, pkcs11-softhsm, tpm-swtpm) narrows the run. Every known-answer line must
say ok in both builds.

Until libparsec-psa is built, only the mbedtls build runs: its known answers must
hold and its transcripts must be the same from run to run; then the suite exits 77."""
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import TOP, check, summary  # noqa: E402
import softhsmlib  # noqa: E402
import swtpmlib  # noqa: E402

SRC = os.path.join(TOP, "tests", "psa")
PSA_LIB = os.path.join(TOP, "psa", "libparsec-psa.so")
PSA_INC = os.path.join(TOP, "psa", "include")
PROGRAMS = ["hash", "mac", "cipher", "aead", "aead_mp", "keys", "sign", "agree", "derive",
            "random", "persist", "large"]
# mbedtls 2.28 declares the multipart AEAD functions but defines none: its build of
# aead_mp prints its result lines from the one-shot functions.
MBED_DEFINES = {"aead_mp": ["-DTP_AEAD_ONESHOT"]}
# Only these lines of aead_mp have an mbedtls counterpart; the rest are checked
# against what the specification says (the program prints it when they differ).
MP_COMPARED = ("#", "kat ", "result ", "psa_crypto_init", "psa_import_key", "psa_destroy_key")
NOT_SUPPORTED = "PSA_ERROR_NOT_SUPPORTED"
# What the Mbed Crypto provider may still not do where mbedtls does: a message longer than one
# request carries, signed with a key that may sign messages but not hashes (a hash of it signed
# in its place would need the usage the key lacks).
MBED_MAY_REFUSE = ("large / large ecdsa-p256 message-only ",)
SPEC = "(the specification says"
CC = os.environ.get("CC", "cc")
# The sanitizer build (make check-asan) gives the flags its libraries were built with.
CFLAGS = ["-std=c11", "-O1", "-Wall", "-Wextra", "-Werror"] + \
    os.environ.get("PARSEC_EXAMPLE_CFLAGS", "").split()


def build(work, flavour):
    """Builds every program for flavour ("mbed" or "parsec") into work/flavour;
    returns {program: path} or raises with the compiler's words."""
    out = os.path.join(work, flavour)
    os.makedirs(out, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        jobs = [pool.submit(build_one, out, flavour, prog) for prog in PROGRAMS]
        return dict(job.result() for job in jobs)


def build_one(out, flavour, prog):
    """(prog, its executable) built for flavour into out."""
    exe = os.path.join(out, prog)
    srcs = [os.path.join(SRC, prog + ".c"), os.path.join(SRC, "tp.c")]
    if flavour == "mbed":
        cmd = [CC] + CFLAGS + MBED_DEFINES.get(prog, []) + ["-I", SRC, "-o", exe] + srcs + \
            ["-lmbedcrypto"]
    else:
        cmd = [CC] + CFLAGS + ["-I", PSA_INC, "-I", SRC, "-o", exe] + srcs + \
            ["-L", os.path.dirname(PSA_LIB), "-lparsec-psa",
             "-Wl,-rpath," + os.path.dirname(PSA_LIB), "-pthread"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s build of %s failed:\n%s%s" % (flavour, prog, r.stdout, r.stderr))
    return prog, exe


def run(exe, args=(), env=None, cwd=None):
    """The program's transcript (its stdout lines); raises if it crashed."""
    r = subprocess.run([exe] + list(args), capture_output=True, text=True, env=env, cwd=cwd,
                       timeout=300)
    if r.returncode != 0:
        raise RuntimeError("%s exited %d:\n%s\n%s" % (exe, r.returncode, r.stdout[-2000:],
                                                       r.stderr[-2000:]))
    return r.stdout.splitlines()


def run_sign(exe, peer_in, peer_out, env=None, cwd=None):
    return run(exe, [peer_in or "-", peer_out], env=env, cwd=cwd)


def run_program(prog, exe, env=None, cwd=None):
    """A program's transcript; persist runs as two processes (make, then use), their
    transcripts joined case by case."""
    if prog != "persist":
        return run(exe, env=env, cwd=cwd)
    joined = {}
    for mode in ("make", "use"):
        for name, body in cases(run(exe, [mode], env=env, cwd=cwd)):
            joined.setdefault(name, []).extend(body)
    return [line for name, body in joined.items()
            for line in ([] if name == "(start)" else ["# " + name]) + body]


def cases(lines):
    """[(case name, [lines])] in order; lines before the first case under "(start)"."""
    out = [("(start)", [])]
    for line in lines:
        if line.startswith("# "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(line)
    return out


def split_status(line):
    """(call, status, rest) of a transcript line; status None if it has none. A known
    answer's line is "kat NAME ok|STATUS|MISMATCH ..." """
    words = line.split(" ")
    if words[0] == "kat" and len(words) > 2:
        return " ".join(words[:2]), words[2], " ".join(words[3:])
    for i, w in enumerate(words):
        if w.startswith("PSA_") or w.startswith("status("):
            return " ".join(words[:i]), w, " ".join(words[i + 1:])
    return line, None, ""


def kat_failures(lines):
    return [line for line in lines if line.startswith("kat ") and not line.endswith(" ok")]


# Calls that make a key: where one is not supported, the case has no key to destroy.
MAKES_KEY = ("psa_import_key", "psa_generate_key", "psa_copy_key", "psa_key_derivation_output_key")


def key_lost(ref_rest, got_rest, call):
    """A call the provider did not support leaves the key it named in place: no
    psa_destroy_key of the case from there on finds its key gone where mbedtls's
    found them all (a request refused as too long must not cost the application
    its volatile key). The program may take another way after a refusal, so only
    that answer is compared. Returns what differs, or None."""
    gone = "psa_destroy_key PSA_ERROR_INVALID_HANDLE"
    if call.startswith(MAKES_KEY) or gone in ref_rest or gone not in got_rest:
        return None
    return "a key went: mbedtls: %r; libparsec-psa: %r" % (
        [line for line in ref_rest if line.startswith("psa_destroy_key ")],
        [line for line in got_rest if line.startswith("psa_destroy_key ")])


def compare(prog, ref, got, tally):
    """Differences between mbedtls's transcript ref and libparsec-psa's got, as
    plain sentences; counts the cases a provider did not support in tally."""
    diffs = []
    ref_cases, got_cases = cases(ref), cases(got)
    ref_names = [c[0] for c in ref_cases]
    got_names = [c[0] for c in got_cases]
    if ref_names != got_names:
        return ["%s: the cases differ: mbedtls ran %s, libparsec-psa ran %s" %
                (prog, ref_names, got_names)]
    for (name, rl), (_, gl) in zip(ref_cases, got_cases):
        for i in range(max(len(rl), len(gl))):
            r = rl[i] if i < len(rl) else "(nothing)"
            g = gl[i] if i < len(gl) else "(nothing)"
            if r == g:
                continue
            rc, rs, _ = split_status(r)
            gc, gs, _ = split_status(g)
            # Not supported is an answer only where mbedtls did the operation; where
            # mbedtls refused it, the reason it gave is the answer.
            if gs == NOT_SUPPORTED and rc == gc and rs in ("PSA_SUCCESS", "ok"):
                tally.append("%s / %s: %s" % (prog, name, gc))
                lost = key_lost(rl[i:], gl[i:], gc)
                if lost:
                    diffs.append("%s / %s: after %s was not supported: %s" %
                                 (prog, name, gc, lost))
                break
            diffs.append("%s / %s, line %d: mbedtls: %r; libparsec-psa: %r" %
                         (prog, name, i + 1, r, g))
            break
    return diffs


def load_known():
    """[(provider or *, "program / case", call, note)] from tests/psa/known-differences.txt:
    differences already reported as bugs, printed on every run but not failed on."""
    out = []
    path = os.path.join(SRC, "known-differences.txt")
    if not os.path.exists(path):
        return out
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("|")]
        if len(fields) == 4:
            out.append(tuple(fields))
    return out


KNOWN = load_known()
known_seen = set()


def is_known(label, diff):
    for entry in KNOWN:
        who, where, call, note = entry
        if who in ("*", label) and diff.startswith(where + ",") and \
                ("libparsec-psa: '%s " % call) in diff:
            known_seen.add(entry)
            print("# known difference (%s) %s: %s" % (note, label, diff))
            return True
    return False


def spec_departures(prog, lines):
    """Lines of a libparsec-psa-only transcript where it departs from the specification,
    up to the first NOT_SUPPORTED of each case (the rest of that case follows from it)."""
    out = []
    for name, body in cases(lines):
        for line in body:
            call, st, _ = split_status(line)
            if st == NOT_SUPPORTED:
                break
            if SPEC in line:
                out.append("%s / %s: %s" % (prog, name, line))
    return out


def mbed_only(mbed, work):
    """The mbedtls build alone: known answers hold, transcripts stable from run to run.
    Returns {program: transcript} of the second run, for the comparisons."""
    firsts, seconds = {}, {}
    for turn, store in ((1, firsts), (2, seconds)):
        cwd = tempfile.mkdtemp(prefix="mbed-run.", dir=work)
        for prog, exe in mbed.items():
            if prog == "sign":
                continue
            store[prog] = run_program(prog, exe, cwd=cwd)
        check("mbedtls build %d leaves no key file behind" % turn, os.listdir(cwd) == [],
              os.listdir(cwd))
    for prog in firsts:
        bad = kat_failures(firsts[prog])
        check("mbedtls: %s: every known answer holds" % prog, not bad, "\n".join(bad))
        check("mbedtls: %s: the transcript is the same from run to run" % prog,
              firsts[prog] == seconds[prog],
              "\n".join(a + " | " + b for a, b in zip(firsts[prog], seconds[prog]) if a != b))
    # sign crosses randomized outputs: both runs read the other's
    cwd = tempfile.mkdtemp(prefix="mbed-sign.", dir=work)
    p = [os.path.join(work, "mbed-peer.%d" % i) for i in range(3)]
    run_sign(mbed["sign"], None, p[0], cwd=cwd)
    s1 = run_sign(mbed["sign"], p[0], p[1], cwd=cwd)
    s2 = run_sign(mbed["sign"], p[1], p[2], cwd=cwd)
    bad = kat_failures(s1)
    check("mbedtls: sign: every known answer holds", not bad, "\n".join(bad))
    check("mbedtls: sign: the transcript is the same from run to run", s1 == s2,
          "\n".join(a + " | " + b for a, b in zip(s1, s2) if a != b))
    departures = []
    for prog, lines in list(seconds.items()) + [("sign", s2)]:
        departures += ["%s: %s" % (prog, line) for line in lines if SPEC in line]
    if departures:
        print("# where mbedtls 2.28 itself departs from the specification (not a failure):")
        for d in departures:
            print("#   " + d)
    seconds["sign"] = s2
    return seconds


def provider_run(label, svc, provider, parsec, mbed, ref, work):
    """Every program against one provider; returns (differences, not-supported list)."""
    env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock,
               PARSEC_APP_NAME="psa-diff-" + label)
    if provider is not None:
        env["PARSEC_PSA_PROVIDER"] = str(provider)
    cwd = tempfile.mkdtemp(prefix="parsec-run.", dir=work)
    diffs, tally, kats = [], [], []
    for prog, exe in parsec.items():
        if prog == "sign":
            continue
        try:
            got = run_program(prog, exe, env=env, cwd=cwd)
        except RuntimeError as e:
            check("%s: %s ran" % (label, prog), False, str(e))
            diffs.append("%s: %s" % (prog, e))
            continue
        kats += [g for g in got if g.startswith("kat ") and g.endswith(" ok")]
        if prog == "aead_mp":
            d = spec_departures(prog, got)
            check("%s: aead_mp: the multipart calls answer as the specification says" % label,
                  not d, "\n".join(d))
            diffs += d
            got = [g for g in got if g.startswith(MP_COMPARED)]
            want = [r for r in ref[prog] if r.startswith(MP_COMPARED)]
        else:
            want = ref[prog]
        d = [x for x in compare(prog, want, got, tally) if not is_known(label, x)]
        check("%s: %s: the same answers as mbedtls" % (label, prog), not d, "\n".join(d))
        diffs += d
    # sign: mbedtls writes, libparsec-psa reads it and writes, mbedtls reads that
    p = [os.path.join(work, "%s-peer.%d" % (label, i)) for i in range(3)]
    mcwd = tempfile.mkdtemp(prefix="mbed-sign.", dir=work)
    try:
        run_sign(mbed["sign"], None, p[0], cwd=mcwd)
        got = run_sign(parsec["sign"], p[0], p[1], env=env, cwd=cwd)
        want = run_sign(mbed["sign"], p[1], p[2], cwd=mcwd)
        kats += [g for g in got if g.startswith("kat ") and g.endswith(" ok")]
        d = [x for x in compare("sign", want, got, tally) if not is_known(label, x)]
        check("%s: sign: the same answers as mbedtls, each verifying and decrypting "
              "what the other made" % label, not d, "\n".join(d))
        diffs += d
    except RuntimeError as e:
        check("%s: sign ran" % label, False, str(e))
        diffs.append("sign: %s" % e)
    print("# %s: %d known answers held" % (label, len(kats)))
    return diffs, tally


def providers():
    """[(label, PARSEC_PSA_PROVIDER)] of what this machine has; the Mbed Crypto provider
    is the service's first, the library's default (no PARSEC_PSA_PROVIDER)."""
    out = [("mbed-crypto", None)]
    if softhsmlib.available():
        out.append(("pkcs11-softhsm", 2))
    else:
        print("# SoftHSMv2 or pkcs11-tool missing: the PKCS#11 provider is not compared")
    if swtpmlib.available():
        out.append(("tpm-swtpm", 3))
    else:
        print("# swtpm or tpm2-tools missing: the TPM provider is not compared")
    only = os.environ.get("PSA_DIFF_PROVIDERS")
    return [p for p in out if not only or p[0] in only.split(",")]


def start_service(label):
    """A fresh parsecd (fresh key store) with the provider under test; returns
    (service, swtpm or None)."""
    base = tempfile.mkdtemp(prefix="parsecd-psadiff.")
    os.chmod(base, 0o755)
    tpm, extra = None, ""
    if label == "pkcs11-softhsm":
        extra = softhsmlib.Token(base).provider_table()
    elif label == "tpm-swtpm":
        tpm = swtpmlib.Swtpm().__enter__()
        extra = ('\n[[provider]]\nprovider_type = "Tpm"\nkey_info_manager = "sqlite-manager"\n'
                 'tcti = "%s"\n' % tpm.tcti)
    svc = eb.Service(auth="Direct", directory=base, provider_extra=extra)
    try:
        svc.start()
    except BaseException:
        if tpm is not None:
            tpm.__exit__(None, None, None)
        svc.remove()
        raise
    return svc, tpm


def main():
    if shutil.which(CC) is None or not os.path.exists("/usr/include/psa/crypto.h"):
        print("e2e_psa_diff: skipped: no compiler or no libmbedtls-dev")
        return 77
    work = tempfile.mkdtemp(prefix="psa-diff.")
    started = time.time()
    try:
        mbed = build(work, "mbed")
        check("the programs build against mbedtls with -Wall -Wextra -Werror", True)
        ref = mbed_only(mbed, work)
        print("# mbedtls alone: %.1f s" % (time.time() - started))
        if not os.path.exists(PSA_LIB):
            print("e2e_psa_diff: libparsec-psa is not built (%s): only the mbedtls build ran"
                  % PSA_LIB)
            if eb.counts["failed"]:
                return summary("e2e_psa_diff")
            print("e2e_psa_diff: skipped")
            return 77
        try:
            parsec = build(work, "parsec")
            check("the same programs build against libparsec-psa with -Wall -Wextra -Werror",
                  True)
        except RuntimeError as e:
            check("the same programs build against libparsec-psa", False, str(e))
            return summary("e2e_psa_diff")
        all_diffs, all_unsupported = {}, {}
        plist = providers()
        for label, provider in plist:
            t0 = time.time()
            svc, tpm = start_service(label)
            try:
                diffs, tally = provider_run(label, svc, provider, parsec, mbed, ref, work)
            finally:
                svc.stop()
                if tpm is not None:
                    tpm.__exit__(None, None, None)
                svc.remove()
            all_diffs[label], all_unsupported[label] = diffs, tally
            # The Mbed Crypto provider is mbedtls itself: whatever mbedtls does, it does
            # (policies of a shortest MAC or tag included).
            if label == "mbed-crypto":
                refused = [t for t in tally if not t.startswith(MBED_MAY_REFUSE)]
                check("mbed-crypto: every case mbedtls runs is supported", not refused,
                      "\n".join(refused))
            print("# %s: %d differences, %d cases not supported, %.1f s" %
                  (label, len(diffs), len(tally), time.time() - t0))
        for label in all_diffs:
            for d in all_diffs[label]:
                print("# DIFFERENCE %s: %s" % (label, d))
            for u in all_unsupported[label]:
                print("# not supported by %s: %s" % (label, u))
        ran = [p[0] for p in plist]
        for entry in KNOWN:
            if entry not in known_seen and (entry[0] == "*" or entry[0] in ran):
                print("# not seen in this run (fixed, then remove its line; or not in this build): %s" %
                      " | ".join(entry))
        print("# total: %.1f s" % (time.time() - started))
    except RuntimeError as e:
        check("the suite ran", False, str(e))
    finally:
        subprocess.run(["rm", "-rf", work])
    return summary("e2e_psa_diff")


if __name__ == "__main__":
    sys.exit(main())
