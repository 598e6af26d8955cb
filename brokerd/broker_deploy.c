/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One deployment, one state: the key store and every provider's state
 * directory carry the same random identity, written on the first start. A
 * key store and provider state that do not belong together stop the start
 * before any request could get a wrong answer from them. brokerd cannot read
 * the providers' directories: the parent reads their identities for it
 * (parsecd/deploy.c) and labels those without one with the identity brokerd
 * settles here, which goes with IPC_READY.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "kim.h"
#include "brokerd.h"
#include "log.h"
#include "setup.h"

static char deploy_id[SETUP_DEPLOY_ID_LEN + 1];

static void
deploy_new_id(char *id)
{
	uint8_t raw[SETUP_DEPLOY_ID_LEN / 2];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		fatal("getrandom");
	for (i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
}

/* A key store with its identity: the providers' state must carry the same, or nothing. */
static void
deploy_check_labelled(const struct setup_broker *s, const char *id)
{
	if (s->state_id[0] != '\0' && strcmp(s->state_id, id) != 0)
		fatalx("key store %s (deployment %s) and provider state %s (deployment %s) "
		    "do not belong together: point sqlite_db_path and state_dir at one "
		    "deployment's", s->kim_path, id, s->state_id_path, s->state_id);
	if (s->state_id[0] == '\0' && s->state_material_path[0] != '\0')
		fatalx("provider state %s holds %s of no known deployment, key store %s "
		    "belongs to deployment %s: move %s away or point state_dir elsewhere",
		    s->state_material_path, s->state_material, s->kim_path, id,
		    s->state_material_path);
}

void
broker_deploy_check(const struct setup_broker *s)
{
	char id[SETUP_DEPLOY_ID_LEN + 1];
	int r, empty;

	if ((r = kim_deployment(id, sizeof(id))) == -1 || (empty = kim_empty()) == -1)
		fatalx("cannot read the key store %s", s->kim_path);
	if (r == 0) {
		deploy_check_labelled(s, id);
	} else {
		if (s->state_id[0] != '\0')
			fatalx("%s key store %s over the provider state %s of deployment %s: "
			    "restore the key store that belongs with it, or move the state away "
			    "to start afresh", empty ? "fresh" : "unlabelled", s->kim_path,
			    s->state_id_path, s->state_id);
		if (empty && s->state_material_path[0] != '\0')
			fatalx("fresh key store %s over old provider state %s (%s): restore the "
			    "key store that belongs with it, or move %s away to start afresh",
			    s->kim_path, s->state_material_path, s->state_material,
			    s->state_material_path);
		/* A new deployment, or one from before identities: both get one now. */
		deploy_new_id(id);
		if (kim_set_deployment(id) == -1)
			fatalx("cannot write the deployment identity to the key store %s",
			    s->kim_path);
		log_info("deployment %s: key store %s%s", id, s->kim_path,
		    empty ? " (new)" : " (keys from before identities)");
	}
	strlcpy(deploy_id, id, sizeof(deploy_id));
}

const char *
broker_deploy_id(void)
{
	return deploy_id;
}
