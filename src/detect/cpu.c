/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"

static const struct {
        const char *vendor_string;
        enum cpu_vendor vendor;
        const char *virt_flag;
} vendors[] = {
        { "GenuineIntel", CPU_VENDOR_INTEL, "vmx" },
        { "AuthenticAMD", CPU_VENDOR_AMD, "svm" },
        { "HygonGenuine", CPU_VENDOR_AMD, "svm" },
};

static bool has_flag(const char *flags, const char *flag)
{
        size_t len = strlen(flag);

        for (const char *p = flags; (p = strstr(p, flag)); p += len)
                if ((p == flags || p[-1] == ' ' || p[-1] == '\t') &&
                    (p[len] == '\0' || p[len] == ' ' || p[len] == '\t'))
                        return true;
        return false;
}

int detect_cpu(const struct sysroot *sr, struct machine *m)
{
        struct cpu_info *cpu = &m->cpu;
        char *buf, *line, *save = NULL;
        char *flags = NULL;
        int r;

        r = sysroot_read(sr, "proc/cpuinfo", 0, &buf, NULL);
        if (r < 0)
                return detect_warn_file(m, "proc/cpuinfo", r);

        for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(line, ':'), *key, *value;

                if (!colon)
                        continue;
                *colon = '\0';
                key = strip(line);
                value = strip(colon + 1);
                if (strcmp(key, "processor") == 0)
                        cpu->threads++;
                /* The first processor speaks for all: they are the same model. */
                else if (strcmp(key, "vendor_id") == 0 && !cpu->vendor_string)
                        cpu->vendor_string = strdup(value);
                else if (strcmp(key, "model name") == 0 && !cpu->model)
                        cpu->model = strdup(value);
                else if (strcmp(key, "flags") == 0 && !flags)
                        flags = value;
        }

        cpu->known = cpu->vendor_string != NULL;
        for (size_t i = 0; cpu->vendor_string && i < sizeof(vendors) / sizeof(vendors[0]); i++) {
                if (strcmp(cpu->vendor_string, vendors[i].vendor_string) != 0)
                        continue;
                cpu->vendor = vendors[i].vendor;
                if (flags && has_flag(flags, vendors[i].virt_flag))
                        cpu->virt_flag = vendors[i].virt_flag;
        }
        cpu->hypervisor = flags && has_flag(flags, "hypervisor");
        cpu->pdpe1gb = flags && has_flag(flags, "pdpe1gb");
        free(buf);
        if (!cpu->known)
                return strv_push(&m->warnings, "proc/cpuinfo names no CPU vendor");
        return 0;
}
