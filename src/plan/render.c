/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/diff.h"
#include "vfio-setup/errors.h"
#include "vfio-setup/escape.h"
#include "vfio-setup/json.h"
#include "vfio-setup/plan.h"
#include "vfio-setup/strbuf.h"

static const char *const action_names[] = {
        [PLAN_CREATE] = "create",
        [PLAN_MODIFY] = "modify",
        [PLAN_DELETE] = "delete",
};

static json_object *strings(const struct strv *l)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < l->n; i++)
                if (json_object_array_add(a, json_object_new_string(l->v[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

static json_object *cpus(const unsigned *v, size_t n)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; a && i < n; i++)
                if (json_object_array_add(a, json_object_new_int((int)v[i])) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

/* The gaming goal's decisions, or null without it: hugepages and the pinning by vCPU. */
static json_object *gaming(const struct plan *p)
{
        json_object *o;

        if (!p->vm_memory_mib && !p->pinning.n_guest)
                return NULL;
        o = json_object_new_object();
        if (o && (json_object_object_add(o, "memory_mib", json_object_new_int64((int64_t)p->vm_memory_mib)) < 0 ||
                  json_object_object_add(o, "hugepage_kib", json_object_new_int64((int64_t)p->hugepage_kib)) < 0 ||
                  json_object_object_add(o, "vcpu_pins", cpus(p->pinning.guest, p->pinning.n_guest)) < 0 ||
                  json_object_object_add(o, "host_cpus", cpus(p->pinning.host, p->pinning.n_host)) < 0 ||
                  json_object_object_add(o, "threads_per_core", json_object_new_int((int)p->pinning.threads)) < 0)) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

/* What undo of the applied plan runs: [] where it only regenerates from the files it put back. */
static int commands_json(const struct plan *p, json_object **ret)
{
        struct strv *v;
        size_t n;
        json_object *a;
        int r;

        r = commands_for_undo(p->commands, p->undo_commands, p->n_commands, &v, &n);
        if (r < 0)
                return r;
        a = json_object_new_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_object_array_add(a, strings(&v[i])) < 0) {
                        json_object_put(a);
                        a = NULL;
                }
        commands_free(v, n);
        *ret = a;
        return a ? 0 : -ENOMEM;
}

int plan_to_json(const struct plan *p, char **ret)
{
        json_object *root = json_object_new_object(), *params = json_object_new_object(), *files = json_object_new_array(),
                    *commands = json_object_new_array(), *undo = NULL;
        bool ok = root && params && files && commands;

        ok = ok && json_object_object_add(params, "add", strings(&p->params_add)) == 0 &&
             json_object_object_add(params, "remove", strings(&p->params_remove)) == 0;
        for (size_t i = 0; ok && i < p->n_files; i++) {
                const struct plan_file *f = &p->files[i];
                json_object *o = json_object_new_object();
                char *path = NULL;

                ok = o && asprintf(&path, "/%s", f->path) >= 0 &&
                     json_object_object_add(o, "path", json_object_new_string(path)) == 0 &&
                     json_object_object_add(o, "action", json_object_new_string(action_names[f->action])) == 0 &&
                     json_object_object_add(o, "content", f->new_content ? json_object_new_string_len(f->new_content,
                                                                                                      (int)f->new_len)
                                                                         : NULL) == 0 &&
                     json_object_object_add(o, "note", f->note ? json_object_new_string(f->note) : NULL) == 0 &&
                     json_object_object_add(o, "mode", json_object_new_int((int)(f->mode ? f->mode : 0644))) == 0 &&
                     json_object_array_add(files, o) == 0;
                free(path);
                if (!ok)
                        json_object_put(o);
        }
        for (size_t i = 0; ok && i < p->n_commands; i++)
                ok = json_object_array_add(commands, strings(&p->commands[i])) == 0;
        ok = ok && commands_json(p, &undo) == 0;
        ok = ok && json_object_object_add(root, "release", json_object_new_boolean(p->release)) == 0 &&
             json_object_object_add(root, "kernel_params", params) == 0 &&
             json_object_object_add(root, "vfio_ids", strings(&p->vfio_ids)) == 0 &&
             json_object_object_add(root, "devices", strings(&p->devices)) == 0 &&
             json_object_object_add(root, "by_address", strings(&p->by_address)) == 0 &&
             json_object_object_add(root, "disks", strings(&p->disks)) == 0 &&
             json_object_object_add(root, "single_gpu", p->single_gpu ? json_object_new_string(p->single_gpu) : NULL) == 0 &&
             json_object_object_add(root, "handover", p->handover ? json_object_new_string(p->handover) : NULL) == 0 &&
             json_object_object_add(root, "trial", json_object_new_boolean(p->trial)) == 0 &&
             json_object_object_add(root, "trial_entry", p->trial_entry ? json_object_new_string(p->trial_entry) : NULL) == 0 &&
             json_object_object_add(root, "commit", json_object_new_boolean(p->commit)) == 0 &&
             json_object_object_add(root, "gaming", gaming(p)) == 0 &&
             json_object_object_add(root, "files", files) == 0 &&
             json_object_object_add(root, "remove_dirs", strings(&p->remove_dirs)) == 0 &&
             json_object_object_add(root, "commands", commands) == 0 &&
             json_object_object_add(root, "undo_commands", undo) == 0 &&
             json_object_object_add(root, "warnings", strings(&p->warnings)) == 0 &&
             json_object_object_add(root, "manual", strings(&p->manual)) == 0;
        if (!ok) {
                /* What was not attached to root yet is freed on its own. */
                if (!json_object_object_get_ex(root, "kernel_params", NULL))
                        json_object_put(params);
                if (!json_object_object_get_ex(root, "files", NULL))
                        json_object_put(files);
                if (!json_object_object_get_ex(root, "commands", NULL))
                        json_object_put(commands);
                if (!json_object_object_get_ex(root, "undo_commands", NULL))
                        json_object_put(undo);
                json_object_put(root);
                return -VS_E_JSON;
        }
        return json_finish(root, ret);
}

static void list(struct strbuf *b, const struct strv *l, const char *empty)
{
        for (size_t i = 0; i < l->n; i++)
                strbuf_printf(b, "%s%s", i ? " " : "", l->v[i]);
        if (l->n == 0)
                strbuf_printf(b, "%s", empty);
}

/* A shell-ready rendering of an argv: arguments with spaces in single quotes. */
static void command(struct strbuf *b, const char *lead, const struct strv *argv, const char *tail)
{
        char *line = shell_command(argv);

        strbuf_printf(b, "%s %s%s\n", lead, line ? line : "", tail);
        free(line);
}

/* Context enough for one hunk over a whole file. */
#define WHOLE (1u << 30)

static void file(struct strbuf *b, const struct plan_file *f)
{
        char *diff = NULL;

        if (f->note)
                strbuf_printf(b, "(%s)\n", f->note);
        switch (f->action) {
        case PLAN_CREATE:
                if (f->mode)
                        strbuf_printf(b, "New file /%s (mode %04o):\n", f->path, f->mode);
                else
                        strbuf_printf(b, "New file /%s:\n", f->path);
                b->err = b->err ? b->err : diff_unified("", 0, f->new_content, f->new_len, WHOLE, &diff);
                break;
        case PLAN_DELETE:
                strbuf_printf(b, "Delete /%s:\n", f->path);
                b->err = b->err ? b->err : diff_unified(f->old_content, f->old_len, "", 0, WHOLE, &diff);
                break;
        case PLAN_MODIFY:
                strbuf_printf(b, "--- /%s\n+++ /%s\n", f->path, f->path);
                b->err = b->err ? b->err : diff_unified(f->old_content, f->old_len, f->new_content, f->new_len, 3, &diff);
                break;
        }
        /* A whole file's lines, without the lone hunk header. */
        if (diff && f->action != PLAN_MODIFY && strncmp(diff, "@@", 2) == 0 && strchr(diff, '\n'))
                strbuf_printf(b, "%s\n", strchr(diff, '\n') + 1);
        else if (diff)
                strbuf_printf(b, "%s\n", diff);
        free(diff);
}

int plan_to_text(const struct plan *p, char **ret)
{
        struct strbuf b = { 0 };

        if (p->release)
                strbuf_printf(&b, "Plan: remove the GPU passthrough vfio-setup set up\n");
        else if (p->single_gpu) {
                strbuf_printf(&b, "Plan: single-GPU mode: the host keeps ");
                list(&b, &p->devices, "nothing");
                strbuf_printf(&b, " and hands them to vfio-pci only while guest %s runs\n", p->single_gpu);
        } else if (p->handover) {
                strbuf_printf(&b, "Plan: handover: the host keeps ");
                list(&b, &p->devices, "nothing");
                strbuf_printf(&b, " and its display; guest %s gets them while it runs and gives them back when it "
                                  "stops\n", p->handover);
        } else {
                strbuf_printf(&b, "Plan: bind ");
                list(&b, &p->devices, "nothing");
                strbuf_printf(&b, " to vfio-pci (ids ");
                list(&b, &p->vfio_ids, "none");
                if (p->by_address.n) {
                        strbuf_printf(&b, "; by address ");
                        list(&b, &p->by_address, "");
                }
                strbuf_printf(&b, ")\n");
        }
        strbuf_printf(&b, "Kernel parameters: add ");
        list(&b, &p->params_add, "nothing");
        strbuf_printf(&b, "; remove ");
        list(&b, &p->params_remove, "nothing");
        strbuf_printf(&b, "\n");
        if (p->trial && p->trial_entry)
                strbuf_printf(&b, "Trial: these parameters go on a boot entry of their own (%s), which the next boot "
                                  "starts once; the default entry stays as it is, and so does every later boot until "
                                  "the setup is committed.\n", p->trial_entry);
        else if (p->commit)
                strbuf_printf(&b, "Commit: the trial's setup becomes the default, and its boot entry goes.\n");
        strbuf_printf(&b, "\n");
        if (plan_empty(p) && p->manual.n)
                strbuf_printf(&b, "Nothing to change in the files vfio-setup writes; the steps below are yours to do by hand.\n\n");
        else if (plan_empty(p) && p->trial)
                strbuf_printf(&b, "Nothing to change: this trial is armed already, or this boot is it (vfio-setup "
                                  "verify says which).\n\n");
        else if (plan_empty(p))
                strbuf_printf(&b, "Nothing to change: the machine is already set up this way.\n\n");
        for (size_t i = 0; i < p->n_files; i++)
                file(&b, &p->files[i]);
        for (size_t i = 0; i < p->remove_dirs.n; i++)
                strbuf_printf(&b, "%s /%s%s", i ? "," : "Then remove the directories vfio-setup made, where empty:",
                              p->remove_dirs.v[i], i + 1 == p->remove_dirs.n ? "\n\n" : "");
        if (p->n_commands)
                strbuf_printf(&b, "Then run, in this order:\n");
        for (size_t i = 0; i < p->n_commands; i++) {
                command(&b, " ", &p->commands[i], "");
                if (p->undo_commands[i].n)
                        command(&b, "    (undo runs", &p->undo_commands[i], ")");
        }
        if (p->n_commands)
                strbuf_printf(&b, "\n");
        if (p->warnings.n)
                strbuf_printf(&b, "Warnings:\n");
        for (size_t i = 0; i < p->warnings.n; i++)
                strbuf_printf(&b, "  - %s\n", p->warnings.v[i]);
        if (p->manual.n)
                strbuf_printf(&b, "%sTo do by hand:\n", p->warnings.n ? "\n" : "");
        for (size_t i = 0; i < p->manual.n; i++)
                strbuf_printf(&b, "  - %s\n", p->manual.v[i]);
        return strbuf_finish(&b, ret);
}
