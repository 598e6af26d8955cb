# SPDX-License-Identifier: Apache-2.0
# parsecd: the one non-recursive Makefile. On a fresh clone it installs missing
# Debian packages (scripts/deps.sh), runs autoreconf and ./configure, then builds.

.DEFAULT_GOAL := all
SHELL := /bin/bash

include config.mk

# Debian's layout: with prefix /usr the configuration lives in /etc and state in
# /var, also when prefix is given to make install only. An explicit sysconfdir or
# localstatedir (to configure or make) is kept as given.
ifeq ($(value sysconfdir),$${prefix}/etc)
sysconfdir = $(if $(filter /usr,$(prefix)),/etc,$(prefix)/etc)
endif
ifeq ($(value localstatedir),$${prefix}/var)
localstatedir = $(if $(filter /usr,$(prefix)),/var,$(prefix)/var)
endif

# What the objects have compiled in: the version (AC_INIT in configure.ac, the one
# source of truth) and where parsecd finds its helpers. When either changes (a new
# version, or `make install prefix=/usr` after a plain make) the objects are
# rebuilt, so an installed parsecd never looks for its helpers somewhere else.
BUILD_VARS = PACKAGE_VERSION=$(PACKAGE_VERSION) LIBEXECDIR=$(libexecdir)/parsec
.build-vars: FORCE
	@printf '%s\n' '$(BUILD_VARS)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else \
		if [ -f $@ ]; then echo "  note: compiled-in values changed to $(BUILD_VARS); rebuilding"; fi; \
		mv $@.tmp $@; fi
FORCE:

# V=1 shows whole command lines.
ifeq ($(V),1)
Q =
msg = @true
else
Q = @
msg = @printf '  %-6s %s\n'
endif

config.mk: config.mk.in configure
	./configure $(CONFIGURE_FLAGS)

configure: configure.ac
	sh scripts/deps.sh
	autoreconf -fi

WARN_CFLAGS = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-unused-parameter
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -DPB_ENABLE_MALLOC -fPIC -MMD -MP \
	-Icommon -Iproto $(LIBBSD_CFLAGS) $(LIBEVENT_CFLAGS) $(SQLITE_CFLAGS) \
	-DPARSEC_VERSION='"$(PACKAGE_VERSION)"' -DLIBEXECDIR='"$(libexecdir)/parsec"'
ALL_CFLAGS = $(BASE_CFLAGS) $(WARN_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LOCAL_CFLAGS) $(EXTRA_CFLAGS)

# ---- protobuf (nanopb), generated at build time ----------------------------
# Object lists are explicit: a new file joins a binary only when listed here.
PROTO_NAMES = attest_key can_do_crypto delete_client list_authenticators list_clients \
	list_keys list_opcodes list_providers ping prepare_key_attestation psa_aead_decrypt \
	psa_aead_encrypt psa_algorithm psa_asymmetric_decrypt psa_asymmetric_encrypt \
	psa_cipher_decrypt psa_cipher_encrypt psa_destroy_key psa_export_key psa_export_public_key \
	psa_generate_key psa_generate_random psa_hash_compare psa_hash_compute psa_import_key \
	psa_key_attributes psa_mac_compute psa_mac_verify psa_raw_key_agreement psa_sign_hash \
	psa_sign_message psa_verify_hash psa_verify_message
PROTO_NAMES += ext_key_copy # parsecd's own
PROTO_NAMES += ext_mp # parsecd's extensions: multipart operations, key derivation
PROTO_SRCS = $(PROTO_NAMES:%=proto/%.pb.c)
PROTO_HDRS = $(PROTO_NAMES:%=proto/%.pb.h)
PROTO_OBJS = $(PROTO_SRCS:.c=.o)

proto/%.pb.c proto/%.pb.h: proto/%.proto $(wildcard proto/*.options)
	$(msg) PROTO $@
	$(Q)cd proto && $(PROTOC) --plugin=protoc-gen-nanopb=$(PROTOC_GEN_NANOPB) \
		--nanopb_out=. -I. $(notdir $<)

# Generated code is not ours to warn about beyond what nanopb guarantees. A
# generated header includes others (can_do_crypto.pb.h includes
# psa_key_attributes.pb.h), so every object, generated or not, waits for all of
# them; the order-only prerequisite sits in the rules themselves so that no
# object list defined later in this file can miss it.
$(PROTO_OBJS): %.o: %.c .build-vars | $(PROTO_HDRS)
	$(msg) CC $@
	$(Q)$(CC) $(BASE_CFLAGS) -Wall -Werror $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<

# ---- the codec library: generated code + protobuf <-> PSA (proto/psa_codec.h) ----
# Linked by frontd, libparsec, the tests and the fuzzers.
PC_OBJS = proto/pc_attest.o proto/pc_bytes.o proto/pc_names.o proto/pc_psa.o proto/pc_table.o
PC_OBJS += proto/pc_wipe.o # messages released wiped
PC_OBJS += proto/pc_ext_key.o # parsecd's volatile keys and key copy
PC_OBJS += proto/pc_ext.o # parsecd's extension opcodes (ext_mp.proto)
PROTO_LIB = proto/libparsecproto.a

$(PROTO_LIB): $(PROTO_OBJS) $(PC_OBJS)
	$(msg) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# ---- common library ---------------------------------------------------------
COMMON_OBJS = common/buf.o common/utf8.o common/ipc.o common/ipc_msg.o common/log.o common/op.o \
	common/peer.o common/proc.o common/proc_child.o common/sandbox.o common/seccomp.o common/setup.o common/wire.o
COMMON_SRCS = $(COMMON_OBJS:.o=.c)
COMMON_LIB = common/libparseccommon.a
COMMON_OBJS += common/json.o common/jwt.o common/jwt_pb.o # JwtSvid tokens and bundles
COMMON_OBJS += common/wipe.o # buffers that held secrets go back wiped
COMMON_OBJS += common/hoptime.o # per-hop clock stamps, only in the bench-hops tree
COMMON_OBJS += common/der.o # DER RSAPublicKey, read strictly: providers and the PKCS#11 module
COMMON_OBJS += common/key_ref.o # the 4-byte key id reference, read and written alike
COMMON_OBJS += common/authn.o # the Direct and UnixPeerCredentials checks: brokerd and frontd
COMMON_OBJS += common/randfill.o # getrandom to the last byte: frontd's random answers, the ECDSA DRBG's seed

$(COMMON_LIB): $(COMMON_OBJS)
	$(msg) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

%.o: %.c .build-vars | $(PROTO_HDRS)
	$(msg) CC $@
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Every symbol bound at start, the GOT then read-only: a lazily bound first call
# saves the vector registers on the stack, and those may hold a key or a PIN
# that memcpy has just moved (found by tests/e2e_wipe.py).
LDFLAGS += -Wl,-z,relro -Wl,-z,now
# Programs take libbsd's few functions (strlcpy...) from its archive: each of
# the service's processes then maps neither libbsd nor libmd (about 18 KiB of
# PSS per process).
LIBBSD_STATIC = -Wl,-Bstatic $(LIBBSD_LIBS) -Wl,-Bdynamic
# parsec-brokerd takes SQLite from its archive: only brokerd runs SQLite for
# long, so no text is copied twice, and the shared library's relocations and
# dynamic symbol tables, which brokerd's start touched in full, are gone (about
# 160 KiB less of the tree's resident memory). libm stays shared (SQLite's
# math functions).
SQLITE_STATIC = -Wl,-Bstatic $(SQLITE_LIBS) -Wl,-Bdynamic -lm
BASE_LIBS = $(LIBEVENT_LIBS) $(LIBBSD_STATIC) $(NANOPB_LIBS)

# ---- libraries of more than one process -----------------------------------
# The configuration (config.toml and its TOML reader, the -D default, the
# users its roles run as): read by parsecd and again by the adoption helper
# (children get setup messages); tests/check_config, check_jwt and fuzz_config
# link it too.
CONFIG_OBJS = conf/config.o conf/config_dev.o conf/toml.o conf/users.o
CONFIG_LIB = conf/libparsecconf.a
# The key store (Key Info Manager, SQLite): brokerd's, and the adoption helper's.
KIM_OBJS = kim/kim.o kim/kim_adopt.o
KIM_LIB = kim/libkim.a
$(CONFIG_LIB): $(CONFIG_OBJS)
	$(msg) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^
$(KIM_LIB): $(KIM_OBJS)
	$(msg) AR $@
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

# ---- processes --------------------------------------------------------------
# The root parent links neither the key store nor a device library: what reads
# them (adoption, --orphans, what a key store file is) is parsec-adopt, exec'd.
PARSECD_OBJS = parsecd/parsecd.o parsecd/spawn.o parsecd/settings.o parsecd/supervise.o \
	parsecd/reload.o parsecd/dirs.o parsecd/listen.o parsecd/adoption.o \
	parsecd/auth_setup.o parsecd/deploy.o
PARSECD_OBJS += parsecd/secrets.o # the providers' secrets, read again for each worker
ADOPT_OBJS = adopt/adopt_main.o adopt/adopt.o adopt/adopt_bincode.o adopt/adopt_ondisk.o \
	adopt/adopt_snap.o adopt/adopt_tpm.o adopt/orphans.o adopt/adopt_reach.o adopt/adopt_priv.o \
	adopt/adopt_run.o
FRONTD_OBJS = frontd/frontd.o frontd/front_conn.o frontd/front_codec.o frontd/front_list_keys.o \
	frontd/front_local.o frontd/front_out.o
# Each binary's objects by name: a new file joins a binary only when listed here.
BROKERD_OBJS = brokerd/brokerd.o brokerd/broker_auth.o brokerd/broker_core.o brokerd/broker_cost.o \
	brokerd/broker_deploy.o brokerd/broker_fair.o brokerd/broker_jwt.o \
	brokerd/broker_life.o brokerd/broker_quota.o brokerd/broker_route.o brokerd/broker_spiffe.o brokerd/broker_wq.o \
	brokerd/broker_answer.o brokerd/broker_conn.o brokerd/broker_dispatch.o brokerd/broker_out.o \
	brokerd/broker_prov.o brokerd/broker_copy.o
BROKERD_OBJS += brokerd/broker_opstate.o # multipart operations' handles, pinned to their workers
BROKERD_OBJS += brokerd/broker_front.o # what frontd may answer alone, told when it changes
PROVIDERD_CORE_OBJS = providerd/providerd.o providerd/prov_multi.o
PROV_MBED_OBJS = providerd/prov_mbed.o providerd/prov_mbed_fast.o providerd/prov_mbed_its.o \
	common/key_policy.o providerd/mbed_main.o
PROV_MBED_OBJS += providerd/prov_mbed_multi.o # multipart operations and key derivation
PROV_MBED_OBJS += providerd/prov_mbed_aead.o # multipart AEAD on mbedtls's low-level modes
PROV_MBED_OBJS += providerd/prov_mbed_hsusp.o # hash suspend and resume states
PROV_MBED_OBJS += providerd/prov_mbed_ccm.o # CCM as a stream on the block cipher
PROV_MBED_OBJS += providerd/prov_mbed_rsa.o # RSA key pairs kept parsed between requests
# What the device backends share: PSA policy and the DER of RSA public keys.
PROV_DEVICE_OBJS = common/key_policy.o
PROV_PKCS11_OBJS = providerd/prov_pkcs11.o providerd/prov_pkcs11_create.o \
	providerd/prov_pkcs11_keys.o providerd/prov_pkcs11_ops.o providerd/prov_pkcs11_token.o \
	providerd/prov_pkcs11_multi.o providerd/prov_pkcs11_mac.o \
	$(PROV_DEVICE_OBJS) providerd/pkcs11_main.o
PROV_TPM_OBJS = providerd/prov_tpm.o providerd/prov_tpm_attest.o providerd/prov_tpm_cache.o \
	providerd/prov_tpm_key.o providerd/prov_tpm_ops.o providerd/prov_tpm_upstream.o \
	providerd/prov_tpm_multi.o \
	$(PROV_DEVICE_OBJS) providerd/tpm_main.o
$(PROV_PKCS11_OBJS): LOCAL_CFLAGS += $(P11KIT_CFLAGS)
$(PROV_TPM_OBJS): LOCAL_CFLAGS += $(TSS2_CFLAGS)

# ---- libparsec: shared (versioned soname, only parsec_* exported) and static ---
# The library file's ABI version (soname libparsec.so.0), which moves with its interface,
# not with releases; libparsec.pc carries the package version, PACKAGE_VERSION.
# Debian's nanopb is a static library only: both forms carry it with its names
# made local, so an application's own nanopb never meets ours (README, Packages).
LIBPARSEC_VERSION = 0.2.0
LIBPARSEC_SONAME = libparsec.so.0
LIBPARSEC_OBJS = libparsec/client.o libparsec/convenience.o libparsec/ops.o libparsec/settings.o \
	libparsec/ext_mp.o libparsec/ext_key.o \
	libparsec/status.o
LIBPARSEC_DEPS = $(LIBPARSEC_OBJS) common/wire.o common/buf.o common/utf8.o common/wipe.o \
	$(PC_OBJS) $(PROTO_OBJS)
$(LIBPARSEC_OBJS): LOCAL_CFLAGS += -Ilibparsec -pthread
LIBPARSEC_OBJS += libparsec/jwt_svid.o # a JWT-SVID from the environment
libparsec/jwt_svid.o: LOCAL_CFLAGS += -Ilibparsec
libparsec/libparsec.so.$(LIBPARSEC_VERSION): $(LIBPARSEC_DEPS) libparsec/libparsec.map
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,-soname,$(LIBPARSEC_SONAME) \
		-Wl,--version-script,libparsec/libparsec.map -o $@ $(LIBPARSEC_DEPS) \
		-Wl,--whole-archive $(NANOPB_A) -Wl,--no-whole-archive -pthread
	$(Q)ln -sf libparsec.so.$(LIBPARSEC_VERSION) libparsec/$(LIBPARSEC_SONAME)
	$(Q)ln -sf libparsec.so.$(LIBPARSEC_VERSION) libparsec/libparsec.so
# The static library: one relocatable object in which only the version map's
# names stay global.
libparsec/libparsec.a: $(LIBPARSEC_DEPS) libparsec/libparsec.map
	$(msg) AR $@
	$(Q)sed -n 's/^[[:space:]]*\(parsec_[a-z0-9_]*\);$$/\1/p' libparsec/libparsec.map \
		> libparsec/libparsec.keep
	$(Q)$(CC) -r -nostdlib -o libparsec/libparsec-all.o $(LIBPARSEC_DEPS) \
		-Wl,--whole-archive $(NANOPB_A) -Wl,--no-whole-archive
	$(Q)objcopy --keep-global-symbols=libparsec/libparsec.keep libparsec/libparsec-all.o
	$(Q)rm -f $@ && ar rcs $@ libparsec/libparsec-all.o
NANOPB_A = $(shell $(CC) -print-file-name=libprotobuf-nanopb.a)
LIBPARSEC = libparsec/libparsec.so.$(LIBPARSEC_VERSION) libparsec/libparsec.a

# ---- libparsec-psa: the PSA Cryptography API over parsecd (shared and static) ----
# Built from psa/*.c as they appear (none yet: nothing to build, nothing in all).
# Like libparsec: libparsec's objects, libparsecproto's and nanopb inside, only the
# version map's psa_* functions exported; its headers are psa/include/psa/*.h.
LIBPARSEC_PSA_VERSION = 0.1.0
LIBPARSEC_PSA_SONAME = libparsec-psa.so.0
LIBPARSEC_PSA_OBJS = $(patsubst %.c,%.o,$(wildcard psa/*.c))
LIBPARSEC_PSA_HEADERS = $(wildcard psa/include/psa/*.h)
$(LIBPARSEC_PSA_OBJS): LOCAL_CFLAGS += -Ipsa/include -Ilibparsec -pthread
# The key policy rules the device providers apply: the library judges with them
# which error Mbed TLS would give first when the service cannot do an operation.
LIBPARSEC_PSA_OBJS += common/key_policy.o
psa/libparsec-psa.so.$(LIBPARSEC_PSA_VERSION): $(LIBPARSEC_PSA_OBJS) $(LIBPARSEC_DEPS) \
		psa/libparsec-psa.map
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,-soname,$(LIBPARSEC_PSA_SONAME) \
		-Wl,--version-script,psa/libparsec-psa.map -o $@ $(LIBPARSEC_PSA_OBJS) \
		$(LIBPARSEC_DEPS) -Wl,--whole-archive $(NANOPB_A) -Wl,--no-whole-archive -pthread
	$(Q)ln -sf libparsec-psa.so.$(LIBPARSEC_PSA_VERSION) psa/$(LIBPARSEC_PSA_SONAME)
	$(Q)ln -sf libparsec-psa.so.$(LIBPARSEC_PSA_VERSION) psa/libparsec-psa.so
# One relocatable object in which only the version map's names stay global.
psa/libparsec-psa.a: $(LIBPARSEC_PSA_OBJS) $(LIBPARSEC_DEPS) psa/libparsec-psa.map
	$(msg) AR $@
	$(Q)sed -n 's/^[[:space:]]*\(psa_[a-z0-9_]*\);$$/\1/p' psa/libparsec-psa.map \
		> psa/libparsec-psa.keep
	$(Q)$(CC) -r -nostdlib -o psa/libparsec-psa-all.o $(LIBPARSEC_PSA_OBJS) $(LIBPARSEC_DEPS) \
		-Wl,--whole-archive $(NANOPB_A) -Wl,--no-whole-archive
	$(Q)objcopy --keep-global-symbols=psa/libparsec-psa.keep psa/libparsec-psa-all.o
	$(Q)rm -f $@ && ar rcs $@ psa/libparsec-psa-all.o
LIBPARSEC_PSA = $(if $(LIBPARSEC_PSA_OBJS),psa/libparsec-psa.so.$(LIBPARSEC_PSA_VERSION) \
	psa/libparsec-psa.a)

# ---- libparsec-pkcs11.so: the PKCS#11 module over libparsec ------------------
# A module, not a library to link against: no soname version, only C_* exported
# (pkcs11/libparsec-pkcs11.map); libparsec.a goes inside it.
P11_OBJS = pkcs11/p11_main.o pkcs11/p11_slot.o pkcs11/p11_object.o pkcs11/p11_attr.o \
	pkcs11/p11_keygen.o pkcs11/p11_sign.o pkcs11/p11_crypt.o pkcs11/p11_mech.o \
	pkcs11/p11_der.o pkcs11/p11_digest.o pkcs11/p11_funcs.o
$(P11_OBJS): LOCAL_CFLAGS += -Ilibparsec $(P11KIT_CFLAGS) -pthread
P11_MODULE = pkcs11/libparsec-pkcs11.so
$(P11_MODULE): $(P11_OBJS) common/der.o libparsec/libparsec.a pkcs11/libparsec-pkcs11.map
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,--no-undefined -Wl,-soname,libparsec-pkcs11.so \
		-Wl,--version-script,pkcs11/libparsec-pkcs11.map -o $@ $(P11_OBJS) common/der.o \
		libparsec/libparsec.a $(MBEDCRYPTO_LIBS) -pthread

PROGRAMS = parsecd/parsecd frontd/parsec-frontd brokerd/parsec-brokerd adopt/parsec-adopt \
	providerd/parsec-provider-mbed providerd/parsec-provider-pkcs11 \
	providerd/parsec-provider-tpm tool/parsec-tool

# The root parent links only what it uses (no sandbox, no seccomp: its children's).
parsecd/parsecd: $(PARSECD_OBJS) $(CONFIG_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -Wl,--as-needed -o $@ $^ $(BASE_LIBS)
adopt/parsec-adopt: $(ADOPT_OBJS) $(KIM_LIB) $(CONFIG_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(SQLITE_LIBS) $(P11KIT_LIBS)
frontd/parsec-frontd: $(FRONTD_OBJS) $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS)
brokerd/parsec-brokerd: $(BROKERD_OBJS) $(KIM_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(SQLITE_STATIC) $(MBEDCRYPTO_LIBS)
providerd/parsec-provider-mbed: $(PROVIDERD_CORE_OBJS) $(PROV_MBED_OBJS) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(MBEDCRYPTO_LIBS)
providerd/parsec-provider-pkcs11: $(PROVIDERD_CORE_OBJS) $(PROV_PKCS11_OBJS) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(P11KIT_LIBS) $(MBEDCRYPTO_LIBS)
providerd/parsec-provider-tpm: $(PROVIDERD_CORE_OBJS) $(PROV_TPM_OBJS) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(TSS2_LIBS) $(MBEDCRYPTO_LIBS)

TOOL_OBJS = tool/main.o tool/cli.o tool/cli_table.o tool/help.o tool/log.o tool/names.o \
	tool/psa.o tool/encode.o tool/core.o tool/keys.o tool/crypto.o tool/csr.o
$(TOOL_OBJS): LOCAL_CFLAGS += -Ilibparsec
$(TOOL_OBJS): tool/tool.h
tool/parsec-tool: $(TOOL_OBJS) libparsec/libparsec.a $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(NANOPB_LIBS) -lmbedx509 $(MBEDCRYPTO_LIBS) -pthread

all: $(PROGRAMS) $(LIBPARSEC) $(LIBPARSEC_PSA) $(P11_MODULE)

# ---- tests ------------------------------------------------------------------
TEST_SRCS = $(wildcard tests/check_*.c)
TEST_PROGS = $(TEST_SRCS:.c=)
TEST_OBJS = $(TEST_SRCS:.c=.o) tests/testlib.o

tests/check_%: tests/check_%.o tests/testlib.o $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS)

# A tree of every process compiled with one more define, so that a parsecd
# started from there runs these children and never the real ones:
# $(call tree_rules,FOLDER,DEFINE,EXTRA BROKERD OBJECTS).
tree_objs = $(patsubst %.o,$(1)/obj/%.o,$(2))
define tree_rules
$(1)/obj/%.o: %.c .build-vars | $$(PROTO_HDRS)
	$$(msg) CC $$@
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(ALL_CFLAGS) -D$(2) -I$$(dir $$<) -c -o $$@ $$<
$(1)/parsecd/parsecd: $$(call tree_objs,$(1),$$(PARSECD_OBJS) $$(CONFIG_OBJS) $$(COMMON_OBJS)) $$(PROTO_LIB)
	$$(msg) LINK $$@
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(BASE_LIBS)
$(1)/adopt/parsec-adopt: $$(call tree_objs,$(1),$$(ADOPT_OBJS) $$(KIM_OBJS) $$(CONFIG_OBJS) $$(COMMON_OBJS)) $$(PROTO_LIB)
	$$(msg) LINK $$@
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(BASE_LIBS) $$(SQLITE_LIBS) $$(P11KIT_LIBS)
$(1)/frontd/parsec-frontd: $$(call tree_objs,$(1),$$(FRONTD_OBJS) $$(COMMON_OBJS)) $$(PROTO_LIB)
	$$(msg) LINK $$@
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(BASE_LIBS)
$(1)/brokerd/parsec-brokerd: $$(call tree_objs,$(1),$$(BROKERD_OBJS) $$(KIM_OBJS) $$(COMMON_OBJS)) $(3) $$(PROTO_LIB)
	$$(msg) LINK $$@
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(BASE_LIBS) $$(SQLITE_STATIC) $$(MBEDCRYPTO_LIBS)
$(1)/providerd/parsec-provider-mbed: $$(call tree_objs,$(1),$$(PROVIDERD_CORE_OBJS) $$(PROV_MBED_OBJS) $$(COMMON_OBJS)) $$(PROTO_LIB)
	$$(msg) LINK $$@
	$$(Q)mkdir -p $$(dir $$@)
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(BASE_LIBS) $$(MBEDCRYPTO_LIBS)
$(1)/obj/parsecd/%.o $(1)/obj/adopt/%.o: LOCAL_CFLAGS += -Iconf
$(1)/obj/brokerd/%.o $(1)/obj/kim/%.o $(1)/obj/adopt/%.o: LOCAL_CFLAGS += -Ikim
$(1)/obj/adopt/%.o: LOCAL_CFLAGS += $$(P11KIT_CFLAGS)
endef
tree_progs = $(1)/parsecd/parsecd $(1)/frontd/parsec-frontd $(1)/brokerd/parsec-brokerd \
	$(1)/providerd/parsec-provider-mbed $(1)/adopt/parsec-adopt

# The test build: PARSEC_TEST_HOOKS (brokerd's crash points, the
# forbidden-syscall trigger).
FAULT_TREE = tests/faults
$(eval $(call tree_rules,$(FAULT_TREE),PARSEC_TEST_HOOKS,tests/broker_fault.o))
fault-tree: $(call tree_progs,$(FAULT_TREE))

# The bench-hops build (bench/HOPS.md): hoptime.h's clock stamps compiled in.
HOP_TREE = bench/hops
$(eval $(call tree_rules,$(HOP_TREE),PARSEC_HOPTIME,))

# Who sees the configuration's and the key store's headers (in the trees above: tree_rules).
$(PARSECD_OBJS): LOCAL_CFLAGS += -Iconf
$(BROKERD_OBJS): LOCAL_CFLAGS += -Ikim
$(KIM_OBJS): LOCAL_CFLAGS += -Ikim
$(ADOPT_OBJS): LOCAL_CFLAGS += -Iconf -Ikim $(P11KIT_CFLAGS)

# The config loader, tested in-process.
tests/check_config: tests/check_config.o tests/testlib.o $(CONFIG_LIB) $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS)
tests/check_config.o: LOCAL_CFLAGS += -Iconf

# Tokens, bundles and the [[authenticator]] tables that configure them.
tests/check_jwt: tests/check_jwt.o tests/testlib.o $(CONFIG_LIB) $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(MBEDCRYPTO_LIBS) $(CHECK_LIBS)
tests/check_jwt.o: LOCAL_CFLAGS += -Iconf

# frontd's codec, tested in-process.
FRONT_LIB_OBJS = $(filter-out frontd/frontd.o,$(FRONTD_OBJS))
tests/check_front: tests/check_front.o tests/testlib.o $(FRONT_LIB_OBJS) $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS)

# libparsec against a fake service.
tests/check_libparsec: tests/check_libparsec.o tests/testlib.o libparsec/libparsec.a $(PROTO_LIB) \
		$(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS) -pthread
tests/check_libparsec.o: LOCAL_CFLAGS += -Ilibparsec

# libparsec on upstream Parsec's recorded answers (tests/fixtures/upstream-1.1.0).
tests/check_upstream: tests/check_upstream.o tests/testlib.o libparsec/libparsec.a $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS) $(MBEDCRYPTO_LIBS) -pthread
tests/check_upstream.o: LOCAL_CFLAGS += -Ilibparsec

# The PKCS#11 conformance suite: loads a module by path (dlopen), as applications do.
tests/check_pkcs11: tests/check_pkcs11.o tests/testlib.o $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS) $(MBEDCRYPTO_LIBS) -ldl -pthread
tests/check_pkcs11.o: LOCAL_CFLAGS += $(P11KIT_CFLAGS)

# libparsec-psa as a PSA program links it, against a parsecd the suite starts.
tests/check_psa: tests/check_psa.o tests/testlib.o psa/libparsec-psa.a $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS) -pthread
tests/check_psa.o: LOCAL_CFLAGS += -Ipsa/include

# An application whose memory tests/e2e_wipe.py reads after its calls.
tests/wipe_client: tests/wipe_client.o libparsec/libparsec.a
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -pthread
tests/wipe_client.o: LOCAL_CFLAGS += -Ilibparsec
# libparsec's extension calls against a real service, for tests/e2e_ext_mp.py: they are
# internal (local in libparsec.a), so it links the library's objects.
tests/ext_mp_client: tests/ext_mp_client.o $(LIBPARSEC_DEPS)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(NANOPB_A) -pthread
tests/ext_mp_client.o: LOCAL_CFLAGS += -Ilibparsec
# A program making libparsec's key extension calls for tests/e2e_ext_key.py:
# libparsec's objects, as libparsec.a keeps only the exported names global.
tests/ext_key_client: tests/ext_key_client.o $(LIBPARSEC_DEPS)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(NANOPB_A) -pthread
tests/ext_key_client.o: LOCAL_CFLAGS += -Ilibparsec

# brokerd's routing, fairness and key life cycle in-process: its objects with
# the output layer (broker_out.o) replaced by a stub that records what it is given.
BROKER_LIB_OBJS = $(filter-out brokerd/brokerd.o brokerd/broker_out.o,$(BROKERD_OBJS))
tests/check_broker: tests/check_broker.o tests/broker_out_stub.o tests/testlib.o \
		$(BROKER_LIB_OBJS) $(KIM_LIB) $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(SQLITE_LIBS) $(MBEDCRYPTO_LIBS) $(CHECK_LIBS)
tests/check_broker.o tests/broker_out_stub.o: LOCAL_CFLAGS += $(CHECK_CFLAGS) -Ibrokerd -Ikim

# The device backends' shared code, tested in-process.
tests/check_device: tests/check_device.o tests/testlib.o $(PROV_DEVICE_OBJS) $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS)
tests/check_device.o: LOCAL_CFLAGS += -Iproviderd

# What brokerd's fair share charges, from the figures a provider reports.
tests/check_cost: tests/check_cost.o tests/testlib.o brokerd/broker_cost.o $(PROTO_LIB) \
	$(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS)
tests/check_cost.o: LOCAL_CFLAGS += -Ibrokerd

# The software provider's CCM stream and hash suspend states, against mbedtls's own.
tests/check_mbed_stream: tests/check_mbed_stream.o tests/testlib.o providerd/prov_mbed_ccm.o \
		providerd/prov_mbed_hsusp.o $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(MBEDCRYPTO_LIBS) $(CHECK_LIBS)
tests/check_mbed_stream.o: LOCAL_CFLAGS += -Iproviderd

$(TEST_OBJS): LOCAL_CFLAGS += $(CHECK_CFLAGS) -DBUILD_TOP='"$(CURDIR)"'
# frontd's own unit test, the one place outside frontd that sees its headers.
tests/check_front.o: LOCAL_CFLAGS += -Ifrontd

.PHONY: all deps check check-asan check-long check-fresh run bench fuzz fuzz-long fault-tree \
	install uninstall dist distcheck clean distclean FORCE

deps:
	@sh scripts/deps.sh

# Python protobuf modules for the end-to-end scripts in tests/.
PY_PB = $(PROTO_NAMES:%=tests/pb/%_pb2.py)
tests/pb/%_pb2.py: proto/%.proto
	$(msg) PROTO $@
	$(Q)mkdir -p tests/pb && $(PROTOC) --python_out=tests/pb -Iproto $<

check: deps all $(TEST_PROGS) tests/wipe_client tests/ext_mp_client tests/ext_key_client fuzz \
	$(PY_PB) fault-tree
	@FUZZ_PROGS="$(FUZZ_PROGS)" bash tests/run-tests.sh $(TEST_PROGS)

# ---- make installcheck: make install into a DESTDIR, every example built against
# it through pkg-config (shared and static) and run against a parsecd; also in make check.
.PHONY: installcheck
installcheck: deps all $(PY_PB)
	/usr/bin/python3 tests/e2e_installcheck.py $(CURDIR)

# ---- make check-long: the load test at full length (a minute of signing), the
# starvation tests (generations, a flood of signatures) against PKCS#11 (SoftHSMv2)
# as well as Mbed Crypto, and the PKCS#11 conformance suite against SoftHSMv2 and
# through parsecd's device providers ----
check-long: deps all $(PY_PB) fault-tree check-p11-softhsm check-p11-devices
	PARSEC_LONG=1 /usr/bin/python3 tests/e2e_load.py $(CURDIR)
	PARSEC_LONG=1 /usr/bin/python3 tests/e2e_starve.py $(CURDIR)

# ---- make check-p11-softhsm: the PKCS#11 conformance suite against SoftHSMv2's
# module, which shows that what the suite expects is what PKCS#11 says (make check
# runs it against parsecd's module) ----
.PHONY: check-p11-softhsm check-p11-devices
check-p11-softhsm: deps tests/check_pkcs11
	bash tests/p11_softhsm.sh $(CURDIR)

# ---- make check-p11-devices: the same suite through parsecd's module on its PKCS#11
# (SoftHSMv2) and TPM (swtpm) providers ----
check-p11-devices: deps all tests/check_pkcs11
	/usr/bin/python3 tests/p11_devices.py $(CURDIR)

# ---- make check-repeat N=20: the end-to-end suites N times over (default 10) ----
# Names every suite that failed even once (REPEAT=20 works too); make check is
# unchanged. The Check programs listed start a real parsecd.
E2E_CHECK_PROGS = tests/check_core tests/check_keys
.PHONY: check-repeat
check-repeat: deps all $(E2E_CHECK_PROGS) tests/wipe_client tests/ext_mp_client \
	tests/ext_key_client $(PY_PB) fault-tree
	@bash tests/repeat.sh $(or $(N),$(REPEAT),10) $(E2E_CHECK_PROGS)

# ---- make check-asan: the whole suite on an ASan + UBSan build ------------------
# The build tree is rebuilt with the sanitizers, tested, then cleaned, so the
# next plain make starts afresh.
SAN_FLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
check-asan: deps
	$(MAKE) clean
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		PARSEC_SANITIZED=1 PARSEC_EXAMPLE_CFLAGS="$(SAN_FLAGS)" $(MAKE) EXTRA_CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(LDFLAGS) $(SAN_FLAGS)" check
	$(MAKE) clean

# ---- make bench: ratios measured in one run -------------------------------------
bench/parsec-bench: bench/bench.o bench/bench_tpm.o bench/bench_p11.o bench/bench_psa.o \
		tests/testlib.o psa/libparsec-psa.a libparsec/libparsec.a $(PROTO_LIB) $(COMMON_LIB) \
		| $(P11_MODULE)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(MBEDCRYPTO_LIBS) $(TSS2_LIBS) $(CHECK_LIBS) -pthread

bench/bench.o bench/bench_tpm.o bench/bench_p11.o bench/bench_psa.o: LOCAL_CFLAGS += \
	-DBUILD_TOP='"$(CURDIR)"' -pthread -Itests
bench/bench_tpm.o: LOCAL_CFLAGS += $(TSS2_CFLAGS)
bench/bench_p11.o: LOCAL_CFLAGS += -Ilibparsec $(P11KIT_CFLAGS)
bench/bench_psa.o: LOCAL_CFLAGS += -Ilibparsec -Ipsa/include

# make bench: parsec-bench's figures, then make bench-scale's (after, not beside
# them: two benchmarks at once on two cores would measure each other).
bench: deps all bench/parsec-bench
	./bench/parsec-bench
	$(MAKE) bench-scale

# make bench-scale: one key store grown to BENCH_SCALE_KEYS keys (default
# 1,000,000) over BENCH_SCALE_APPS applications (10,000): create rate, start
# to ready, listings, memory, size on disk, a crash mid-creation, 1,000
# connections from 100 users. Long: a million synced creations.
bench/parsec-bench-scale: bench/scale.o tests/testlib.o $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS) -pthread

bench/scale.o: LOCAL_CFLAGS += -DBUILD_TOP='"$(CURDIR)"' -pthread -Itests

.PHONY: bench-scale
bench-scale: deps all bench/parsec-bench-scale $(PY_PB)
	/usr/bin/python3 bench/scale.py $(CURDIR)

# make bench-cost: the figures behind the backends' cost columns (providerd/prov_*.c).
.PHONY: bench-cost
bench-cost: deps all $(PY_PB)
	/usr/bin/python3 bench/cost.py $(CURDIR)

# make bench-matrix: ops/s and p50 per operation, client count and connection
# style, beside a raw echo round trip (and upstream, given PARSEC_UPSTREAM_BIN).
bench/parsec-bench-matrix: bench/matrix.o tests/testlib.o $(PROTO_LIB) $(COMMON_LIB)
	$(msg) LINK $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(BASE_LIBS) $(CHECK_LIBS) -pthread

bench/matrix.o: LOCAL_CFLAGS += -DBUILD_TOP='"$(CURDIR)"' -pthread -Itests

# It also writes bench/matrix.png (ops/s by clients, drawn with gnuplot, which
# only this target installs) and measures memory: PSS per process, and growth
# over a million Pings.
.PHONY: bench-matrix
bench-matrix: deps all bench/parsec-bench-matrix $(PY_PB)
	@sh scripts/deps.sh --bench
	/usr/bin/python3 bench/matrix.py $(CURDIR)

# make bench-hops: where a request's time goes, hop by hop (bench/HOPS.md).
.PHONY: bench-hops
bench-hops: deps all bench/parsec-bench-matrix $(call tree_progs,$(HOP_TREE)) $(PY_PB)
	/usr/bin/python3 bench/hops.py $(CURDIR)

# ---- make check-package: the .debs built, installed with apt in a fresh Debian 12
# root and used there (tests/check-package.sh; needs root and Debian's archive) ----
.PHONY: check-package
check-package:
	bash tests/check-package.sh

# ---- make check-fresh: a minimal Debian 12 root runs make run and make -j2 check ---
check-fresh:
	bash scripts/check-fresh.sh $(CURDIR)

# ---- make dist: the committed tree as parsecd-<version>.tar.gz --------------------
# Exactly the files git tracks at HEAD (no configure: the Makefile makes it on first
# use, as in a clone). make distcheck unpacks it elsewhere and runs DISTCHECK_TARGET
# (default check) there, from the tarball alone.
DIST_NAME = parsecd-$(PACKAGE_VERSION)
DISTCHECK_TARGET ?= check
dist:
	@git rev-parse --verify -q HEAD >/dev/null || { echo "dist: needs a git checkout" >&2; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=no)" || \
		echo "dist: note: uncommitted changes are left out; the tarball is HEAD" >&2
	@test "$$(git show HEAD:configure.ac | sed -n 's/^AC_INIT(\[parsecd\], \[\([^]]*\)\].*/\1/p')" = \
		"$(PACKAGE_VERSION)" || { echo "dist: HEAD's configure.ac is not version $(PACKAGE_VERSION); commit it" >&2; exit 1; }
	git archive --format=tar --prefix=$(DIST_NAME)/ HEAD | gzip -9n > $(DIST_NAME).tar.gz.tmp
	@mv $(DIST_NAME).tar.gz.tmp $(DIST_NAME).tar.gz
	@echo "dist: $(DIST_NAME).tar.gz ($$(tar -tzf $(DIST_NAME).tar.gz | grep -vc '/$$') files)"

distcheck: dist
	@d=$$(mktemp -d /var/tmp/parsecd-distcheck.XXXXXX) && chmod 755 $$d && \
	tar -xzf $(DIST_NAME).tar.gz -C $$d && \
	echo "distcheck: make $(DISTCHECK_TARGET) in $$d/$(DIST_NAME)" && \
	if $(MAKE) -C $$d/$(DIST_NAME) $(DISTCHECK_TARGET); then \
		rm -rf $$d; echo "distcheck: $(DIST_NAME).tar.gz passes make $(DISTCHECK_TARGET)"; \
	else echo "distcheck: FAILED in $$d/$(DIST_NAME)" >&2; exit 1; fi

# ---- make run: the service in the foreground on an embedded default ----------
# Its directory is ./run, or where the service's users reach it (scripts/run-dir.sh).
run: deps all
	@dir=$$(sh scripts/run-dir.sh $(CURDIR)) && echo "./parsecd/parsecd -D $$dir" && \
		exec ./parsecd/parsecd -D "$$dir"

# ---- fuzzing (clang libFuzzer) ------------------------------------------------
FUZZ_SRCS = $(wildcard fuzz/fuzz_*.c)
FUZZ_PROGS = $(FUZZ_SRCS:.c=)
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-std=c11 -D_GNU_SOURCE -DPB_ENABLE_MALLOC -Icommon -Iproto $(LIBBSD_CFLAGS) \
	$(LIBEVENT_CFLAGS) -DPARSEC_VERSION='"$(PACKAGE_VERSION)"' -DLIBEXECDIR='"$(libexecdir)/parsec"'
FUZZ_LIB_SRCS = $(COMMON_SRCS) $(PROTO_SRCS) $(PC_OBJS:.o=.c)

fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_SRCS) .build-vars | $(PROTO_HDRS)
	$(msg) FUZZ $@
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -Iproviderd $(FUZZ_EXTRA) -o $@ $< $(FUZZ_LIB_SRCS) $(BASE_LIBS)

# The config loader is parsecd's and the adoption helper's: only its fuzzer compiles it in.
fuzz/fuzz_config: FUZZ_EXTRA = -Iconf $(CONFIG_OBJS:.o=.c)
fuzz/fuzz_config: $(CONFIG_OBJS:.o=.c)

fuzz: $(FUZZ_PROGS)

# Hours of fuzzing: FUZZ_SECONDS per target (default one hour each).
FUZZ_SECONDS ?= 3600
fuzz-long: fuzz
	@for f in $(FUZZ_PROGS); do \
		c=fuzz/corpus/$${f#fuzz/fuzz_}; mkdir -p fuzz/work/$${f#fuzz/fuzz_}; \
		echo "== $$f for $(FUZZ_SECONDS) s"; \
		./$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz/ \
			fuzz/work/$${f#fuzz/fuzz_} $$c || exit 1; \
	done

# ---- install ------------------------------------------------------------------
# libparsec's and libparsec-psa's pages: libparsec(3), libparsec-psa(3) and one per
# function family, whose NAME lines list the functions; man_links runs
# "$(1) <page of that name>" for each of them.
LIBPARSEC_MAN = $(wildcard man/*.3)
# Where p11-kit looks up a module file's bare module name.
P11_MODULE_DIR = $(shell $(PKG_CONFIG) --variable=p11_module_path p11-kit-1)
man_links = for page in $(LIBPARSEC_MAN); do base=$$(basename $$page .3); \
	for fn in $$(sed -n 's/^\.Nm \([a-z0-9_]*\).*/\1/p' $$page); do \
		[ $$fn = $$base ] || $(1) $(DESTDIR)$(mandir)/man3/$$fn.3; done; done

install: all
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(libexecdir)/parsec \
		$(DESTDIR)$(sysconfdir)/parsec
	$(INSTALL) -m 0755 parsecd/parsecd $(DESTDIR)$(sbindir)/parsecd
	$(INSTALL) -d $(DESTDIR)$(bindir)
	$(INSTALL) -m 0755 tool/parsec-tool $(DESTDIR)$(bindir)/parsec-tool
	$(INSTALL) -m 0755 frontd/parsec-frontd brokerd/parsec-brokerd adopt/parsec-adopt \
		providerd/parsec-provider-mbed providerd/parsec-provider-pkcs11 \
		providerd/parsec-provider-tpm $(DESTDIR)$(libexecdir)/parsec/
	$(INSTALL) -m 0644 etc/config.toml $(DESTDIR)$(sysconfdir)/parsec/config.toml.example
	@# A working default (software provider, Unix peer credentials); 0600 because an
	@# admin's edits may add PINs. An existing config.toml is the admin's: never replaced.
	@if [ -e $(DESTDIR)$(sysconfdir)/parsec/config.toml ]; then \
		echo "install: keeping the existing $(DESTDIR)$(sysconfdir)/parsec/config.toml"; \
	else \
		echo "$(INSTALL) -m 0600 etc/config.toml $(DESTDIR)$(sysconfdir)/parsec/config.toml"; \
		$(INSTALL) -m 0600 etc/config.toml $(DESTDIR)$(sysconfdir)/parsec/config.toml; \
	fi
	$(INSTALL) -d $(DESTDIR)$(libdir)/pkgconfig $(DESTDIR)$(includedir)/parsec
	$(INSTALL) -m 0644 libparsec/parsec/client.h libparsec/parsec/psa.h $(DESTDIR)$(includedir)/parsec/
	$(INSTALL) -d $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man3 $(DESTDIR)$(mandir)/man5 \
		$(DESTDIR)$(mandir)/man8
	$(INSTALL) -m 0644 man/parsec-tool.1 $(DESTDIR)$(mandir)/man1/
	$(INSTALL) -m 0644 $(LIBPARSEC_MAN) $(DESTDIR)$(mandir)/man3/
	@# A .so link for each further function a page names.
	@$(call man_links,echo ".so man3/$$base.3" >)
	$(INSTALL) -m 0644 man/parsec.toml.5 $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 0644 man/parsecd.8 $(DESTDIR)$(mandir)/man8/
	@# The PKCS#11 module's page and its p11-kit registration: a bare module name
	@# when it is installed in p11-kit's module directory, else its full path.
	$(INSTALL) -d $(DESTDIR)$(mandir)/man7 $(DESTDIR)$(datarootdir)/p11-kit/modules
	$(INSTALL) -m 0644 man/libparsec-pkcs11.7 $(DESTDIR)$(mandir)/man7/
	if [ "$(libdir)/pkcs11" = "$(P11_MODULE_DIR)" ]; then m=libparsec-pkcs11.so; \
	else m=$(libdir)/pkcs11/libparsec-pkcs11.so; fi; \
	sed "s|^module: .*|module: $$m|" etc/p11-kit/parsec.module \
		> $(DESTDIR)$(datarootdir)/p11-kit/modules/parsec.module
	$(INSTALL) -m 0755 libparsec/libparsec.so.$(LIBPARSEC_VERSION) $(DESTDIR)$(libdir)/
	ln -sf libparsec.so.$(LIBPARSEC_VERSION) $(DESTDIR)$(libdir)/$(LIBPARSEC_SONAME)
	ln -sf libparsec.so.$(LIBPARSEC_VERSION) $(DESTDIR)$(libdir)/libparsec.so
	$(INSTALL) -m 0644 libparsec/libparsec.a $(DESTDIR)$(libdir)/
	$(INSTALL) -d $(DESTDIR)$(libdir)/pkcs11
	$(INSTALL) -m 0644 $(P11_MODULE) $(DESTDIR)$(libdir)/pkcs11/libparsec-pkcs11.so
	@# libparsec-psa: its headers where only its pkg-config file points (never
	@# beside Mbed TLS's psa/), the libraries once built, parsec-psa.pc.
	$(INSTALL) -d $(DESTDIR)$(includedir)/parsec-psa/psa
	$(INSTALL) -m 0644 $(LIBPARSEC_PSA_HEADERS) $(DESTDIR)$(includedir)/parsec-psa/psa/
ifneq ($(LIBPARSEC_PSA),)
	$(INSTALL) -m 0755 psa/libparsec-psa.so.$(LIBPARSEC_PSA_VERSION) $(DESTDIR)$(libdir)/
	ln -sf libparsec-psa.so.$(LIBPARSEC_PSA_VERSION) $(DESTDIR)$(libdir)/$(LIBPARSEC_PSA_SONAME)
	ln -sf libparsec-psa.so.$(LIBPARSEC_PSA_VERSION) $(DESTDIR)$(libdir)/libparsec-psa.so
	$(INSTALL) -m 0644 psa/libparsec-psa.a $(DESTDIR)$(libdir)/
	sed -e 's|@prefix@|$(prefix)|' -e 's|@libdir@|$(libdir)|' -e 's|@includedir@|$(includedir)|' \
		-e 's|@version@|$(PACKAGE_VERSION)|' psa/parsec-psa.pc.in \
		> $(DESTDIR)$(libdir)/pkgconfig/parsec-psa.pc
endif
	sed -e 's|@prefix@|$(prefix)|' -e 's|@libdir@|$(libdir)|' -e 's|@includedir@|$(includedir)|' \
		-e 's|@version@|$(PACKAGE_VERSION)|' libparsec/libparsec.pc.in \
		> $(DESTDIR)$(libdir)/pkgconfig/libparsec.pc
	$(INSTALL) -d $(DESTDIR)$(prefix)/lib/systemd/system $(DESTDIR)$(prefix)/lib/tmpfiles.d \
		$(DESTDIR)$(prefix)/lib/sysusers.d
	sed -e 's|@SBINDIR@|$(sbindir)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' etc/parsecd.service \
		> $(DESTDIR)$(prefix)/lib/systemd/system/parsecd.service
	$(INSTALL) -m 0644 etc/parsecd.socket $(DESTDIR)$(prefix)/lib/systemd/system/parsecd.socket
	$(INSTALL) -m 0644 etc/parsecd.tmpfiles $(DESTDIR)$(prefix)/lib/tmpfiles.d/parsecd.conf
	$(INSTALL) -m 0644 etc/parsecd.sysusers $(DESTDIR)$(prefix)/lib/sysusers.d/parsecd.conf

uninstall:
	rm -f $(DESTDIR)$(sbindir)/parsecd $(DESTDIR)$(bindir)/parsec-tool \
		$(DESTDIR)$(sysconfdir)/parsec/config.toml.example
	rm -f $(DESTDIR)$(prefix)/lib/systemd/system/parsecd.service \
		$(DESTDIR)$(prefix)/lib/systemd/system/parsecd.socket \
		$(DESTDIR)$(prefix)/lib/tmpfiles.d/parsecd.conf $(DESTDIR)$(prefix)/lib/sysusers.d/parsecd.conf
	rm -rf $(DESTDIR)$(libexecdir)/parsec $(DESTDIR)$(includedir)/parsec
	$(call man_links,rm -f)
	rm -f $(DESTDIR)$(mandir)/man1/parsec-tool.1 $(LIBPARSEC_MAN:man/%=$(DESTDIR)$(mandir)/man3/%) \
		$(DESTDIR)$(mandir)/man5/parsec.toml.5 $(DESTDIR)$(mandir)/man8/parsecd.8 \
		$(DESTDIR)$(mandir)/man7/libparsec-pkcs11.7 $(DESTDIR)$(datarootdir)/p11-kit/modules/parsec.module
	rm -f $(DESTDIR)$(libdir)/libparsec.* $(DESTDIR)$(libdir)/pkgconfig/libparsec.pc
	rm -f $(DESTDIR)$(libdir)/pkcs11/libparsec-pkcs11.so
	rm -rf $(DESTDIR)$(includedir)/parsec-psa
	rm -f $(DESTDIR)$(libdir)/libparsec-psa.* $(DESTDIR)$(libdir)/pkgconfig/parsec-psa.pc

clean:
	rm -f $(PROGRAMS) $(TEST_PROGS) tests/wipe_client tests/ext_mp_client tests/ext_key_client \
		$(FUZZ_PROGS) $(COMMON_LIB) $(PROTO_LIB) bench/parsec-bench bench/parsec-bench-matrix \
		bench/parsec-bench-scale
	rm -f $(CONFIG_LIB) $(KIM_LIB)
	rm -f libparsec/libparsec.so* libparsec/libparsec.a libparsec/libparsec.keep libparsec/libparsec-all.o
	rm -f $(P11_MODULE)
	rm -f psa/libparsec-psa.so* psa/libparsec-psa.a psa/libparsec-psa.keep psa/libparsec-psa-all.o
	rm -f */*.o */*.d proto/*.pb.c proto/*.pb.h
	rm -rf tests/tmp tests/interop/target tests/pb tests/faults bench/hops

distclean: clean
	@# make run's directory outside the clone, when ./run links there (scripts/run-dir.sh)
	@if [ -L run ]; then case "$$(readlink run)" in /var/tmp/parsecd-run.*) \
		echo "rm -rf $$(readlink run)"; rm -rf "$$(readlink run)" ;; esac; fi
	rm -rf config.mk config.log config.status configure autom4te.cache aclocal.m4 run .build-vars
	rm -f parsecd-*.tar.gz

-include $(wildcard */*.d) $(wildcard $(FAULT_TREE)/obj/*/*.d) $(wildcard $(HOP_TREE)/obj/*/*.d)
