/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/atomic.h"
#include "vfio-setup/detect.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/journal.h"
#include "vfio-setup/session.h"

/* What every session records once the engine is done, whichever way it went. */
static void finish(const struct sysroot *sr, const struct plan *p, const struct apply_options *o, unsigned flags,
                   int r, struct apply_session *s)
{
        s->error = r < 0 ? r : 0;
        if (r < 0 && apply_outcome(r, &s->result, &s->failure) < 0)
                s->failure = NULL;
        if (s->result.seq && asprintf(&s->journal, "/" JOURNAL_DIR "/%04u", s->result.seq) < 0)
                s->journal = NULL;
        for (size_t i = 0; r >= 0 && p && !o->regenerate && i < p->n_commands; i++)
                if (strv_consume(&s->by_hand, shell_command(&p->commands[i])) < 0)
                        break;
        /* What follows (the next steps, a re-run) speaks of the machine as it is now. */
        if ((flags & SESSION_REDETECT) && s->result.wrote && detect_machine(sr, &s->after) < 0)
                s->after = NULL;
}

int session_apply(const struct sysroot *sr, const struct plan *p, const struct apply_options *o, unsigned flags,
                  struct apply_session *ret)
{
        int r;

        *ret = (struct apply_session){ 0 };
        r = apply_plan(sr, p, o, &ret->result);
        finish(sr, p, o, flags, r, ret);
        return r;
}

int session_undo(const struct sysroot *sr, const struct apply_options *o, unsigned flags, struct apply_session *ret)
{
        unsigned seq = 0;
        int r;

        *ret = (struct apply_session){ .undo = true };
        r = undo_last(sr, o, &ret->result, &seq);
        finish(sr, NULL, o, flags, r, ret);
        return r;
}

int session_keep(const struct sysroot *sr, struct apply_session *s, const char *rel, const void *text, size_t len)
{
        int r = atomic_write(sr, rel, text, len, 0644, 0, 0, NULL);

        return r < 0 ? r : strv_pushf(&s->kept, "/%s", rel);
}

void session_keep_review(const struct sysroot *sr, struct apply_session *s, const char *plan_text, const char *xml,
                         const char *domain)
{
        if (plan_text)
                session_keep(sr, s, SESSION_KEPT_PLAN, plan_text, strlen(plan_text));
        if (xml)
                session_keep(sr, s, SESSION_KEPT_XML, xml, strlen(xml));
        if (domain)
                session_keep(sr, s, SESSION_KEPT_DOMAIN, domain, strlen(domain));
}

int session_rom_path(const struct pci_device *d, char **ret)
{
        return asprintf(ret, "var/lib/vfio-setup/gpu-%s.rom", d->address) < 0 ? -ENOMEM : 0;
}

void session_free(struct apply_session *s)
{
        apply_result_free(&s->result);
        free(s->failure);
        free(s->journal);
        strv_free(&s->by_hand);
        strv_free(&s->kept);
        machine_free(s->after);
        *s = (struct apply_session){ 0 };
}
