/* SPDX-License-Identifier: Apache-2.0 */
/* brokerd's provider table: which providers are configured, in what order, and which are up. */
#include <string.h>

#include "brokerd.h"

int
broker_prov_up(const struct broker_provider *p)
{
	uint32_t i;

	for (i = 0; i < p->worker_count; i++)
		if (p->workers[i].up)
			return 1;
	return 0;
}

struct broker_provider *
broker_prov_configure(struct broker_ctx *b, uint32_t id, const char *name)
{
	struct broker_provider *p = &b->providers[id];

	if (!p->configured) {
		p->configured = 1;
		p->id = id;
		strlcpy(p->name, name, sizeof(p->name));
		RB_INIT(&p->wq_apps);
		TAILQ_INIT(&p->wq_round);
		b->provider_order[b->provider_count++] = id;
	}
	return p;
}

void
broker_prov_forget(struct broker_ctx *b, struct broker_provider *p)
{
	size_t k;

	for (k = 0; k < b->provider_count; k++) {
		if (b->provider_order[k] != p->id)
			continue;
		memmove(&b->provider_order[k], &b->provider_order[k + 1],
		    (b->provider_count - k - 1) * sizeof(b->provider_order[0]));
		b->provider_count--;
		break;
	}
	memset(p, 0, sizeof(*p));
}

int
broker_prov_all_up(const struct broker_ctx *b)
{
	size_t i;
	uint32_t w;

	for (i = 0; i < WIRE_PROVIDER_COUNT; i++) {
		const struct broker_provider *p = &b->providers[i];

		for (w = 0; p->configured && w < p->worker_count; w++)
			if (!p->workers[w].up)
				return 0;
	}
	return 1;
}
