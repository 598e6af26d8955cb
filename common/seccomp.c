/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One seccomp allow-list per process kind, as data, default action kill.
 * The lists were measured (strace -f over the end-to-end suites, counting
 * only what each process does after NO_NEW_PRIVS), then reasoned about;
 * each entry says why it is there.
 *
 * libseccomp is opened with dlopen before the chroot and closed once the
 * filter is loaded: a child uses it only to build its filter, and mapped for
 * the process's life it cost each child its relocations and the tree some
 * 150 KiB of pages that no request ever touches.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "log.h"
#include "sandbox.h"

/*
 * Sanitizer runtimes make system calls of their own (sigaltstack on every
 * noreturn call, their own allocator's mappings) at unpredictable points. In
 * such builds (make check-asan) the filter is still loaded, but lets the rest
 * through: those builds test memory safety, the normal build tests the filter.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SC_DEFAULT_ACTION SCMP_ACT_ALLOW
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SC_DEFAULT_ACTION SCMP_ACT_ALLOW
#endif
#endif
#ifndef SC_DEFAULT_ACTION
#define SC_DEFAULT_ACTION SCMP_ACT_KILL_PROCESS
#endif

struct sc_rule {
	const char *name; /* resolved by libseccomp for the native architecture */
	unsigned kinds;   /* bit per enum sandbox_profile */
};

#define FRONT (1u << SANDBOX_FRONTD)
#define BROKER (1u << SANDBOX_BROKERD)
#define PROVIDER (1u << SANDBOX_PROVIDER)
#define ALL (FRONT | BROKER | PROVIDER)
/* parsec-adopt, the helper the parent execs (adopt/): filtered once its store is open */
#define ADOPT (1u << SANDBOX_ADOPT)

static const struct sc_rule sc_rules[] = {
	/* the event loop and the IPC channels */
	{ "epoll_wait", ALL },    /* libevent's dispatch */
	{ "epoll_pwait", ALL },   /* the same, on newer libc */
	{ "epoll_ctl", ALL },     /* adding and removing events */
	{ "read", ALL | ADOPT },          /* libevent's signal socket; files in providers */
	{ "write", ALL | ADOPT },         /* logging to stderr; libevent's signal socket */
	{ "recvmsg", ALL },       /* IPC, with descriptors */
	{ "sendmsg", ALL },       /* IPC, with descriptors */
	{ "sendto", ALL },        /* send(): libevent signals, client replies in frontd */
	{ "recvfrom", FRONT },    /* recv() from clients */
	{ "accept4", FRONT },     /* new clients */
	{ "getsockopt", FRONT | BROKER }, /* SO_PEERCRED; brokerd: what a client descriptor is */
	{ "getsockname", BROKER }, /* brokerd: a client descriptor's listener address */
	{ "shutdown", FRONT },    /* refusing new clients while stopping */
	{ "fcntl", ALL | ADOPT },         /* O_NONBLOCK on channels, F_DUPFD for the broker's copy; SQLite locks */
	{ "close", ALL | ADOPT },
	/* memory: mmap and mprotect are allowed without PROT_EXEC only (below) */
	{ "brk", ALL | ADOPT },
	{ "munmap", ALL | ADOPT },
	{ "mremap", ALL | ADOPT },
	{ "madvise", ALL | ADOPT },
	/* time, signals, exit */
	{ "clock_gettime", ALL | ADOPT }, /* when the vDSO falls back */
	{ "gettimeofday", ALL | ADOPT },
	{ "clock_nanosleep", ALL },
	{ "nanosleep", ALL },
	{ "rt_sigreturn", ALL },  /* returning from SIGTERM's handler */
	/*
	 * The kernel resuming a sleep (nanosleep, SQLite's wait for a lock) that a
	 * stop interrupted, at SIGCONT: refused, a stopped child died then.
	 */
	{ "restart_syscall", ALL | ADOPT },
	{ "rt_sigprocmask", ALL | ADOPT },
	{ "getpid", ALL | ADOPT },        /* log lines carry the pid */
	{ "exit", ALL | ADOPT },
	{ "exit_group", ALL | ADOPT },
	{ "futex", ALL | ADOPT },         /* libc and SQLite mutexes */
	{ "sched_yield", ALL },
	{ "getrandom", ALL | ADOPT }, /* mbedtls' entropy; SQLite's; frontd's random answers */
	/* files: the key store (brokerd) and the key files (providers, chrooted) */
	{ "openat", BROKER | PROVIDER | ADOPT },
	{ "newfstatat", BROKER | PROVIDER | ADOPT },
	{ "fstat", BROKER | PROVIDER | ADOPT },
	{ "lseek", BROKER | PROVIDER | ADOPT },
	{ "pread64", BROKER | PROVIDER | ADOPT },
	{ "pwrite64", BROKER | ADOPT },
	{ "ftruncate", BROKER | ADOPT },  /* SQLite's WAL reset */
	{ "fsync", BROKER | PROVIDER | ADOPT },     /* durable before the client is answered */
	{ "fdatasync", BROKER | PROVIDER | ADOPT },
	{ "rename", PROVIDER },   /* atomic key file replacement */
	{ "renameat", PROVIDER },
	{ "unlink", BROKER | PROVIDER | ADOPT },    /* destroyed keys; SQLite's WAL on close */
	{ "unlinkat", BROKER | PROVIDER | ADOPT },
	{ "geteuid", BROKER | ADOPT },    /* SQLite checks it when creating files */
	{ "getuid", BROKER | ADOPT },
	/* adoption: a copied key file is linked into place; faccessat probes a key id */
	{ "linkat", ADOPT },
	{ "faccessat", ADOPT },
	{ "faccessat2", ADOPT },
};

/* The library while a filter is built: open from sandbox_seccomp_open to sc_load's end. */
static struct {
	void *lib;
	scmp_filter_ctx (*init)(uint32_t);
	int (*attr_set)(scmp_filter_ctx, enum scmp_filter_attr, uint32_t);
	int (*rule_add_array)(scmp_filter_ctx, uint32_t, int, unsigned int,
	    const struct scmp_arg_cmp *);
	int (*load)(const scmp_filter_ctx);
	void (*release)(scmp_filter_ctx);
	int (*resolve_name)(const char *);
} sc_lib;

/* dlsym's object pointer into a function pointer of the same representation. */
static void
sc_sym(void *fn, size_t fn_size, const char *name)
{
	void *p = dlsym(sc_lib.lib, name);

	if (p == NULL || fn_size != sizeof(p))
		fatalx("seccomp: %s not found in libseccomp", name);
	memcpy(fn, &p, sizeof(p));
}

void
sandbox_seccomp_open(void)
{
	if (sc_lib.lib != NULL)
		return;
	if ((sc_lib.lib = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL)) == NULL)
		fatalx("seccomp: cannot load libseccomp.so.2: %s", dlerror());
	sc_sym(&sc_lib.init, sizeof(sc_lib.init), "seccomp_init");
	sc_sym(&sc_lib.attr_set, sizeof(sc_lib.attr_set), "seccomp_attr_set");
	sc_sym(&sc_lib.rule_add_array, sizeof(sc_lib.rule_add_array), "seccomp_rule_add_array");
	sc_sym(&sc_lib.load, sizeof(sc_lib.load), "seccomp_load");
	sc_sym(&sc_lib.release, sizeof(sc_lib.release), "seccomp_release");
	sc_sym(&sc_lib.resolve_name, sizeof(sc_lib.resolve_name), "seccomp_syscall_resolve_name");
}

static void
sc_close(void)
{
	if (dlclose(sc_lib.lib) != 0)
		fatalx("seccomp: cannot unload libseccomp: %s", dlerror());
	memset(&sc_lib, 0, sizeof(sc_lib));
}

static void
sc_allow(scmp_filter_ctx ctx, const char *name, uint32_t def, unsigned arg_count,
    const struct scmp_arg_cmp *cmp)
{
	int nr = sc_lib.resolve_name(name);

	/* A name this architecture does not have is simply not needed here. */
	if (nr == __NR_SCMP_ERROR)
		return;
	/* With allow as the default (sanitizer builds) libseccomp refuses the rule as redundant. */
	if (def != SCMP_ACT_ALLOW &&
	    sc_lib.rule_add_array(ctx, SCMP_ACT_ALLOW, nr, arg_count, cmp) < 0)
		fatalx("seccomp: cannot allow %s", name);
}

static void sc_load(unsigned kind_bit, const char *const *extra, const char *const *refused,
    int relaxed);

void
sandbox_seccomp(enum sandbox_profile profile, const char *const *extra,
    const char *const *refused, int relaxed)
{
	sc_load(1u << profile, extra, refused, relaxed);
}

void
sandbox_seccomp_adopt(void)
{
	/* SQLite run as root gives a journal it opens to the database's owner: answered, not done. */
	static const char *const refused[] = { "fchown", NULL };

	sc_load(ADOPT, NULL, refused, 0);
}

static void
sc_load(unsigned kind_bit, const char *const *extra, const char *const *refused, int relaxed)
{
	struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	struct scmp_arg_cmp unix_only = SCMP_A0(SCMP_CMP_EQ, AF_UNIX);
	struct scmp_arg_cmp inet_only = SCMP_A0(SCMP_CMP_EQ, AF_INET);
	struct scmp_arg_cmp inet6_only = SCMP_A0(SCMP_CMP_EQ, AF_INET6);
	uint32_t def = relaxed && SC_DEFAULT_ACTION != SCMP_ACT_ALLOW ? SCMP_ACT_LOG :
	    SC_DEFAULT_ACTION;
	scmp_filter_ctx ctx;
	size_t i;
	int rc;

	/* Opened here where no chroot came first (the adoption helper, the tests). */
	sandbox_seccomp_open();
	/* Anything else, and any foreign architecture, kills the process. */
	if ((ctx = sc_lib.init(def)) == NULL)
		fatalx("seccomp_init failed");
	if (sc_lib.attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0)
		fatalx("seccomp: cannot set the architecture check");
	for (i = 0; i < sizeof(sc_rules) / sizeof(sc_rules[0]); i++)
		if (sc_rules[i].kinds & kind_bit)
			sc_allow(ctx, sc_rules[i].name, def, 0, NULL);
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		/* socket:unix and socket:inet: socket() for those address families only */
		if (strcmp(extra[i], "socket:unix") == 0) {
			sc_allow(ctx, "socket", def, 1, &unix_only);
		} else if (strcmp(extra[i], "socket:inet") == 0) {
			sc_allow(ctx, "socket", def, 1, &inet_only);
			sc_allow(ctx, "socket", def, 1, &inet6_only);
		} else {
			sc_allow(ctx, extra[i], def, 0, NULL);
		}
	}
	for (i = 0; refused != NULL && refused[i] != NULL; i++) {
		int nr = sc_lib.resolve_name(refused[i]);

		if (nr != __NR_SCMP_ERROR && def != SCMP_ACT_ALLOW &&
		    sc_lib.rule_add_array(ctx, SCMP_ACT_ERRNO(EACCES), nr, 0, NULL) < 0)
			fatalx("seccomp: cannot refuse %s", refused[i]);
	}
	/* Memory may be mapped or protected, never made executable. */
	sc_allow(ctx, "mmap", def, 1, &no_exec);
	sc_allow(ctx, "mprotect", def, 1, &no_exec);
	if ((rc = sc_lib.load(ctx)) < 0) {
		errno = -rc;
		fatal("seccomp_load");
	}
	sc_lib.release(ctx);
	sc_close();
}
