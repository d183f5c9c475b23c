/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "vfio-setup/cmdline.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/kcmdline.h"

#define CONFIG "etc/kernelstub/configuration"

/*
 * Pop!_OS: kernelstub owns the systemd-boot entries and keeps the options in
 * its JSON configuration ("user" section, made from "default").  It is told
 * what to add (-a) and delete (-d); -a only adds what is not there yet, so a
 * parameter whose value changes is deleted first.
 */
static int current_options(struct plan_ctx *ctx, char **ret)
{
        json_object *doc, *section, *options;
        struct textfile f = { 0 };
        struct strv words = { 0 };
        int r;

        r = ctx_load(ctx, CONFIG, &f);
        if (r < 0)
                return r;
        doc = json_tokener_parse(f.original);
        if (!doc || (!json_object_object_get_ex(doc, "user", &section) && !json_object_object_get_ex(doc, "default", &section)) ||
            !json_object_object_get_ex(section, "kernel_options", &options) || !json_object_is_type(options, json_type_array)) {
                json_object_put(doc);
                r = ctx_refuse(ctx, -VS_E_CONFIG, "/%s: no kernel_options list in its \"user\" or \"default\" section", f.path);
                textfile_free(&f);
                return r;
        }
        for (size_t i = 0; i < json_object_array_length(options) && r >= 0; i++)
                r = strv_push(&words, json_object_get_string(json_object_array_get_idx(options, i)));
        json_object_put(doc);
        textfile_free(&f);
        if (r >= 0 && !(*ret = strv_join(&words, " ")))
                r = -ENOMEM;
        strv_free(&words);
        return r;
}

static int emit_kernelstub(struct plan_ctx *ctx)
{
        struct strv add = { 0 }, del = { 0 };
        char *options = NULL, *joined;
        int r;

        r = current_options(ctx, &options);
        for (size_t i = 0; i < ctx->want.params.n && r >= 0; i++) {
                char *key, *value;

                if ((r = kcmdline_parse_token(ctx->want.params.v[i], &key, &value)) < 0)
                        break;
                if (!kcmdline_has(options, key, value)) {
                        r = strv_push(&add, ctx->want.params.v[i]);
                        /* The same name with another value goes first. */
                        struct strv words = { 0 };
                        if (r >= 0 && (r = kcmdline_split(options, &words)) >= 0)
                                for (size_t k = 0; k < words.n && r >= 0; k++) {
                                        char *wk, *wv;
                                        if ((r = kcmdline_parse_token(words.v[k], &wk, &wv)) < 0)
                                                break;
                                        if (kcmdline_key_equal(wk, key))
                                                r = strv_push(&del, words.v[k]);
                                        free(wk);
                                        free(wv);
                                }
                        strv_free(&words);
                }
                free(key);
                free(value);
        }
        for (size_t i = 0; i < ctx->want.drop.n && r >= 0; i++) {
                char *key, *value;

                if ((r = kcmdline_parse_token(ctx->want.drop.v[i], &key, &value)) < 0)
                        break;
                if (kcmdline_has(options, key, value) && !strv_contains(&del, ctx->want.drop.v[i]))
                        r = strv_push(&del, ctx->want.drop.v[i]);
                free(key);
                free(value);
        }
        if (r >= 0 && del.n > 0) {
                joined = strv_join(&del, " ");
                r = joined ? ctx_command(ctx, "kernelstub", "-d", joined, (char *)NULL) : -ENOMEM;
                free(joined);
        }
        if (r >= 0 && add.n > 0) {
                joined = strv_join(&add, " ");
                r = joined ? ctx_command(ctx, "kernelstub", "-a", joined, (char *)NULL) : -ENOMEM;
                free(joined);
        }
        if (r >= 0)
                r = strv_merge(&ctx->plan->params_add, &add);
        if (r >= 0)
                r = strv_merge(&ctx->next.params, &add);
        if (r >= 0)
                r = strv_merge(&ctx->plan->params_remove, &del);
        free(options);
        strv_free(&add);
        strv_free(&del);
        return r;
}

const struct emitter kernelstub_emitter = {
        emit_kernelstub,
        .no_trial = "kernelstub keeps one entry for the current kernel and one for the previous, with the same "
                    "options, and sets no one-time boot",
};
