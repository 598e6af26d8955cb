/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests: the config.toml loader, defaults and every precise error. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "setup.h"
#include "testlib.h"

static const char base[] =
    "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = 200\n"
    "[[provider]]\nprovider_type = \"MbedCrypto\"\n";

static int
load(const char *text, struct parsec_config *cfg, char *err)
{
	return config_load_buffer("test.toml", text, strlen(text), cfg, err, CFG_ERR_MAX);
}

START_TEST(t_defaults)
{
	struct parsec_config cfg;
	char err[CFG_ERR_MAX];

	ck_assert_int_eq(load(base, &cfg, err), 0);
	ck_assert_uint_eq(cfg.body_len_limit, 1024 * 1024);
	ck_assert_uint_eq(cfg.buffer_size_limit, 1024 * 1024);
	ck_assert_str_eq(cfg.socket_path, "/run/parsec/parsec.sock");
	ck_assert_int_eq(cfg.log_level, CFG_LOG_WARN);
	ck_assert_int_eq(cfg.authenticators[0].type, CFG_AUTH_DIRECT);
	ck_assert_uint_eq(cfg.timeout_ms, 200);
	ck_assert_uint_eq(cfg.provider_count, 1);
	ck_assert_str_eq(cfg.providers[0].name, "mbed-crypto-provider");
	/* No [[key_manager]]: an implicit SQLite one, as upstream. */
	ck_assert_uint_eq(cfg.key_manager_count, 1);
	ck_assert_str_eq(cfg.providers[0].key_info_manager, "sqlite-manager");
	ck_assert_str_eq(cfg.user, "_parsec");
	/* The role users: unnamed, so their defaults are looked up at start (conf/users.c). */
	ck_assert_str_eq(cfg.frontd_user, "");
	ck_assert_str_eq(cfg.brokerd_user, "");
	ck_assert_str_eq(cfg.mbed_user, "");
	ck_assert_uint_eq(cfg.socket_mode, 0666);
	ck_assert_uint_eq(cfg.max_keys_per_application, 10000);
	ck_assert_uint_eq(cfg.max_key_bytes_per_application, 64u * 1024 * 1024);
	ck_assert_uint_eq(cfg.max_requests_per_application, 64);
	ck_assert_uint_eq(cfg.max_output_bytes_per_uid, 64u * 1024 * 1024);
}
END_TEST

/* brokerd's setup through its encoding. */
static void
broker_roundtrip(const struct setup_broker *in, struct setup_broker *out)
{
	static uint8_t buf[sizeof(struct setup_broker) + 1024];
	struct buf_writer wr;

	buf_writer_init(&wr, buf, sizeof(buf));
	setup_broker_encode(&wr, in);
	ck_assert(buf_writer_ok(&wr));
	ck_assert_int_eq(setup_broker_decode(buf, wr.off, out), 0);
}

/* One user per role, and the providers' deployment state reaching brokerd's setup. */
START_TEST(t_role_users)
{
	static struct setup_broker in, out;
	struct parsec_config cfg;
	char err[CFG_ERR_MAX], text[512];

	snprintf(text, sizeof(text), "%s[privsep]\nuser = \"dev\"\nfrontd_user = \"f\"\n"
	    "brokerd_user = \"b\"\nmbed_user = \"m\"\n", base);
	ck_assert_msg(load(text, &cfg, err) == 0, "%s", err);
	ck_assert_str_eq(cfg.user, "dev");
	ck_assert_str_eq(cfg.frontd_user, "f");
	ck_assert_str_eq(cfg.brokerd_user, "b");
	ck_assert_str_eq(cfg.mbed_user, "m");
	snprintf(text, sizeof(text), "%s[privsep]\nbrokerd_user = 5\n", base);
	ck_assert_int_eq(load(text, &cfg, err), -1);
	ck_assert_msg(strstr(err, "privsep.brokerd_user") != NULL, "%s", err);
	strlcpy(in.state_id, "0123456789abcdef0123456789abcdef", sizeof(in.state_id));
	strlcpy(in.state_id_path, "/var/lib/parsec/p", sizeof(in.state_id_path));
	strlcpy(in.state_material, "0000000000000001.key", sizeof(in.state_material));
	broker_roundtrip(&in, &out);
	ck_assert_str_eq(out.state_id, in.state_id);
	ck_assert_str_eq(out.state_id_path, in.state_id_path);
	ck_assert_str_eq(out.state_material, in.state_material);
}
END_TEST

/* The quotas and the output cap parse (0 = unlimited, bytes past 32 bits); quotas reach brokerd. */
START_TEST(t_quotas)
{
	static struct setup_broker in, out;
	struct parsec_config cfg;
	char err[CFG_ERR_MAX], text[512];

	snprintf(text, sizeof(text), "%s[privsep]\nmax_keys_per_application = 0\n"
	    "max_key_bytes_per_application = 5000000000\nmax_requests_per_application = 2\n"
	    "max_output_bytes_per_uid = 0\n", base);
	ck_assert_msg(load(text, &cfg, err) == 0, "%s", err);
	ck_assert_uint_eq(cfg.max_keys_per_application, 0);
	ck_assert_uint_eq(cfg.max_key_bytes_per_application, 5000000000ull);
	ck_assert_uint_eq(cfg.max_requests_per_application, 2);
	ck_assert_uint_eq(cfg.max_output_bytes_per_uid, 0);
	in.max_keys_per_application = 3;
	in.max_requests_per_application = cfg.max_requests_per_application;
	in.max_key_bytes_per_application = cfg.max_key_bytes_per_application;
	broker_roundtrip(&in, &out);
	ck_assert_uint_eq(out.max_keys_per_application, 3);
	ck_assert_uint_eq(out.max_key_bytes_per_application, 5000000000ull);
	ck_assert_uint_eq(out.max_requests_per_application, 2);
}
END_TEST

START_TEST(t_upstream_sample)
{
	static const char text[] =
	    "# an upstream-shaped deployment\n"
	    "[core_settings]\n"
	    "thread_pool_size = 8\n"
	    "idle_listener_sleep_duration = 10 # ms\n"
	    "log_level = \"info\"\n"
	    "log_timestamp = false\n"
	    "body_len_limit = 1_048_576\n"
	    "log_error_details = false\n"
	    "allow_root = false\n"
	    "\n"
	    "[listener]\n"
	    "listener_type = \"DomainSocket\"\n"
	    "timeout = 200\n"
	    "socket_path = \"/tmp/parsec.sock\"\n"
	    "\n"
	    "[authenticator]\n"
	    "auth_type = \"UnixPeerCredentials\"\n"
	    "admins = [ { name = \"1000\" }, { name = 'root' } ]\n"
	    "\n"
	    "[[key_manager]]\n"
	    "name = \"sqlite-manager\"\n"
	    "manager_type = \"SQLite\"\n"
	    "sqlite_db_path = \"/var/lib/parsec/kim.sqlite3\"\n"
	    "\n"
	    "[[provider]]\n"
	    "provider_type = \"MbedCrypto\"\n"
	    "key_info_manager = \"sqlite-manager\"\n"
	    "\n"
	    "[[provider]]\n"
	    "name = \"hsm\"\n"
	    "provider_type = \"Pkcs11\"\n"
	    "key_info_manager = \"sqlite-manager\"\n"
	    "library_path = \"/usr/lib/softhsm/libsofthsm2.so\"\n"
	    "slot_number = 123456789\n"
	    "user_pin = \"hex:31323334\"\n"
	    "software_public_operations = true\n"
	    "allow_export = false\n";
	struct parsec_config cfg;
	char err[CFG_ERR_MAX];

	ck_assert_msg(load(text, &cfg, err) == 0, "%s", err);
	ck_assert_uint_eq(cfg.thread_pool_size, 8);
	ck_assert_int_eq(cfg.log_level, CFG_LOG_INFO);
	ck_assert_uint_eq(cfg.body_len_limit, 1048576);
	ck_assert_str_eq(cfg.socket_path, "/tmp/parsec.sock");
	ck_assert_int_eq(cfg.authenticators[0].type, CFG_AUTH_UNIX_PEER_CREDENTIALS);
	ck_assert_uint_eq(cfg.authenticators[0].admin_count, 2);
	ck_assert_str_eq(cfg.authenticators[0].admins[0], "1000");
	ck_assert_str_eq(cfg.authenticators[0].admins[1], "root");
	ck_assert_str_eq(cfg.key_managers[0].sqlite_db_path, "/var/lib/parsec/kim.sqlite3");
	ck_assert_uint_eq(cfg.provider_count, 2);
	ck_assert_int_eq(cfg.providers[1].kind, CFG_PROVIDER_PKCS11);
	ck_assert_str_eq(cfg.providers[1].name, "hsm");
	ck_assert(cfg.providers[1].has_slot_number);
	ck_assert_uint_eq(cfg.providers[1].slot_number, 123456789);
	ck_assert_uint_eq(cfg.providers[1].user_pin_len, 4);
	ck_assert_mem_eq(cfg.providers[1].user_pin, "1234", 4);
	ck_assert(cfg.providers[1].software_public_operations);
	ck_assert(!cfg.providers[1].allow_export);
	config_wipe_secrets(&cfg);
	ck_assert_uint_eq(cfg.providers[1].user_pin_len, 0);
	ck_assert_int_eq(cfg.providers[1].user_pin[0], 0);
}
END_TEST

struct bad_case {
	const char *text;
	const char *expect; /* a substring of the error */
};

static const struct bad_case bad[] = {
	/* TOML syntax */
	{ "[listener\n", "test.toml:1: expected ']' to close the header" },
	{ "a = \"open\n", "test.toml:1: unterminated string" },
	{ "a = \"\\q\"\n", "test.toml:1: bad escape '\\q'" },
	{ "a = 99999999999999999999\n", "test.toml:1: integer out of range" },
	{ "a = 1\na = 2\n", "test.toml:2: duplicate key 'a'" },
	{ "[t]\n[t]\n", "test.toml:2: table 't' defined twice" },
	{ "a = 1.5\n", "floating point values are not supported" },
	{ "a = [1, 2\n", "expected ',' or ']'" },
	{ "a = 1 b\n", "test.toml:1: unexpected 'b' after value" },
	{ "a = 007\n", "leading zeros" },
	{ "a = \"\\u0000\"\n", "escape is not a valid character" },
	/* Semantics, with file, line and key */
	{ "[listener]\nlistener_type = \"DomainSocket\"\ntimeout = \"soon\"\n",
	    "test.toml:3: listener.timeout: expected an integer, got a string" },
	{ "[listener]\nlistener_type = \"DomainSocket\"\n[[provider]]\nprovider_type = \"MbedCrypto\"\n",
	    "test.toml:1: listener.timeout: required" },
	{ "[listener]\nlistener_type = \"TcpSocket\"\ntimeout = 1\n",
	    "test.toml:2: listener.listener_type: unknown value \"TcpSocket\"" },
	{ "[listener]\ntimeout = 0\n", "test.toml:2: listener.timeout: 0 is out of range" },
	{ "[[provider]]\nprovider_type = \"MbedCrypto\"\n",
	    "test.toml:0: listener: the [listener] table is required" },
	{ "[listener]\ntimeout = 5\n", "at least one [[provider]] is required" },
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"Foo\"\n",
	    "test.toml:4: provider.provider_type: unknown value \"Foo\"" },
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"TrustedService\"\n",
	    "TrustedService is not supported by this build" },
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"Pkcs11\"\n",
	    "test.toml:3: provider.library_path: required for Pkcs11" },
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"MbedCrypto\"\n"
	  "[[provider]]\nprovider_type = \"MbedCrypto\"\nname = \"b\"\n",
	    "test.toml:5: provider.provider_type: a MbedCrypto provider is already configured on line 3" },
	/* parsecd's own key store goes to state_dir/parsecd-kim when sqlite_db_path is upstream's. */
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"MbedCrypto\"\n"
	  "name = \"parsecd-kim\"\n",
	    "test.toml:3: provider.name: \"parsecd-kim\" is the directory of parsecd's own key store" },
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"MbedCrypto\"\n"
	  "key_info_manager = \"nope\"\n",
	    "test.toml:3: provider.key_info_manager: no [[key_manager]] is named \"nope\"" },
	{ "[listener]\ntimeout = 5\n[[key_manager]]\nname = \"a\"\nmanager_type = \"SQLite\"\n"
	  "[[key_manager]]\nname = \"a\"\nmanager_type = \"SQLite\"\n",
	    "test.toml:7: key_manager.name: \"a\" is already used on line 3" },
	{ "[listener]\ntimeout = 5\n[authenticator]\nauth_type = \"Direct\"\nadmins = [\"x\"]\n",
	    "test.toml:5: authenticator.admins: each admin must be" },
	{ "[listener]\ntimeout = 5\n[authenticator]\n", "test.toml:3: authenticator.auth_type: required" },
	{ "[listener]\ntimeout = 5\n[[authenticator]]\nauth_type = \"Direct\"\n"
	  "[[authenticator]]\nauth_type = \"Direct\"\n",
	    "test.toml:6: authenticator.auth_type: Direct is configured twice" },
	{ "[listener]\ntimeout = 5\n[authenticator]\nauth_type = \"JwtSvid\"\n",
	    "test.toml:3: authenticator: JwtSvid needs exactly one of workload_endpoint and "
	    "jwt_bundle_path" },
	{ "[listener]\ntimeout = 5\n[core_settings]\nlog_level = 3\n",
	    "test.toml:4: core_settings.log_level: expected a string, got an integer" },
	{ "[listener]\ntimeout = 5\n[core_settings]\nallow_root = \"yes\"\n",
	    "test.toml:4: core_settings.allow_root: expected true or false" },
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"Pkcs11\"\nlibrary_path = \"x\"\n"
	  "user_pin = \"hex:3g\"\n", "test.toml:6: provider.user_pin: hex: has a non-hex digit" },
	{ "[listener]\ntimeout = 5\n[[provider]]\nprovider_type = \"Pkcs11\"\nlibrary_path = \"x\"\n"
	  "user_pin = \"hex:123\"\n", "test.toml:6: provider.user_pin: hex: needs an even number" },
	{ "[listener]\ntimeout = 5\n[privsep]\nsocket_mode = \"999\"\n",
	    "test.toml:4: privsep.socket_mode: \"999\" is not an octal mode" },
	/* The IPC carries at most 16 MiB: a larger body would get no answer. */
	{ "[listener]\ntimeout = 5\n[core_settings]\nbody_len_limit = 33554432\n",
	    "test.toml:4: core_settings.body_len_limit: 33554432 is out of range (1 to 15728640)" },
	{ "[listener]\ntimeout = 5\n[privsep]\nmax_keys_per_application = -1\n",
	    "test.toml:4: privsep.max_keys_per_application: -1 is out of range" },
	{ "[listener]\ntimeout = 5\n[privsep]\nmax_key_bytes_per_application = \"64M\"\n",
	    "test.toml:4: privsep.max_key_bytes_per_application: expected an integer" },
	{ "[listener]\ntimeout = 5\n[privsep]\nworkers = 65\n",
	    "test.toml:4: privsep.workers: 65 is out of range" },
	{ "[listener]\ntimeout = 5\nsocket_path = \"/a/very/long/path/that/does/not/fit/in/sun_path/"
	  "because/it/goes/on/and/on/and/on/for/well/over/a/hundred/bytes.sock\"\n",
	    "test.toml:3: listener.socket_path: longer than 107 bytes" },
};

/* The largest body the IPC can carry is accepted; one byte more is refused. */
START_TEST(t_body_len_limit_cap)
{
	struct parsec_config cfg;
	char err[CFG_ERR_MAX] = "", text[512];

	snprintf(text, sizeof(text), "%s[core_settings]\nbody_len_limit = %u\n", base,
	    15u * 1024 * 1024);
	ck_assert_msg(load(text, &cfg, err) == 0, "%s", err);
	ck_assert_uint_eq(cfg.body_len_limit, 15u * 1024 * 1024);
	config_wipe_secrets(&cfg);
	snprintf(text, sizeof(text), "%s[core_settings]\nbody_len_limit = %u\n", base,
	    15u * 1024 * 1024 + 1);
	ck_assert_int_eq(load(text, &cfg, err), -1);
	ck_assert_msg(strstr(err, "core_settings.body_len_limit: 15728641 is out of range (1 to "
	    "15728640)") != NULL, "%s", err);
}
END_TEST

START_TEST(t_bad_inputs)
{
	struct parsec_config cfg;
	char err[CFG_ERR_MAX] = "";

	ck_assert_int_eq(load(bad[_i].text, &cfg, err), -1);
	ck_assert_msg(strstr(err, bad[_i].expect) != NULL, "case %d: got \"%s\", want \"%s\"", _i,
	    err, bad[_i].expect);
}
END_TEST

/* Writes text to a fresh file with mode; its path goes to path. */
static void
write_config(char *path, size_t pathsz, const char *text, mode_t mode)
{
	int fd;

	snprintf(path, pathsz, "/tmp/check_config.XXXXXX");
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* A config holding a PIN or a hierarchy password must be private to its owner. */
START_TEST(t_secret_modes)
{
	static const char *const secrets[][2] = {
		{ "[[provider]]\nprovider_type = \"Pkcs11\"\nlibrary_path = \"/x.so\"\n"
		  "user_pin = \"1234\"\n", "provider.user_pin" },
		{ "[[provider]]\nprovider_type = \"Tpm\"\nowner_hierarchy_auth = \"pw\"\n",
		  "provider.owner_hierarchy_auth" },
		{ "[[provider]]\nprovider_type = \"Tpm\"\nendorsement_hierarchy_auth = \"hex:0102\"\n",
		  "provider.endorsement_hierarchy_auth" },
	};
	static const mode_t open_modes[] = { 0644, 0640, 0604, 0660 };
	struct parsec_config cfg;
	char err[CFG_ERR_MAX], want[CFG_ERR_MAX], path[64], text[512];
	size_t i, m;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		snprintf(text, sizeof(text), "[listener]\ntimeout = 200\n%s", secrets[i][0]);
		for (m = 0; m < sizeof(open_modes) / sizeof(open_modes[0]); m++) {
			write_config(path, sizeof(path), text, open_modes[m]);
			ck_assert_int_eq(config_load_file(path, &cfg, err, sizeof(err)), -1);
			snprintf(want, sizeof(want), "%s: holds %s but group or others may read it "
			    "(mode %04o): chmod 0600 %s", path, secrets[i][1], (unsigned)open_modes[m],
			    path);
			ck_assert_str_eq(err, want);
			unlink(path);
		}
		write_config(path, sizeof(path), text, 0600);
		ck_assert_msg(config_load_file(path, &cfg, err, sizeof(err)) == 0, "%s", err);
		unlink(path);
	}
	/* No secret: the mode is not this check's business. */
	write_config(path, sizeof(path), base, 0644);
	ck_assert_msg(config_load_file(path, &cfg, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
}
END_TEST

START_TEST(t_file_errors)
{
	struct parsec_config cfg;
	char err[CFG_ERR_MAX];

	ck_assert_int_eq(config_load_file("/nonexistent/config.toml", &cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/config.toml: No such file or directory");
	ck_assert_int_eq(config_load_file("/tmp", &cfg, err, sizeof(err)), -1);
	ck_assert(strstr(err, "not a regular file") != NULL);
	ck_assert_int_eq(config_load_buffer("nul.toml", "a = 1\0", 6, &cfg, err, sizeof(err)), -1);
	ck_assert(strstr(err, "NUL byte") != NULL);
}
END_TEST

START_TEST(t_unknown_keys_warn_only)
{
	static const char text[] = "[listener]\ntimeout = 5\nfuture_key = true\n[shiny]\nx = 1\n"
				   "[[provider]]\nprovider_type = \"MbedCrypto\"\n";
	struct parsec_config cfg;
	char err[CFG_ERR_MAX], path[] = "/tmp/check_config.XXXXXX", said[4096];
	int fd, saved_stderr, r;
	ssize_t n;

	/* The warnings go to stderr: catch them in a file. */
	ck_assert_int_ne(fd = mkstemp(path), -1);
	unlink(path);
	ck_assert_int_ne(saved_stderr = dup(2), -1);
	log_setlevel(LOG_LVL_WARN);
	dup2(fd, 2);
	r = load(text, &cfg, err);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	log_setlevel(LOG_LVL_ERROR);
	n = pread(fd, said, sizeof(said) - 1, 0);
	close(fd);
	said[n > 0 ? n : 0] = '\0';
	ck_assert_msg(r == 0, "unknown keys refused the file: %s", err);
	ck_assert_msg(strstr(said, "test.toml:3: listener.future_key: unknown key, ignored") != NULL,
	    "no warning names the unknown key future_key; the log said: %s", said);
	ck_assert_msg(strstr(said, "test.toml:4: [shiny]: unknown table, ignored") != NULL,
	    "no warning names the unknown table [shiny]; the log said: %s", said);
}
END_TEST

int
main(void)
{
	const struct test_case cases[] = {
		{ "loader", 0, NULL, NULL, {
			TEST(t_defaults), TEST(t_upstream_sample),
			TEST_LOOP(t_bad_inputs, sizeof(bad) / sizeof(bad[0])), TEST(t_file_errors),
			TEST(t_body_len_limit_cap), TEST(t_secret_modes), TEST(t_unknown_keys_warn_only),
			TEST(t_quotas), TEST(t_role_users)
		} },
	};

	log_init("check_config", LOG_LVL_ERROR, 0);
	return test_main("config", cases, sizeof(cases) / sizeof(cases[0]));
}
