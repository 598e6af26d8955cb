/* SPDX-License-Identifier: Apache-2.0 */
/*
 * make bench (d): ECDSA P-256 signing through the service's TPM provider
 * with 4 clients, over a plain ESAPI loop (key loaded once, one thread) on
 * the same swtpm, measured before and after the service's turn.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "bench.h"
#include "testlib.h"

#define BENCH_TPM_CLIENTS 4

static struct {
	char dir[128];
	char sock[192];
	char pidfile[192];
	char tcti[256];
	ESYS_CONTEXT *esys;
	ESYS_TR key;
} bt;

static int
bench_tpm_spawn(char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid == -1)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* swtpm on a Unix socket, as the tests start it; the service user must reach it. */
static int
bench_tpm_start(void)
{
	char state[192], server[256], ctrl[256], statedir[256], pid[256];
	char ctrl_path[200];
	char *argv[] = { "swtpm", "socket", "--tpm2", "--daemon", "--tpmstate", statedir,
		"--server", server, "--ctrl", ctrl, "--flags", "not-need-init,startup-clear",
		"--pid", pid, NULL };

	snprintf(bt.dir, sizeof(bt.dir), "/tmp/parsecd-bench-tpm.XXXXXX");
	if (mkdtemp(bt.dir) == NULL || chmod(bt.dir, 0755) == -1)
		return -1;
	snprintf(state, sizeof(state), "%s/state", bt.dir);
	snprintf(bt.sock, sizeof(bt.sock), "%s/tpm.sock", bt.dir);
	snprintf(ctrl_path, sizeof(ctrl_path), "%s.ctrl", bt.sock);
	snprintf(bt.pidfile, sizeof(bt.pidfile), "%s/swtpm.pid", bt.dir);
	snprintf(statedir, sizeof(statedir), "dir=%s", state);
	snprintf(server, sizeof(server), "type=unixio,path=%s", bt.sock);
	snprintf(ctrl, sizeof(ctrl), "type=unixio,path=%s", ctrl_path);
	snprintf(pid, sizeof(pid), "file=%s", bt.pidfile);
	snprintf(bt.tcti, sizeof(bt.tcti), "swtpm:path=%s", bt.sock);
	if (mkdir(state, 0700) == -1 || bench_tpm_spawn(argv) == -1)
		return -1;
	chmod(bt.sock, 0666);
	chmod(ctrl_path, 0666);
	return 0;
}

static void
bench_tpm_stop(void)
{
	FILE *f = fopen(bt.pidfile, "r");
	int pid = 0, i;

	if (f != NULL) {
		if (fscanf(f, "%d", &pid) == 1 && pid > 0)
			kill(pid, SIGTERM);
		fclose(f);
	}
	for (i = 0; i < 100 && access(bt.pidfile, F_OK) == 0; i++)
		usleep(50000);
	bench_tpm_spawn((char *[]){ "rm", "-rf", bt.dir, NULL });
}

static void *
bench_tpm_raw_thread(void *arg)
{
	long *count = arg;
	TPM2B_DIGEST digest = { .size = 32 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_ECDSA };
	TPMT_TK_HASHCHECK check = { .tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL };
	TPMT_SIGNATURE *sig;

	scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	memset(digest.buffer, 7, 32);
	while (!bench_stop) {
		if (Esys_Sign(bt.esys, bt.key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digest,
		    &scheme, &check, &sig) != TSS2_RC_SUCCESS) {
			fprintf(stderr, "bench: raw TPM2_Sign failed\n");
			exit(1);
		}
		Esys_Free(sig);
		(*count)++;
	}
	return NULL;
}

/* An ECC template: a storage parent (restricted decrypt) or a signing key. */
static void
bench_tpm_template(TPM2B_PUBLIC *t, int parent)
{
	TPMT_PUBLIC *p = &t->publicArea;

	memset(t, 0, sizeof(*t));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
	    (parent ? TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT : TPMA_OBJECT_SIGN_ENCRYPT);
	p->parameters.eccDetail.symmetric.algorithm = parent ? TPM2_ALG_AES : TPM2_ALG_NULL;
	p->parameters.eccDetail.symmetric.keyBits.aes = 128;
	p->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

/* The plain ESAPI loop: primary, key created and loaded once, then only TPM2_Sign. */
static double
bench_tpm_raw(void)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	ESYS_TR primary = ESYS_TR_NONE;
	double rate = 0;

	bt.key = ESYS_TR_NONE;
	if (Tss2_TctiLdr_Initialize(bt.tcti, &tcti) != TSS2_RC_SUCCESS ||
	    Esys_Initialize(&bt.esys, tcti, NULL) != TSS2_RC_SUCCESS)
		return 0;
	bench_tpm_template(&tmpl, 1);
	if (Esys_CreatePrimary(bt.esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	    ESYS_TR_NONE, &sensitive, &tmpl, &outside, &pcrs, &primary, NULL, NULL, NULL,
	    NULL) == TSS2_RC_SUCCESS) {
		bench_tpm_template(&tmpl, 0);
		if (Esys_Create(bt.esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
		    &sensitive, &tmpl, &outside, &pcrs, &priv, &pub, NULL, NULL, NULL) ==
		    TSS2_RC_SUCCESS && Esys_Load(bt.esys, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		    ESYS_TR_NONE, priv, pub, &bt.key) == TSS2_RC_SUCCESS)
			rate = run_threads(bench_tpm_raw_thread, 1);
		Esys_Free(priv);
		Esys_Free(pub);
	}
	if (bt.key != ESYS_TR_NONE)
		Esys_FlushContext(bt.esys, bt.key);
	if (primary != ESYS_TR_NONE)
		Esys_FlushContext(bt.esys, primary);
	Esys_Finalize(&bt.esys);
	Tss2_TctiLdr_Finalize(&tcti);
	return rate;
}

/* Two turns of the service between two of the raw loop; the service's key made first. */
static int
bench_tpm_measure(double raw[2], double service[2])
{
	struct test_daemon daemon;
	char extra[512];
	uint8_t req[512];
	size_t len;

	raw[0] = bench_tpm_raw();
	snprintf(extra, sizeof(extra), "\n[[provider]]\nprovider_type = \"Tpm\"\n"
	    "key_info_manager = \"sqlite-manager\"\ntcti = \"%s\"\n", bt.tcti);
	if (test_daemon_start(&daemon, NULL, extra) == -1) {
		fprintf(stderr, "bench: parsecd with the TPM provider did not start\n");
		return -1;
	}
	bench_create_key(daemon.socket_path, 3, "tpm-bench-key");
	len = bench_sign_request(3, "tpm-bench-key", req);
	service[0] = bench_service_rate(daemon.socket_path, req, len, BENCH_TPM_CLIENTS);
	service[1] = bench_service_rate(daemon.socket_path, req, len, BENCH_TPM_CLIENTS);
	test_daemon_stop(&daemon);
	raw[1] = bench_tpm_raw();
	return raw[0] > 0 && raw[1] > 0 ? 0 : -1;
}

int
bench_tpm(void)
{
	double raw[2] = { 0 }, service[2] = { 0 }, load[3] = { 0 };
	int r;

	if (bench_tpm_start() == -1) {
		printf("(d) TPM: swtpm did not start (apt-get install swtpm): not measured\n");
		return 1;
	}
	r = bench_tpm_measure(raw, service);
	bench_tpm_stop();
	if (r == -1) {
		printf("(d) TPM: the raw ESAPI loop failed: not measured\n");
		return 1;
	}
	getloadavg(load, 3);
	printf("(d) TPM ECDSA P-256 sign-hash: service %.0f/s and %.0f/s with %d clients, raw "
	       "ESAPI loop %.0f/s before and %.0f/s after on the same swtpm: ratio %.2f "
	       "(target >= 0.9; load average %.2f)\n", service[0], service[1], BENCH_TPM_CLIENTS,
	    raw[0], raw[1], (service[0] + service[1]) / (raw[0] + raw[1]), load[0]);
	return 0;
}
