/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/cmdline.h"
#include "vfio-setup/commands.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/kcmdline.h"
#include "vfio-setup/strbuf.h"

/* The refusals a confirmation lifts, by bit: planning goes on, so that one answer can name them all. */
static const int liftable_codes[] = { -VS_E_DIRTY_GROUP, -VS_E_BOOT_VGA, -VS_E_HOST_DEVICE };

static int liftable(int err)
{
        for (size_t i = 0; i < sizeof(liftable_codes) / sizeof(liftable_codes[0]); i++)
                if (liftable_codes[i] == err)
                        return (int)i;
        return -1;
}

/* Every reason held so far, then text; one reason alone stands as it is. */
static int all_reasons(const struct plan_ctx *ctx, const char *text, char **ret)
{
        struct strbuf b = { 0 };
        size_t n = ctx->held.n + (text != NULL);
        const char *alone = !ctx->held.n ? text : n == 1 ? ctx->held.v[0] : NULL;

        if (alone) {
                *ret = strdup(alone);
                return *ret ? 0 : -ENOMEM;
        }
        strbuf_printf(&b, "%zu reasons:", n);
        for (size_t i = 0; i < ctx->held.n; i++)
                strbuf_printf(&b, "\n  %zu. %s", i + 1, ctx->held.v[i]);
        if (text)
                strbuf_printf(&b, "\n  %zu. %s", n, text);
        return strbuf_finish(&b, ret);
}

int ctx_refuse(struct plan_ctx *ctx, int err, const char *fmt, ...)
{
        char *text;
        va_list ap;
        int n, r, held = liftable(err);

        va_start(ap, fmt);
        n = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        if (held >= 0) {
                ctx->held_codes |= 1u << held;
                return strv_consume(&ctx->held, text);
        }
        free(ctx->reason);
        ctx->reason = NULL;
        r = all_reasons(ctx, text, &ctx->reason);
        free(text);
        return r < 0 ? r : err;
}

int ctx_held_refusals(struct plan_ctx *ctx)
{
        int r;

        if (ctx->held.n == 0)
                return 0;
        free(ctx->reason);
        ctx->reason = NULL;
        r = all_reasons(ctx, NULL, &ctx->reason);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(liftable_codes) / sizeof(liftable_codes[0]); i++)
                if (ctx->held_codes == 1u << i)
                        return liftable_codes[i];
        return -VS_E_CONFIRM;
}

int ctx_take_reason(struct plan_ctx *ctx, int r, char *reason)
{
        if (r == -VS_E_CONFIG) {
                free(ctx->reason);
                ctx->reason = reason;
        } else
                free(reason);
        return r;
}

int ctx_load(struct plan_ctx *ctx, const char *rel, struct textfile *ret)
{
        char *reason = NULL;
        int r = textfile_load(ctx->sr, rel, ret, &reason);

        return ctx_take_reason(ctx, r, reason);
}

static int add_file(struct plan_ctx *ctx, struct plan_file *pf)
{
        struct plan_file *v = realloc(ctx->plan->files, (ctx->plan->n_files + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        ctx->plan->files = v;
        v[ctx->plan->n_files++] = *pf;
        return 0;
}

static bool in_list(const struct strv *l, const char *s)
{
        return strv_contains(l, s);
}

int ctx_commit(struct plan_ctx *ctx, const struct textfile *f, bool *changed)
{
        struct plan_file pf = { 0 };
        size_t len;
        char *content = textfile_content(f, &len);
        bool created_before = in_list(&ctx->m->vfio.tool.created, f->path);
        int r = 0;

        if (!content)
                return -ENOMEM;
        *changed = false;
        /* A file vfio-setup created and has emptied again goes away, as it was. */
        if (len == 0 && (!f->exists || created_before)) {
                free(content);
                if (!f->exists)
                        return 0;
                pf = (struct plan_file){ .path = strdup(f->path), .action = PLAN_DELETE,
                                         .old_content = strdup(f->original), .old_len = f->original_len };
        } else {
                if ((!f->exists && len > 0) || (f->exists && created_before))
                        r = strv_push(&ctx->next.created, f->path);
                if (r < 0 || (f->exists && len == f->original_len && memcmp(content, f->original, len) == 0)) {
                        free(content);
                        return r;
                }
                pf = (struct plan_file){ .path = strdup(f->path), .action = f->exists ? PLAN_MODIFY : PLAN_CREATE,
                                         .old_content = f->exists ? strdup(f->original) : NULL,
                                         .old_len = f->original_len, .new_content = content, .new_len = len };
        }
        if (f->asked && asprintf(&pf.note, "/%s is a link: editing its target /%s", f->asked, f->path) < 0)
                pf.note = NULL;
        if (!pf.path || (f->exists && !pf.old_content) || (f->asked && !pf.note) || add_file(ctx, &pf) < 0) {
                free(pf.path);
                free(pf.old_content);
                free(pf.new_content);
                free(pf.note);
                return -ENOMEM;
        }
        *changed = true;
        return 0;
}

int ctx_seed(struct plan_ctx *ctx, const char *rel, const char *content)
{
        for (size_t i = ctx->plan->n_files; i-- > 0;) {
                struct plan_file *pf = &ctx->plan->files[i];

                if (strcmp(pf->path, rel) != 0 || pf->action != PLAN_CREATE)
                        continue;
                free(pf->seed);
                if (asprintf(&pf->seed, "%s\n", content) < 0) {
                        pf->seed = NULL;
                        return -ENOMEM;
                }
                pf->seed_len = strlen(pf->seed);
                if (!pf->note && asprintf(&pf->note, "/%s is made from the running command line: undo leaves it "
                                                     "holding that line, as without it the boot entries follow "
                                                     "whichever line is running", rel) < 0) {
                        pf->note = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        return 0;
}

int ctx_own_file(struct plan_ctx *ctx, const char *rel, const char *content, bool *changed)
{
        return ctx_own_file_mode(ctx, rel, content, 0, changed);
}

int ctx_own_file_mode(struct plan_ctx *ctx, const char *rel, const char *content, unsigned mode, bool *changed)
{
        struct textfile f = { 0 };
        int r;

        *changed = false;
        r = ctx_load(ctx, rel, &f);
        if (r < 0)
                return r;
        /* Never take over a file of the same name that someone else wrote; a script's mark follows its "#!". */
        if (f.exists && !strstr(f.n > 0 ? f.lines[0].text : "", "vfio-setup") &&
            !(f.n > 1 && startswith(f.lines[0].text, "#!") && strstr(f.lines[1].text, "vfio-setup"))) {
                r = ctx_refuse(ctx, -VS_E_CONFIG, "/%s exists and was not written by vfio-setup; move it away first",
                               f.path);
                textfile_free(&f);
                return r;
        }
        if (!content && !f.exists) {
                textfile_free(&f);
                return 0;
        }
        {
                struct plan_file pf = { 0 };
                bool same = content && f.exists && strlen(content) == f.original_len &&
                            memcmp(content, f.original, f.original_len) == 0;

                if (!same) {
                        pf.path = strdup(f.path);
                        pf.action = !content ? PLAN_DELETE : f.exists ? PLAN_MODIFY : PLAN_CREATE;
                        pf.old_content = f.exists ? strdup(f.original) : NULL;
                        pf.old_len = f.original_len;
                        pf.new_content = content ? strdup(content) : NULL;
                        pf.new_len = content ? strlen(content) : 0;
                        pf.mode = mode;
                        if (!pf.path || (f.exists && !pf.old_content) || (content && !pf.new_content) ||
                            add_file(ctx, &pf) < 0) {
                                free(pf.path);
                                free(pf.old_content);
                                free(pf.new_content);
                                r = -ENOMEM;
                        } else
                                *changed = true;
                }
        }
        textfile_free(&f);
        return r;
}

static int split_token(const char *token, char **ret_key, const char **ret_value)
{
        const char *eq = strchr(token, '=');

        *ret_key = eq ? strndup(token, (size_t)(eq - token)) : strdup(token);
        *ret_value = eq ? eq + 1 : NULL;
        return *ret_key ? 0 : -ENOMEM;
}

static void free_ops(struct cmdline_op *ops, char **keys, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(keys[i]);
        free(keys);
        free(ops);
}

/* SET every wanted parameter (a hand-written vfio-pci.ids too: ids are replaced wherever they are), then DROP. */
static int build_ops(const struct plan_ctx *ctx, const char *line, const char *elsewhere, bool append,
                     struct cmdline_op **ret_ops, char ***ret_keys, size_t *ret_n)
{
        const struct want *w = &ctx->want;
        size_t max = w->params.n + w->drop.n + 1, n = 0;
        struct cmdline_op *ops = calloc(max, sizeof(*ops));
        char **keys = calloc(max, sizeof(*keys));
        bool ids_param = false;
        int r = 0;

        if (!ops || !keys) {
                free(ops);
                free(keys);
                return -ENOMEM;
        }
        for (size_t i = 0; i < w->params.n && r >= 0; i++) {
                r = split_token(w->params.v[i], &keys[n], &ops[n].value);
                if (r < 0)
                        break;
                ids_param |= kcmdline_key_equal(keys[n], "vfio_pci.ids");
                ops[n].kind = append ? CMDLINE_SET : CMDLINE_REPLACE;
                ops[n].key = keys[n];
                /* Already given to the kernel on the other line: only correct a differing value here. */
                if (elsewhere && kcmdline_has(elsewhere, keys[n], ops[n].value))
                        ops[n].kind = CMDLINE_REPLACE;
                n++;
        }
        if (r >= 0 && w->ids && *w->ids && !ids_param && kcmdline_has(line, "vfio_pci.ids", NULL)) {
                ops[n] = (struct cmdline_op){ CMDLINE_SET, "vfio-pci.ids", w->ids };
                n++;
        }
        for (size_t i = 0; i < w->drop.n && r >= 0; i++, n++) {
                r = split_token(w->drop.v[i], &keys[n], &ops[n].value);
                ops[n].kind = CMDLINE_DROP;
                ops[n].key = keys[n];
        }
        if (r < 0) {
                free_ops(ops, keys, n);
                return r;
        }
        *ret_ops = ops;
        *ret_keys = keys;
        *ret_n = n;
        return 0;
}

int ctx_record_params(struct plan_ctx *ctx, const struct strv *added)
{
        int r = 0;

        /* A trial's parameters are on its entry alone: the default line gained none. */
        struct strv *own_params = ctx->trial ? &ctx->next.trial : &ctx->next.params;

        /* Of a list shared with the user only the wanted items (what is left of it when an item goes is the user's). */
        for (size_t i = 0; i < added->n && r >= 0; i++) {
                const char *own = added->v[i], *value;
                char *key;

                r = split_token(added->v[i], &key, &value);
                if (r >= 0 && kcmdline_key_merged(key)) {
                        own = NULL;
                        for (size_t k = 0; k < ctx->want.params.n; k++)
                                if (startswith(ctx->want.params.v[k], key) && ctx->want.params.v[k][strlen(key)] == '=')
                                        own = ctx->want.params.v[k];
                }
                if (r >= 0 && own && !strv_contains(own_params, own))
                        r = strv_push(own_params, own);
                free(key);
        }
        return r;
}

static bool quotes_closed(const char *line)
{
        size_t quotes = 0;

        for (const char *p = strchr(line, '"'); p; p = strchr(p + 1, '"'))
                quotes++;
        return quotes % 2 == 0;
}

int ctx_edit_cmdline(struct plan_ctx *ctx, const char *line, const char *elsewhere, bool append, char **ret)
{
        struct strv added = { 0 }, removed = { 0 };
        struct cmdline_op *ops;
        char **keys;
        size_t n;
        int r;

        /* The kernel reads everything after an open quote as one value: no parameter could be added after it. */
        if (!quotes_closed(line))
                return ctx_refuse(ctx, -VS_E_CONFIG, "a kernel command line has a quote that is not closed (%s): the "
                                  "kernel would read what follows as one value; close it first", line);
        r = build_ops(ctx, line, elsewhere, append, &ops, &keys, &n);
        if (r < 0)
                return r;
        r = cmdline_edit(line, ops, n, ret, &added, &removed);
        free_ops(ops, keys, n);
        if (r >= 0)
                r = strv_merge(&ctx->plan->params_add, &added);
        if (r >= 0)
                r = strv_merge(&ctx->plan->params_remove, &removed);
        if (r >= 0)
                r = ctx_record_params(ctx, &added);
        strv_free(&added);
        strv_free(&removed);
        return r;
}

bool ctx_cmdline_done(const struct plan_ctx *ctx, const char *line)
{
        char *edited = NULL;
        bool same;
        struct plan_ctx probe = *ctx;
        struct plan scratch = { 0 };

        /* Edit a copy on a scratch plan: nothing is recorded (a refusal held for later leaves no line). */
        probe.plan = &scratch;
        probe.next = (struct tool_state){ 0 };
        probe.held = (struct strv){ 0 };
        probe.reason = NULL;
        if (ctx_edit_cmdline(&probe, line, NULL, true, &edited) < 0 || !edited) {
                strv_free(&probe.held);
                free(probe.reason);
                state_free(&probe.next);
                return false;
        }
        same = strcmp(edited, line) == 0;
        free(edited);
        strv_free(&scratch.params_add);
        strv_free(&scratch.params_remove);
        strv_free(&probe.held);
        free(probe.reason);
        state_free(&probe.next);
        return same;
}

int ctx_command_first(struct plan_ctx *ctx, const struct regenerator *table, size_t n, bool *found)
{
        *found = false;
        for (size_t i = 0; i < n; i++)
                if (sysroot_exists(ctx->sr, table[i].exists)) {
                        const char *const *a = table[i].argv;

                        *found = true;
                        return ctx_command(ctx, a[0], a[1], a[2], a[3], (char *)NULL);
                }
        return 0;
}

int ctx_command_undo(struct plan_ctx *ctx, struct strv *argv, struct strv *undo)
{
        struct strv *v, *u;

        /* What a plan runs is in the table undo checks journals against: nothing else can be emitted. */
        if (!command_known(argv) || (undo->n && !command_known(undo))) {
                strv_free(argv);
                strv_free(undo);
                return -EINVAL;
        }

        for (size_t i = 0; i < ctx->plan->n_commands; i++) {
                char *a = strv_join(&ctx->plan->commands[i], "\x1f"), *b = strv_join(argv, "\x1f");
                bool same = a && b && strcmp(a, b) == 0;

                free(a);
                free(b);
                if (same) {
                        strv_free(argv);
                        strv_free(undo);
                        return 0;
                }
        }
        v = realloc(ctx->plan->commands, (ctx->plan->n_commands + 1) * sizeof(*v));
        if (v)
                ctx->plan->commands = v;
        u = v ? realloc(ctx->plan->undo_commands, (ctx->plan->n_commands + 1) * sizeof(*u)) : NULL;
        if (u)
                ctx->plan->undo_commands = u;
        if (!v || !u) {
                strv_free(argv);
                strv_free(undo);
                return -ENOMEM;
        }
        v[ctx->plan->n_commands] = *argv;
        u[ctx->plan->n_commands++] = *undo;
        *argv = (struct strv){ 0 };
        *undo = (struct strv){ 0 };
        return 0;
}

int ctx_command_undo_words(struct plan_ctx *ctx, const char *const *argv, const char *const *undo)
{
        struct strv a = { 0 }, u = { 0 };
        int r = 0;

        for (; *argv && r >= 0; argv++)
                r = strv_push(&a, *argv);
        for (; *undo && r >= 0; undo++)
                r = strv_push(&u, *undo);
        if (r < 0) {
                strv_free(&a);
                strv_free(&u);
                return r;
        }
        return ctx_command_undo(ctx, &a, &u);
}

int ctx_command(struct plan_ctx *ctx, const char *arg0, ...)
{
        struct strv argv = { 0 }, none = { 0 };
        va_list ap;
        int r = strv_push(&argv, arg0);

        va_start(ap, arg0);
        for (const char *a = va_arg(ap, const char *); a && r >= 0; a = va_arg(ap, const char *))
                r = strv_push(&argv, a);
        va_end(ap);
        if (r < 0) {
                strv_free(&argv);
                return r;
        }
        return ctx_command_undo(ctx, &argv, &none);
}

static int vpush(struct strv *l, const char *fmt, va_list ap)
{
        char *s;

        if (vasprintf(&s, fmt, ap) < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

int ctx_warn(struct plan_ctx *ctx, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vpush(&ctx->plan->warnings, fmt, ap);
        va_end(ap);
        return r;
}

int ctx_manual(struct plan_ctx *ctx, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vpush(&ctx->plan->manual, fmt, ap);
        va_end(ap);
        return r;
}

int ctx_note_module(struct plan_ctx *ctx, const char *module)
{
        return strv_contains(&ctx->next.modules, module) ? 0 : strv_push(&ctx->next.modules, module);
}

char *ctx_params_text(const struct plan_ctx *ctx)
{
        return strv_join(&ctx->want.params, " ");
}
