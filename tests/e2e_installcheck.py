#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make installcheck: libparsec as an application developer gets it.

make install into a DESTDIR; every examples/*.c built against that tree
through pkg-config, once shared and once static (pkg-config --static), and run
against a real parsecd; every examples/psa/*.c, a plain PSA Crypto API
program, built against libparsec-psa the same two ways and against Debian's
Mbed TLS, the three printing the same lines; the installed manual pages: one
for every exported function, each rendering without a groff warning.

Usage: e2e_installcheck.py TOPDIR
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2elib as eb  # noqa: E402
from e2elib import check, summary  # noqa: E402

SANITIZED = bool(os.environ.get("PARSEC_SANITIZED"))
# What each example prints when it worked.
EXPECTED = {"sign": "signed and verified", "settings": "random:"}


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def find(dest, name):
    hits = [os.path.join(d, name) for d, _, files in os.walk(dest) if name in files]
    return hits[0] if hits else None


def install(dest):
    r = run(["make", "-s", "-C", eb.TOP, "install", "DESTDIR=" + dest])
    check("make install DESTDIR=%s" % dest, r.returncode == 0, r.stdout[-300:] + r.stderr[-500:])
    check("and it rebuilt nothing (the installed files are the tested ones)",
          "rebuilding" not in r.stdout + r.stderr, r.stdout[-300:])
    pc = find(dest, "libparsec.pc")
    check("libparsec.pc installed", pc is not None)
    return dict(os.environ, PKG_CONFIG_LIBDIR=os.path.dirname(pc or dest), PKG_CONFIG_SYSROOT_DIR=dest)


def pkg_config(env, *args):
    r = run(["pkg-config"] + list(args) + ["libparsec"], env=env)
    check("pkg-config %s libparsec" % " ".join(args), r.returncode == 0, r.stderr)
    return r.stdout.split()


def needed(exe):
    return run(["readelf", "-d", exe]).stdout


def build(env, src, exe, static):
    extra = os.environ.get("PARSEC_EXAMPLE_CFLAGS", "").split()
    cflags = pkg_config(env, "--cflags")
    if static:
        libs = pkg_config(env, "--static", "--libs")
        # A fully static program, except where the sanitizers' runtime must stay shared.
        libs = ["-Wl,-Bstatic"] + libs + ["-Wl,-Bdynamic"] if SANITIZED else ["-static"] + libs
    else:
        libs = pkg_config(env, "--libs")
    r = run(["cc", "-Wall", "-Wextra", "-Werror", "-o", exe, src] + extra + cflags + libs)
    kind = "static" if static else "shared"
    check("examples/%s builds %s through pkg-config, without a warning" % (os.path.basename(src), kind),
          r.returncode == 0, r.stderr[-800:])
    dyn = needed(exe)
    if static:
        check("the static %s needs no libparsec.so" % os.path.basename(exe), "libparsec" not in dyn, dyn)
    else:
        check("the shared %s needs libparsec.so.0" % os.path.basename(exe),
              "Shared library: [libparsec.so.0]" in dyn, dyn)


def run_examples(env, dest, svc):
    libdir = os.path.dirname(find(dest, "libparsec.so.0") or dest)
    run_env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock, LD_LIBRARY_PATH=libdir)
    sources = sorted(glob.glob(os.path.join(eb.TOP, "examples", "*.c")))
    check("examples/ has the examples this script knows",
          sorted(os.path.basename(s)[:-2] for s in sources) == sorted(EXPECTED), sources)
    for src in sources:
        name = os.path.basename(src)[:-2]
        for static in (False, True):
            exe = os.path.join(dest, "%s-%s" % (name, "static" if static else "shared"))
            build(env, src, exe, static)
            r = run([exe], env=run_env)
            check("%s works against parsecd" % os.path.basename(exe),
                  r.returncode == 0 and EXPECTED.get(name, "\0") in r.stdout, r.stdout + r.stderr)
    exe = os.path.join(dest, "settings-shared")
    r = run([exe, "/run/parsec/parsec.sock"], env=run_env)
    check("an endpoint without unix: is refused, the error naming the setting",
          r.returncode == 1 and "endpoint setting" in r.stderr and "SettingEndpoint" in r.stderr, r.stderr)
    r = run([exe], env=dict(run_env, PARSEC_SERVICE_ENDPOINT=svc.sock))
    check("so is PARSEC_SERVICE_ENDPOINT without unix:", r.returncode == 1 and
          "PARSEC_SERVICE_ENDPOINT" in r.stderr, r.stderr)


def psa_headers(dest, env):
    """libparsec-psa's headers where only parsec-psa.pc points, never beside Mbed TLS's."""
    crypto_h = find(dest, "crypto.h")
    check("<psa/crypto.h> installed in include/parsec-psa/psa",
          crypto_h is not None and crypto_h.endswith("/include/parsec-psa/psa/crypto.h"), crypto_h)
    r = run(["pkg-config", "--cflags", "--libs", "parsec-psa"], env=env)
    flags = r.stdout.split()
    check("pkg-config parsec-psa: -I.../include/parsec-psa and -lparsec-psa",
          r.returncode == 0 and "-lparsec-psa" in flags and
          any(f.startswith("-I") and f.endswith("/include/parsec-psa") for f in flags), r.stdout + r.stderr)


def psa_examples(env, dest, svc):
    """A PSA program unchanged: Mbed TLS in-process, libparsec-psa shared and static."""
    libdir = os.path.dirname(find(dest, "libparsec-psa.so.0") or dest)
    run_env = dict(os.environ, PARSEC_SERVICE_ENDPOINT="unix:" + svc.sock, LD_LIBRARY_PATH=libdir)
    extra = os.environ.get("PARSEC_EXAMPLE_CFLAGS", "").split()
    flags = run(["pkg-config", "--cflags", "--libs", "parsec-psa"], env=env).stdout.split()
    static = run(["pkg-config", "--cflags", "--static", "--libs", "parsec-psa"], env=env).stdout.split()
    static = ["-Wl,-Bstatic"] + static + ["-Wl,-Bdynamic"] if SANITIZED else ["-static"] + static
    sources = sorted(glob.glob(os.path.join(eb.TOP, "examples", "psa", "*.c")))
    check("examples/psa/ holds a PSA program", len(sources) > 0, sources)
    for src in sources:
        name = os.path.basename(src)[:-2]
        out = {}
        for kind, libs in (("mbedtls", ["-lmbedcrypto"]), ("shared", flags), ("static", static)):
            exe = os.path.join(dest, "%s-%s" % (name, kind))
            r = run(["cc", "-Wall", "-Wextra", "-Werror", "-o", exe, src] + extra + libs)
            check("examples/psa/%s.c builds against %s, without a warning" %
                  (name, "Debian's Mbed TLS" if kind == "mbedtls" else "libparsec-psa " + kind),
                  r.returncode == 0, r.stderr[-800:])
            r = run([exe], env=run_env)
            check("%s-%s runs" % (name, kind), r.returncode == 0, r.stdout + r.stderr)
            out[kind] = r.stdout
        dyn = needed(os.path.join(dest, name + "-shared"))
        check("the shared %s needs libparsec-psa.so.0, not libmbedcrypto" % name,
              "[libparsec-psa.so.0]" in dyn and "mbedcrypto" not in dyn, dyn)
        check("%s prints the same lines built against Mbed TLS and libparsec-psa (shared, static)" % name,
              out["mbedtls"] != "" and out["mbedtls"] == out["shared"] == out["static"], out)


def manual_pages(dest):
    man3 = os.path.dirname(find(dest, "libparsec.3") or dest)
    names = [line.split("@")[0] for line in open(os.path.join(eb.TOP, "libparsec", "libparsec.abi"))
             if line.startswith("parsec_")]
    # libparsec-psa's functions (its version map) and the static inline ones of its headers.
    names += re.findall(r"^\s*(psa_[a-z0-9_]+);$", open(os.path.join(eb.TOP, "psa", "libparsec-psa.map")).read(), re.M)
    names += re.findall(r"^static inline \w+ (psa_[a-z0-9_]+)\(",
                        open(os.path.join(eb.TOP, "psa", "include", "psa", "crypto_struct.h")).read(), re.M)
    missing = [n for n in names if not os.path.exists(os.path.join(man3, n + ".3"))]
    check("every exported function (%d) has an installed manual page" % len(names), not missing, missing)
    bad = []
    for page in sorted(os.listdir(man3)):
        r = run(["man", "--warnings", "-M", os.path.dirname(man3), "3", page[:-2]],
                env=dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80", MANPAGER="cat", PAGER="cat"))
        if r.returncode != 0 or r.stderr.strip() or len(r.stdout.splitlines()) < 10:
            bad.append((page, r.stderr.strip()[:200]))
    check("man --warnings renders all %d installed section-3 pages cleanly" % len(os.listdir(man3)),
          not bad, bad[:5])


def main():
    dest = tempfile.mkdtemp(prefix="parsecd-destdir.")
    svc = eb.Service()
    svc.start()
    try:
        env = install(dest)
        for header in ("client.h", "psa.h"):
            check("<parsec/%s> installed" % header, find(dest, header) is not None)
        psa_headers(dest, env)
        run_examples(env, dest, svc)
        psa_examples(env, dest, svc)
        manual_pages(dest)
    finally:
        svc.stop()
        svc.remove()
        subprocess.run(["rm", "-rf", dest])
    return summary("e2e_installcheck")


if __name__ == "__main__":
    sys.exit(main())
