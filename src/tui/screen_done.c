/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/rom.h"
#include "vfio-setup/strbuf.h"
#include "remedies.h"
#include "wizard_private.h"

/*
 * What comes next, one text per outcome.  The same text is left on the
 * terminal when the wizard ends (the alternate screen goes with it), and
 * after an apply the plan and the guest's libvirt elements are saved where
 * they can be found again.
 */
struct done_view {
        int scroll;             /* of the libvirt elements */
        int text_scroll;        /* of the text, when it is taller than the screen */
        bool xml;               /* they fill the screen (x) */
        bool rom_tried;         /* r read the GPU's video BIOS (what came of it ends the text) */
        char *text;
};

static void step_line(struct strbuf *b, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void step_line(struct strbuf *b, int *n, const char *fmt, ...)
{
        va_list ap;
        char *text;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) >= 0) {
                strbuf_printf(b, "%d. %s\n", (*n)++, text);
                free(text);
        }
        va_end(ap);
}

/* The commands as they are typed on this machine (in a kept demo: with its --root). */
static const char *invocation(const struct wizard *w)
{
        return w->o.invocation ? w->o.invocation : "sudo vfio-setup";
}

/* From the saved domain to the guest system's installer on the screen, then the everyday domain. */
static void guest_steps(const struct wizard *w, struct strbuf *b, int *n)
{
        step_line(b, n, "The guest's libvirt domain " GUEST_DOMAIN_NAME ", which installs its system, is saved: put %s "
                        "installer at /var/lib/libvirt/images/" GUEST_DOMAIN_NAME "-installer.iso, then sudo qemu-img "
                        "create -f qcow2 /var/lib/libvirt/images/" GUEST_DOMAIN_NAME ".qcow2 128G; sudo virsh define "
                        "%s/" SESSION_KEPT_DOMAIN "; sudo virsh start " GUEST_DOMAIN_NAME "; virt-viewer -c "
                        "qemu:///system " GUEST_DOMAIN_NAME " shows it.",
                  w->guest_os == GUEST_WINDOWS ? "Windows 11's" : "the system's", shown_root(w));
        /* One guest per GPU: each its own domain, disk and installer, made the same way. */
        for (size_t i = 0; i < w->more_domains.n; i++)
                step_line(b, n, "The guest of the GPU %s, " GUEST_DOMAIN_NAME "-%zu, the same way: its installer at "
                                "/var/lib/libvirt/images/" GUEST_DOMAIN_NAME "-%zu-installer.iso, its disk "
                                GUEST_DOMAIN_NAME "-%zu.qcow2, sudo virsh define %s/" SESSION_KEPT_DOMAIN_N ".",
                          w->sel.more_gpus.v[i], i + 2, i + 2, i + 2, shown_root(w), i + 2);
        step_line(b, n, "Installed, %s plan --libvirt-domain " GUEST_DOMAIN_NAME " --installed --input "
                        "/dev/input/by-id/NAME... gives the everyday domain (the host's keyboard and mouse; both Ctrl "
                        "keys hand them back). If the guest does not start, %s doctor " GUEST_DOMAIN_NAME " says why.",
                  invocation(w), invocation(w));
}

/* Proxmox VE's guests are qm's: the same choices with the guest's id set its options. */
static void proxmox_steps(const struct wizard *w, struct strbuf *b, int *n)
{
        char *command = selection_command(w);

        step_line(b, n, "On Proxmox VE the guest is a VM of its own: %s --proxmox VMID%s%s (VMID its id, from qm list) "
                        "gives it the devices with qm set (all functions, pcie, x-vga), q35, OVMF with an EFI disk%s, "
                        "CPU type host; vfio-setup plan with the same options shows them first, and undo puts back "
                        "what the VM had.",
                  command ? command : "vfio-setup apply",
                  w->guest_per_gpu && w->sel.more_gpus.n ? " (once per GPU, in the order of --gpu)" : "",
                  w->guest_os == GUEST_LINUX ? " --guest-os linux" : "",
                  w->guest_os == GUEST_WINDOWS ? " and a TPM" : "");
        free(command);
}

static bool commands_started(const struct apply_result *r)
{
        for (size_t i = 0; i < r->n_commands; i++)
                if (r->commands[i].status != -1)
                        return true;
        return false;
}

static void next_steps(const struct wizard *w, struct strbuf *b)
{
        const struct apply_session *s = &w->session;
        const struct machine *m = w->m;
        bool hands_over = w->sel.single_gpu || w->sel.handover;
        char *command = NULL;
        int n = 1;

        switch (w->outcome) {
        case OUTCOME_APPLIED:
                strbuf_printf(b, "The configuration for passthrough is written.\n\nWhat comes next:\n");
                /* Handing over binds nothing at boot: a reboot is only for an IOMMU that is not on yet. */
                if (w->sel.single_gpu || w->sel.handover)
                        step_line(b, &n, "Restart libvirt's daemon, which looks for hooks when it starts: sudo "
                                         "systemctl restart libvirtd (virtqemud where the modular daemons run).");
                if (w->trial)
                        step_line(b, &n, "Reboot. The next boot is a trial: it starts the new setup once, from the boot "
                                         "entry \"" TRIAL_ENTRY_TITLE "\". If anything goes wrong (a black screen, no "
                                         "keyboard, a hang), power off and on: the old setup starts, as at every later "
                                         "boot until you commit.");
                else if (!hands_over || !m->iommu.kernel_active)
                        step_line(b, &n, "Reboot%s", hands_over ? ": the IOMMU is not on yet." : ".");
                if ((!hands_over || !m->iommu.kernel_active) && (!m->iommu.firmware_table || !m->cpu.virt_flag))
                        step_line(b, &n, "On the way, enter the firmware setup and enable virtualization and the "
                                         "IOMMU (Enabled, not Auto): see the Firmware step.");
                if (w->trial)
                        step_line(b, &n, "On the trial's boot run: %s verify --commit  (are the devices bound to "
                                         "vfio-pci, is the IOMMU on? then the setup becomes the default; or run the "
                                         "wizard again, which offers Commit)", invocation(w));
                else
                        step_line(b, &n, "Then run: %s verify  (%s)", invocation(w),
                                  hands_over ? "is the hook in place, the IOMMU on, the group whole?"
                                                    : "are the devices bound to vfio-pci, is the IOMMU on?");
                if (w->m->distro.proxmox_ve)
                        proxmox_steps(w, b, &n);
                else if (w->libvirt_domain)
                        guest_steps(w, b, &n);
                if (w->sel.single_gpu)
                        step_line(b, &n, "Start the guest (sudo virsh start %s): the host's screen goes dark while it "
                                         "runs and comes back when it stops. If it hangs, ssh in and run sudo virsh "
                                         "destroy %s.", w->sel.single_gpu, w->sel.single_gpu);
                else if (w->sel.handover)
                        step_line(b, &n, "Start the guest (sudo virsh start %s): the GPU goes to it, unless a program on "
                                         "the host holds it (the start fails and names it); it comes back when the "
                                         "guest stops. If a guest or the hook was killed, %s release --gpu %s gives it "
                                         "back.", w->sel.handover, invocation(w), w->sel.gpu);
                else if (machine_display_on_only_gpu(m))
                        step_line(b, &n, "The host has no display after the reboot. To get it back: ssh in and run "
                                         "%s undo; or add module_blacklist=vfio_pci to the kernel line at the boot "
                                         "menu for one boot.", invocation(w));
                strbuf_printf(b, "\nTo put every file back as it was: %s undo. To remove passthrough later, or move "
                                 "it to another GPU: run the wizard again.\n", invocation(w));
                break;
        case OUTCOME_REMOVED:
                strbuf_printf(b, "Passthrough is removed from the configuration.\n\nWhat comes next:\n");
                step_line(b, &n, "Reboot: the devices go back to their own drivers.");
                step_line(b, &n, "Then %s detect shows each with its driver.", invocation(w));
                strbuf_printf(b, "\nTo have passthrough back as it was: %s undo.\n", invocation(w));
                break;
        case OUTCOME_NOTHING:
                strbuf_printf(b, "Nothing was changed: the machine is already configured this way.\n\n");
                strbuf_printf(b, "If it has been rebooted since, %s verify says whether the devices are ready.\n",
                              invocation(w));
                break;
        case OUTCOME_COMMITTED:
                strbuf_printf(b, "The trial's setup is the default now: every boot from the next one on starts it, "
                                 "and the trial's boot entry is gone.\n\nTo go back to the trial: %s undo.\n",
                              invocation(w));
                break;
        case OUTCOME_UNDONE:
                strbuf_printf(b, "The last apply is undone: its files hold what they held before.\n\nWhat comes next:\n");
                step_line(b, &n, "Reboot, so that the machine starts from them.");
                break;
        case OUTCOME_FAILED:
                /* What was put back, and what not, is the outcome's to say: it was read back. */
                strbuf_printf(b, "%s failed.\n%s\n", w->undo ? "Undo" : "Apply", s->failure ? s->failure : "");
                if (s->journal)
                        strbuf_printf(b, "Journal: %s%s\n", shown_root(w), s->journal);
                if (s->result.output)
                        strbuf_printf(b, "The commands' output: %s%s\n", shown_root(w), s->result.output);
                strbuf_printf(b, "\nWhat to do now:\n");
                step_line(b, &n, "%s", s->result.output ? "Read the error above; the commands' whole output is kept beside "
                                                          "the journal."
                                                        : "Read the error above.");
                if (s->error == -VS_E_UNTRUSTED)
                        step_line(b, &n, "Make that system's programs root's alone, or start the wizard again as "
                                  "%s --no-regenerate: it then writes the files and lists the commands, for you to run "
                                  "in that system yourself.", invocation(w));
                else
                        step_line(b, &n, "Fix its cause, then run the wizard again.");
                /* Only a command that ran can have left boot files half made; files not put back are named above. */
                if (commands_started(&s->result))
                        strbuf_printf(b, "\nDo not reboot before the boot files are made again without error.\n");
                else if (s->result.checked && !s->result.left.n)
                        strbuf_printf(b, "\nEvery file is as it was before (each read back): the next boot is the "
                                         "same as before.\n");
                break;
        case OUTCOME_NONE:
                break;
        }
        if (w->o.demo && w->o.demo_root)
                strbuf_printf(b, "\nThis was a demo on a sample machine: only its copy in %s was changed; it is "
                                 "kept, and the commands above act on it.\n", w->o.demo_root);
        else if (w->o.demo)
                strbuf_printf(b, "\nThis was a demo on a sample machine: only its copy in %s was changed, and it is "
                                 "removed when the wizard ends (--demo NAME --keep keeps it, to try the commands on "
                                 "it).\n", shown_root(w));
        if (s->journal && w->outcome != OUTCOME_FAILED)
                strbuf_printf(b, "\nJournal: %s%s\n", shown_root(w), s->journal);
        if (s->result.output && w->outcome != OUTCOME_FAILED)
                strbuf_printf(b, "The commands' output: %s%s\n", shown_root(w), s->result.output);
        for (size_t i = 0; i < s->kept.n; i++)
                strbuf_printf(b, "%s %s%s\n", i == 0 ? "Saved:" : "      ", shown_root(w), s->kept.v[i]);
        /* For the next machine, or a script: these choices without the wizard. */
        if ((w->outcome == OUTCOME_APPLIED || w->outcome == OUTCOME_REMOVED) && (command = selection_command(w)))
                strbuf_printf(b, "The same without the wizard: %s\n", command);
        free(command);
}

static int enter(struct wizard *w, void *priv)
{
        struct done_view *v = priv;
        struct strbuf b = { 0 };

        strv_free(&w->session.kept);
        /* A record, not configuration: failing to keep it changes nothing the apply did. */
        if (w->outcome == OUTCOME_APPLIED || w->outcome == OUTCOME_REMOVED)
                session_keep_review(w->sr, &w->session, w->plan_text,
                                    w->outcome == OUTCOME_APPLIED ? w->libvirt_xml : NULL,
                                    w->outcome == OUTCOME_APPLIED ? w->libvirt_domain : NULL);
        /* A guest per GPU: the others' domains beside the first's. */
        for (size_t i = 0; w->outcome == OUTCOME_APPLIED && i < w->more_domains.n; i++) {
                char rel[128];

                snprintf(rel, sizeof(rel), SESSION_KEPT_DOMAIN_N, i + 2);
                (void)session_keep(w->sr, &w->session, rel, w->more_domains.v[i], strlen(w->more_domains.v[i]));
        }
        next_steps(w, &b);
        return strbuf_finish(&b, &v->text);
}

static void release(void *priv)
{
        free(((struct done_view *)priv)->text);
}

/* The GPU's video BIOS can be saved where the setup is for it, once. */
static bool rom_offered(const struct wizard *w, const struct done_view *v)
{
        return !v->rom_tried && w->sel.gpu && !w->sel.release &&
               (w->outcome == OUTCOME_APPLIED || w->outcome == OUTCOME_NOTHING);
}

/* What reading the ROM came to: where it is and how the guest gets it, or why not. */
static char *save_rom(struct wizard *w)
{
        struct rom_info info = { 0 };
        struct rom_io io = { .write_log = w->o.sysfs_log };
        unsigned char *data = NULL;
        char *problem = NULL, *text = NULL, *rel = NULL;
        const struct pci_device *d;
        size_t idx, len = 0;
        int r;

        if (machine_find_device(w->m, w->sel.gpu, &idx) < 0)
                return strdup("Video BIOS: the GPU is not on the PCI bus.");
        d = &w->m->devices[idx];
        r = session_rom_path(d, &rel);
        if (r >= 0)
                r = rom_fetch(w->sr, d, &io, &data, &len, &info, &problem);
        if (remedy_render_in_place(&problem, wizard_remedies) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = session_keep(w->sr, &w->session, rel, data, len);
        if (r >= 0) {
                struct strbuf b = { 0 };

                strbuf_printf(&b, "Video BIOS of %s saved (%zu KiB:", d->address, (len + 1023) / 1024);
                for (size_t i = 0; i < info.n_images; i++)
                        strbuf_printf(&b, "%s %s", i ? "," : "", rom_code_type_name(info.images[i].code_type));
                strbuf_printf(&b, "). For the guest: sudo install -m 0644 %s/%s /usr/share/vgabios/ and, in the "
                                  "GPU's <hostdev>, <rom file='/usr/share/vgabios/gpu-%s.rom'/>.",
                              shown_root(w), rel, d->address);
                if (strbuf_finish(&b, &text) < 0)
                        text = NULL;
        } else if ((r == -VS_E_SELECTION ? asprintf(&text, "Video BIOS: %s.", problem)
                    : r == -ENOENT ? asprintf(&text, "Video BIOS: %s has no ROM the kernel can read.", d->address)
                                   : asprintf(&text, "Video BIOS of %s: %s; the ROM was disabled again.", d->address,
                                              vs_strerror(r))) < 0)
                text = NULL;
        rom_info_free(&info);
        free(rel);
        free(problem);
        free(data);
        return text;
}

static int xml_lines(const struct wizard *w)
{
        int n = 0;

        for (const char *p = w->libvirt_xml; p && *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n'))
                n++;
        return n;
}

/* What the guest's libvirt domain needs: the lines that fit, scrolled. */
static void draw_libvirt(const struct wizard *w, int scroll, struct canvas *c, int y, int bottom)
{
        const char *p = w->libvirt_xml;
        int total = xml_lines(w), line = 0, first, room;

        if (!p || !*p || y + 3 >= bottom)
                return;
        y = canvas_wrap(c, y, 2, c->w - 4, CR_TITLE,
                        strncmp(p, "<!--", 4) == 0 ? "For the guest: add to its domain (virsh edit), where the comments say:"
                                                   : "For the guest: add to its domain's <devices> (virsh edit):");
        first = y;
        room = bottom - first - (total > bottom - first ? 1 : 0);
        while (*p && y < first + room) {
                size_t len = strcspn(p, "\n");

                if (line++ >= scroll)
                        canvas_printf(c, y++, 4, CR_NORMAL, "%.*s",
                                      (int)(len < (size_t)(c->w - 5) ? len : (size_t)(c->w - 5)), p);
                p += len + (p[len] == '\n');
        }
        if (total > room)
                canvas_printf(c, bottom - 1, 4, CR_DIM, "lines %d-%d of %d; Up/Down/PgUp/PgDn scroll", scroll + 1,
                              scroll + (y - first), total);
}

static int draw_text(struct canvas *c, int y, int bottom, const char *text)
{
        for (const char *p = text; *p && y < bottom;) {
                size_t len = strcspn(p, "\n");
                char *line = strndup(p, len);
                enum role_id role = strncmp(p, "Journal:", 8) == 0 || strncmp(p, "Saved:", 6) == 0 ||
                                            strncmp(p, "The commands' output:", 21) == 0 ||
                                            strncmp(p, "The same without", 16) == 0 || *p == ' '
                                            ? CR_DIM
                                            : CR_NORMAL;

                if (!line)
                        return y;
                if (len == 0)
                        y++;
                else
                        y = canvas_wrap(c, y, 2, c->w - 4, p == text ? CR_OK : role, line);
                free(line);
                p += len + (p[len] == '\n');
        }
        return y;
}

static void draw_whole_text(struct canvas *c, const void *text)
{
        draw_text(c, 0, c->h, text);
}

/* The text's height at the last drawing's width. */
static int text_rows(const struct wizard *w, const struct done_view *v)
{
        return canvas_measure(w->width > 0 ? w->width : 80, draw_whole_text, v->text ? v->text : "");
}

static void draw(const struct wizard *w, const void *priv, struct canvas *c, int top, int bottom)
{
        const struct done_view *v = priv;
        int rows;

        if (v->xml) {
                draw_libvirt(w, v->scroll, c, top + 1, bottom);
                return;
        }
        rows = canvas_scrolled(c, top + 1, bottom - top - 1, v->text_scroll, draw_whole_text, v->text ? v->text : "",
                               CANVAS_SCROLL_KEYS);
        /* Inline where there is room for a useful part of them; x shows them whole. */
        if (w->outcome == OUTCOME_APPLIED && w->libvirt_xml && bottom - (top + 1 + rows) > 6)
                draw_libvirt(w, v->scroll, c, top + 1 + rows + 1, bottom);
}

/* The rows the elements get: below the text, or the whole screen (x). */
static int xml_rows(const struct wizard *w, const struct done_view *v)
{
        int rows = w->height - 4 - (v->xml ? 0 : canvas_wrap_rows(w->width - 4, v->text ? v->text : "")) - 3;

        return rows > 1 ? rows - 1 : 1;
}

static enum step_result key(struct wizard *w, void *priv, int k)
{
        struct done_view *v = priv;
        int page = xml_rows(w, v);

        if (k == 'r' && rom_offered(w, v)) {
                char *said = save_rom(w), *more = NULL;
                const char *text = v->text ? v->text : "";
                /* Under the headline, where the screen shows it whatever its height. */
                int head = (int)strcspn(text, "\n");

                v->rom_tried = true;
                v->xml = false;
                if (said && asprintf(&more, "%.*s\n\n%s%s", head, text, said, text + head) >= 0) {
                        free(v->text);
                        v->text = more;
                }
                free(said);
        } else if (k == 'x' && w->outcome == OUTCOME_APPLIED && w->libvirt_xml) {
                v->xml = !v->xml;
                v->scroll = 0;
        } else if (!v->xml && text_rows(w, v) > w->height - 5) {
                int room = w->height - 6;

                list_move(&v->text_scroll, text_rows(w, v) - room, room, k);
        } else
                list_move(&v->scroll, xml_lines(w) - page, page, k);
        return k == WK_ENTER || k == 'n' ? STEP_QUIT : STEP_HOLD;
}

const char *wizard_farewell(const struct wizard *w)
{
        const struct done_view *v = w->priv[STEP_DONE];

        return v ? v->text : NULL;
}

static const char *keys_now(const struct wizard *w, const void *priv)
{
        const struct done_view *v = priv;

        if (w->outcome != OUTCOME_APPLIED || !w->libvirt_xml)
                return rom_offered(w, v) ? "Enter quit  r save video BIOS" : "Enter quit";
        if (v->xml)
                return "Enter quit  x back to the next steps  Up/Down PgUp/PgDn scroll";
        return rom_offered(w, v) ? "Enter quit  x the guest's libvirt elements  r save video BIOS"
                                 : "Enter quit  x the guest's libvirt elements  Up/Down PgUp/PgDn scroll";
}

const struct step_ops done_step = {
        .title = "Done",
        .help = "What to do next, for what happened: after an apply, reboot (in single-GPU mode, restart libvirtd) "
                "and check with verify; r saves the GPU's video BIOS (checked: signature, PCI data structure, ids) to "
                "/var/lib/vfio-setup for a <rom file=.../> in its hostdev, which some cards need; the boot display's "
                "cannot be read faithfully and is refused, saying why; after a removal, "
                "reboot; after a failure, the error and where the output is. The same text stays on the terminal "
                "when the wizard ends. After an apply the reviewed plan and the libvirt elements for the guest's "
                "domain are saved under /var/lib/vfio-setup; x shows the elements on the whole screen, and "
                "Up/Down/PgUp/PgDn scroll them.",
        .keys_now = keys_now,
        .private_size = sizeof(struct done_view),
        .enter = enter,
        .release = release,
        .draw = draw,
        .key = key,
};
