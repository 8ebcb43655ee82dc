/* Building the number-to-handler table from features, and dispatch. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "emul/handler.h"

void emul_table_init(struct emul_table *t)
{
	memset(t, 0, sizeof(*t));
}

int emul_table_add(struct emul_table *t, const struct emul_feature *f, struct umld_err *err)
{
	for (size_t i = 0; i < f->count; i++) {
		const struct emul_handler *h = &f->handlers[i];
		const struct sc_info *info = sc_by_name(h->name);
		unsigned abis = h->abis ? h->abis : EMUL_ABI_BOTH;

		if (!info)
			return umld_err_set(err, -EINVAL, "feature %s: unknown system call %s",
					    f->name, h->name);
		if (h->exit && !h->needs_ptrace)
			return umld_err_set(err, -EINVAL, "feature %s: %s has an exit hook but "
					    "can be served from a notification", f->name, h->name);
		for (int abi = 0; abi < ABI_COUNT; abi++) {
			int nr = info->nr[abi];

			if (!(abis & (1u << abi)) || nr < 0)
				continue;
			if (t->by_nr[abi][nr] && !t->weak[abi][nr])
				return umld_err_set(err, -EEXIST,
						    "feature %s: %s (%s) is already claimed", f->name,
						    h->name, abi_name(abi));
			if (!t->by_nr[abi][nr])
				t->claimed++;
			t->by_nr[abi][nr] = h;
			t->weak[abi][nr] = f->weak;
		}
	}
	return 0;
}

struct verdict emul_dispatch(const struct emul_table *t, struct emul_ctx *ctx,
			     const struct sc_request *req)
{
	const struct emul_handler *h = emul_table_get(t, req->abi, req->nr);

	if (!h || !h->enter)
		return verdict_pass();
	return h->enter(ctx, req);
}
