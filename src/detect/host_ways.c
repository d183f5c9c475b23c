/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfio-setup/detect.h"
#include "vfio-setup/pciaddr.h"
#include "vfio-setup/strbuf.h"

/*
 * How the user reaches the host: the network controllers of the default routes and of running
 * ssh sessions, the only network controller, the controllers of keyboards and pointers, the only
 * USB controller, the GPUs that drive a screen now.  Every class device (sys/class/net, input,
 * drm) is a link into the device tree, and the deepest PCI device on its path carries it: a
 * USB keyboard's input device lies below its USB controller, a USB network adapter's interface
 * too, a monitor's connector below its GPU.
 */
#define MAX_PER_DEVICE 8
#define LOWER_DEPTH 4           /* a VLAN on a bond of bridge ports */
#define RTF_UP 0x0001
#define RTF_REJECT 0x0200

struct route4 {
        char iface[32];
        unsigned long dest, mask;
        unsigned metric;
};

struct route6 {
        char iface[32];
        unsigned char dest[16];
        unsigned plen;
};

struct routes {
        struct route4 *v4;
        size_t n4;
        struct route6 *v6;
        size_t n6;
};

/* The PCI device that carries a class device: the last PCI address on its link's path. */
static int carrier(const struct sysroot *sr, const struct machine *m, const char *link, size_t *ret)
{
        char *target, *save = NULL;
        bool found = false;
        int r = sysroot_readlink(sr, link, &target);

        if (r < 0)
                return r;
        for (char *part = strtok_r(target, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                size_t idx;

                if (strchr(part, ':') && machine_find_device(m, part, &idx) == 0) {
                        *ret = idx;
                        found = true;
                }
        }
        free(target);
        return found ? 0 : -ENOENT;
}

static int push_capped(struct strv *l, const char *s)
{
        return l->n >= MAX_PER_DEVICE || strv_contains(l, s) ? 0 : strv_push(l, s);
}

static int network_interfaces(const struct sysroot *sr, struct machine *m)
{
        struct strv names = { 0 };
        int r = sysroot_list(sr, "sys/class/net", &names);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                char link[320];
                size_t dev;

                snprintf(link, sizeof(link), "sys/class/net/%s", names.v[i]);
                if (carrier(sr, m, link, &dev) == 0)
                        r = push_capped(&m->devices[dev].net_ifaces, names.v[i]);
        }
        strv_free(&names);
        return r == -ENOMEM ? r : 0;
}

/* The interface and those below it (a bridge's ports, a bond's slaves, a VLAN's parent). */
static int with_lowers(const struct sysroot *sr, const char *iface, int depth, struct strv *out)
{
        struct strv names = { 0 };
        char dir[320];
        int r;

        if (strv_contains(out, iface))
                return 0;
        r = strv_push(out, iface);
        snprintf(dir, sizeof(dir), "sys/class/net/%s", iface);
        if (r < 0 || depth >= LOWER_DEPTH || sysroot_list(sr, dir, &names) < 0)
                return r;
        for (size_t i = 0; i < names.n && r >= 0; i++)
                if (startswith(names.v[i], "lower_") && names.v[i][6])
                        r = with_lowers(sr, names.v[i] + 6, depth + 1, out);
        strv_free(&names);
        return r;
}

static bool parse_hex_bytes(const char *hex, unsigned char *out, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned v;

                if (sscanf(hex + 2 * i, "%2x", &v) != 1)
                        return false;
                out[i] = (unsigned char)v;
        }
        return true;
}

/* proc/net/route and proc/net/ipv6_route (the kernel's formats: fib_route_seq_show, ipv6_route_native_seq_show). */
static int read_routes(const struct sysroot *sr, struct machine *m, struct routes *rt)
{
        char *text, *line, *save = NULL;

        if (sysroot_read(sr, "proc/net/route", 1u << 20, &text, NULL) == 0) {
                m->net.known = true;
                for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        struct route4 r4 = { 0 };
                        unsigned flags;

                        if (sscanf(line, "%31s %lx %*x %x %*d %*u %u %lx", r4.iface, &r4.dest, &flags, &r4.metric,
                                   &r4.mask) != 5 || !(flags & RTF_UP) || (flags & RTF_REJECT))
                                continue;
                        struct route4 *v = reallocarray(rt->v4, rt->n4 + 1, sizeof(*v));

                        if (!v) {
                                free(text);
                                return -ENOMEM;
                        }
                        rt->v4 = v;
                        v[rt->n4++] = r4;
                }
                free(text);
        }
        save = NULL;
        if (sysroot_read(sr, "proc/net/ipv6_route", 1u << 20, &text, NULL) < 0)
                return 0;
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char dest[40], iface[32];
                struct route6 r6 = { 0 };
                unsigned flags;

                if (sscanf(line, "%32s %x %*s %*x %*s %*x %*x %*x %x %31s", dest, &r6.plen, &flags, iface) != 4 ||
                    strlen(dest) != 32 || !parse_hex_bytes(dest, r6.dest, 16) || !(flags & RTF_UP) ||
                    (flags & RTF_REJECT) || strcmp(iface, "lo") == 0 || r6.plen > 128)
                        continue;
                snprintf(r6.iface, sizeof(r6.iface), "%s", iface);
                struct route6 *v = reallocarray(rt->v6, rt->n6 + 1, sizeof(*v));

                if (!v) {
                        free(text);
                        return -ENOMEM;
                }
                rt->v6 = v;
                v[rt->n6++] = r6;
        }
        free(text);
        return 0;
}

static unsigned bits(unsigned long mask)
{
        return (unsigned)__builtin_popcountl(mask);
}

/* The interface a packet to addr leaves by: the longest prefix, then the lowest metric. */
static const char *lookup4(const struct routes *rt, unsigned long addr)
{
        const struct route4 *best = NULL;

        for (size_t i = 0; i < rt->n4; i++) {
                const struct route4 *r = &rt->v4[i];

                if ((addr & r->mask) != r->dest)
                        continue;
                if (!best || bits(r->mask) > bits(best->mask) ||
                    (bits(r->mask) == bits(best->mask) && r->metric < best->metric))
                        best = r;
        }
        return best ? best->iface : NULL;
}

static bool prefix_match(const unsigned char *a, const unsigned char *b, unsigned plen)
{
        unsigned whole = plen / 8, rest = plen % 8;

        if (memcmp(a, b, whole) != 0)
                return false;
        return !rest || ((a[whole] ^ b[whole]) & (0xff00 >> rest)) == 0;
}

static const char *lookup6(const struct routes *rt, const unsigned char *addr)
{
        const struct route6 *best = NULL;

        for (size_t i = 0; i < rt->n6; i++)
                if (prefix_match(addr, rt->v6[i].dest, rt->v6[i].plen) && (!best || rt->v6[i].plen > best->plen))
                        best = &rt->v6[i];
        return best ? best->iface : NULL;
}

/* The ports sshd listens on: sshd_config's Port lines, or 22. */
static int ssh_ports(const struct sysroot *sr, unsigned *ports, size_t max, size_t *ret_n)
{
        static const char *const files[] = { "etc/ssh/sshd_config" };
        size_t n = 0;

        for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
                char *text, *line, *save = NULL;
                int r = sysroot_read(sr, files[f], 1u << 20, &text, NULL);

                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                for (line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save)) {
                        unsigned port;
                        char word[8];

                        if (sscanf(line, " %7s %u", word, &port) == 2 && strcasecmp(word, "port") == 0 && port &&
                            port < 65536)
                                ports[n++] = port;
                }
                free(text);
        }
        if (n == 0)
                ports[n++] = 22;
        *ret_n = n;
        return 0;
}

static int add_peer(struct machine *m, const char *peer, const char *iface)
{
        char text[128];

        if (!iface)
                return 0;
        snprintf(text, sizeof(text), "%s over %s", peer, iface);
        return push_capped(&m->net.ssh_peers, text);
}

/*
 * Established connections to sshd (proc/net/tcp, tcp6: tcp4_seq_show, tcp6_seq_show), and the
 * interface each peer is reached by.  Addresses are the kernel's 32-bit words in host order,
 * as routes are: compared as they stand.
 */
static int ssh_sessions(const struct sysroot *sr, struct machine *m, const struct routes *rt)
{
        static const char *const files[] = { "proc/net/tcp", "proc/net/tcp6" };
        unsigned ports[16];
        size_t n_ports;
        int r = ssh_ports(sr, ports, 16, &n_ports);

        for (size_t f = 0; f < 2 && r >= 0; f++) {
                char *text, *line, *save = NULL;

                if (sysroot_read(sr, files[f], 4u << 20, &text, NULL) < 0)
                        continue;
                for (line = strtok_r(text, "\n", &save); line && r >= 0; line = strtok_r(NULL, "\n", &save)) {
                        char local[40], remote[40], peer[64];
                        unsigned lport, rport, state, words[4];
                        bool ours = false;

                        if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x", local, &lport, remote, &rport,
                                   &state) != 5 || state != 1)
                                continue;
                        for (size_t k = 0; k < n_ports; k++)
                                ours |= ports[k] == lport;
                        if (!ours)
                                continue;
                        if (strlen(remote) == 8) {
                                unsigned long a = strtoul(remote, NULL, 16);

                                snprintf(peer, sizeof(peer), "%lu.%lu.%lu.%lu", a & 0xff, a >> 8 & 0xff, a >> 16 & 0xff,
                                         a >> 24 & 0xff);
                                r = add_peer(m, peer, lookup4(rt, a));
                                continue;
                        }
                        if (strlen(remote) != 32 ||
                            sscanf(remote, "%8x%8x%8x%8x", &words[0], &words[1], &words[2], &words[3]) != 4)
                                continue;
                        unsigned char b[16];

                        for (int w = 0; w < 4; w++)
                                for (int k = 0; k < 4; k++)
                                        b[w * 4 + k] = (unsigned char)(words[w] >> (8 * k));
                        /* An IPv4 peer of a dual-stack socket: ::ffff:a.b.c.d. */
                        if (words[0] == 0 && words[1] == 0 && words[2] == 0xffff0000u) {
                                snprintf(peer, sizeof(peer), "%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
                                r = add_peer(m, peer, lookup4(rt, words[3]));
                        } else {
                                snprintf(peer, sizeof(peer), "%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1],
                                         b[2] << 8 | b[3], b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9],
                                         b[10] << 8 | b[11], b[12] << 8 | b[13], b[14] << 8 | b[15]);
                                r = add_peer(m, peer, lookup6(rt, b));
                        }
                }
                free(text);
        }
        return r;
}

/* Bit `bit` of a sysfs capability bitmap: hex words, most significant first, 64 bits each. */
static bool cap_bit(const char *bitmap, unsigned bit)
{
        struct strv words = { 0 };
        char *copy = strdup(bitmap), *save = NULL;
        bool set = false;

        for (char *w = copy ? strtok_r(copy, " \n", &save) : NULL; w; w = strtok_r(NULL, " \n", &save))
                if (strv_push(&words, w) < 0)
                        break;
        if (bit / 64 < words.n)
                set = (strtoull(words.v[words.n - 1 - bit / 64], NULL, 16) >> (bit % 64)) & 1;
        strv_free(&words);
        free(copy);
        return set;
}

static char *capability(const struct sysroot *sr, const char *dev, const char *name)
{
        char path[320], *value = NULL;

        snprintf(path, sizeof(path), "%s/capabilities/%s", dev, name);
        return sysroot_read_line(sr, path, &value) == 0 ? value : NULL;
}

/*
 * A keyboard has the letter keys (KEY_Q..KEY_P, 16..25); a pointer moves (EV_REL with REL_X and
 * REL_Y) or is touched (EV_ABS with BTN_TOUCH): linux/input-event-codes.h.  A gamepad is neither,
 * and the host is not reached through it.
 */
static bool host_input(const struct sysroot *sr, const char *dev)
{
        char *ev = capability(sr, dev, "ev"), *key = NULL, *rel = NULL;
        bool yes = false;

        if (ev && cap_bit(ev, 1) && (key = capability(sr, dev, "key"))) {
                yes = true;
                for (unsigned k = 16; k <= 25 && yes; k++)
                        yes = cap_bit(key, k);
                if (!yes && cap_bit(ev, 3))
                        yes = cap_bit(key, 0x14a);
        }
        if (!yes && ev && cap_bit(ev, 2) && (rel = capability(sr, dev, "rel")))
                yes = cap_bit(rel, 0) && cap_bit(rel, 1);
        free(ev);
        free(key);
        free(rel);
        return yes;
}

static int input_devices(const struct sysroot *sr, struct machine *m)
{
        struct strv names = { 0 };
        int r = sysroot_list(sr, "sys/class/input", &names);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                char dir[320], path[352], *name = NULL;
                size_t dev;

                /* inputN is the device; eventN, mouseN and jsN are its nodes. */
                if (!startswith(names.v[i], "input"))
                        continue;
                snprintf(dir, sizeof(dir), "sys/class/input/%s", names.v[i]);
                if (carrier(sr, m, dir, &dev) < 0 || !host_input(sr, dir))
                        continue;
                snprintf(path, sizeof(path), "%s/name", dir);
                if (sysroot_read_line(sr, path, &name) == -ENOMEM)
                        return -ENOMEM;
                r = push_capped(&m->devices[dev].inputs, name && *name ? name : names.v[i]);
                free(name);
        }
        strv_free(&names);
        return r;
}

/* Connectors with a monitor that the host lights now (sys/class/drm/cardN-CONNECTOR: status, enabled). */
static int screens(const struct sysroot *sr, struct machine *m)
{
        struct strv names = { 0 };
        int r = sysroot_list(sr, "sys/class/drm", &names);

        if (r < 0)
                return r == -ENOMEM ? r : 0;
        for (size_t i = 0; i < names.n && r >= 0; i++) {
                const char *conn = strchr(names.v[i], '-');
                char dir[320], path[352], *status = NULL, *enabled = NULL;
                size_t dev;

                if (!startswith(names.v[i], "card") || !conn)
                        continue;
                snprintf(dir, sizeof(dir), "sys/class/drm/%s", names.v[i]);
                snprintf(path, sizeof(path), "%s/status", dir);
                sysroot_read_line(sr, path, &status);
                snprintf(path, sizeof(path), "%s/enabled", dir);
                sysroot_read_line(sr, path, &enabled);
                if (status && enabled && strcmp(status, "connected") == 0 && strcmp(enabled, "enabled") == 0 &&
                    carrier(sr, m, dir, &dev) == 0)
                        r = push_capped(&m->devices[dev].screens, conn + 1);
                free(status);
                free(enabled);
        }
        strv_free(&names);
        return r;
}

/* The device's interfaces among ifaces, into which; whether there was one. */
static int carries_any(const struct pci_device *d, const struct strv *ifaces, struct strv *which)
{
        int r = 0;

        for (size_t i = 0; i < d->net_ifaces.n && r >= 0; i++)
                if (strv_contains(ifaces, d->net_ifaces.v[i]))
                        r = strv_push(which, d->net_ifaces.v[i]);
        return r < 0 ? r : which->n > 0;
}

static int add_way(struct pci_device *d, enum host_way w, const char *detail)
{
        d->host_ways |= 1u << w;
        return detail && *detail ? strv_pushf(&d->host_way_texts, "%s (%s)", host_way_text(w), detail)
                                 : strv_push(&d->host_way_texts, host_way_text(w));
}

static int add_way_list(struct pci_device *d, enum host_way w, const struct strv *detail)
{
        char *list = strv_join(detail, ", ");
        int r = list ? add_way(d, w, list) : -ENOMEM;

        free(list);
        return r;
}

/* "enp5s0", or "enp5s0, a port of vmbr0" where the route leaves by an interface above it. */
static int route_way(const struct machine *m, struct pci_device *d, const struct strv *via)
{
        char *own = strv_join(via, ", "), *over = strv_join(&m->net.default_ifaces, ", "), *text = NULL;
        bool direct = false;
        int r = -ENOMEM;

        for (size_t i = 0; i < via->n; i++)
                direct |= strv_contains(&m->net.default_ifaces, via->v[i]);
        if (own && over && (direct || asprintf(&text, "%s, below %s", own, over) >= 0))
                r = add_way(d, HOST_WAY_ROUTE, direct ? own : text);
        free(own);
        free(over);
        free(text);
        return r;
}

/* The sessions whose interface (or one below it) the device carries. */
static int ssh_way(const struct machine *m, struct pci_device *d, const struct strv *peer_lowers)
{
        struct strv peers = { 0 }, via = { 0 };
        int r = 0;

        for (size_t k = 0; k < m->net.ssh_peers.n && r >= 0; k++) {
                r = carries_any(d, &peer_lowers[k], &via);
                if (r > 0)
                        r = strv_push(&peers, m->net.ssh_peers.v[k]);
                strv_free(&via);
        }
        if (r >= 0 && peers.n) {
                char *list = strv_join(&peers, ", "), *text = NULL;

                r = list && asprintf(&text, "from %s", list) >= 0 ? add_way(d, HOST_WAY_SSH, text) : -ENOMEM;
                free(list);
                free(text);
        }
        strv_free(&peers);
        return r;
}

static int judge_ways(struct machine *m, const struct strv *route_ifaces, const struct strv *peer_lowers)
{
        size_t nics = 0, usb = 0, lit = 0;
        int r = 0;

        for (size_t i = 0; i < m->n_devices; i++) {
                nics += m->devices[i].class_known && m->devices[i].class_id >> 8 == 0x02;
                usb += m->devices[i].class_known && m->devices[i].class_id == 0x0c03;
                lit += device_lights_screen(&m->devices[i]);
        }
        for (size_t i = 0; i < m->n_devices && r >= 0; i++) {
                struct pci_device *d = &m->devices[i];
                struct strv via = { 0 };

                r = carries_any(d, route_ifaces, &via);
                if (r > 0)
                        r = route_way(m, d, &via);
                strv_free(&via);
                if (r >= 0)
                        r = ssh_way(m, d, peer_lowers);
                if (r >= 0 && nics == 1 && d->class_known && d->class_id >> 8 == 0x02)
                        r = add_way(d, HOST_WAY_ONLY_NIC, NULL);
                if (r >= 0 && d->inputs.n)
                        r = add_way_list(d, HOST_WAY_INPUT, &d->inputs);
                if (r >= 0 && usb == 1 && d->class_known && d->class_id == 0x0c03)
                        r = add_way(d, HOST_WAY_ONLY_USB, NULL);
                /* With screens on another GPU, the host keeps a screen: plan_ctx checks a plan taking them all. */
                if (r >= 0 && lit == 1 && device_lights_screen(d))
                        r = add_way_list(d, HOST_WAY_DISPLAY, &d->screens);
        }
        return r;
}

int detect_host_ways(const struct sysroot *sr, struct machine *m)
{
        struct routes rt = { 0 };
        struct strv route_ifaces = { 0 }, peer_lowers[MAX_PER_DEVICE] = { 0 };
        int r;

        r = network_interfaces(sr, m);
        if (r >= 0)
                r = input_devices(sr, m);
        if (r >= 0)
                r = screens(sr, m);
        if (r >= 0)
                r = read_routes(sr, m, &rt);
        for (size_t i = 0; i < rt.n4 && r >= 0; i++)
                if (rt.v4[i].dest == 0 && rt.v4[i].mask == 0 && !strv_contains(&m->net.default_ifaces, rt.v4[i].iface))
                        r = strv_push(&m->net.default_ifaces, rt.v4[i].iface);
        for (size_t i = 0; i < rt.n6 && r >= 0; i++)
                if (rt.v6[i].plen == 0 && !strv_contains(&m->net.default_ifaces, rt.v6[i].iface))
                        r = strv_push(&m->net.default_ifaces, rt.v6[i].iface);
        if (r >= 0)
                r = ssh_sessions(sr, m, &rt);
        for (size_t i = 0; i < m->net.default_ifaces.n && r >= 0; i++)
                r = with_lowers(sr, m->net.default_ifaces.v[i], 0, &route_ifaces);
        /* ssh_peers holds at most MAX_PER_DEVICE sessions, each "PEER over IFACE". */
        for (size_t k = 0; k < m->net.ssh_peers.n && r >= 0; k++)
                r = with_lowers(sr, strstr(m->net.ssh_peers.v[k], " over ") + 6, 0, &peer_lowers[k]);
        if (r >= 0)
                r = judge_ways(m, &route_ifaces, peer_lowers);
        free(rt.v4);
        free(rt.v6);
        strv_free(&route_ifaces);
        for (size_t k = 0; k < MAX_PER_DEVICE; k++)
                strv_free(&peer_lowers[k]);
        return r;
}
