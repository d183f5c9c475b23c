/* SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vfio-setup/errors.h"
#include "vfio-setup/runner.h"

static long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char path_var[] = "PATH=" RUN_PATH, home_var[] = "HOME=/root", lang_var[] = "LANG=C.UTF-8";
static char *clean_environment[] = { path_var, home_var, lang_var, NULL };

/* In the child: only async-signal-safe calls until exec. */
static void __attribute__((noreturn)) child(char **argv, const struct run_options *o, int out, int err)
{
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC), e;
        sigset_t none;
        char path[4096];

        /* A command gets the signals as any program does: the transaction's shield is vfio-setup's own. */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        if (null >= 0)
                dup2(null, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
        if (o->command_dir) {
                size_t dl = strlen(o->command_dir), al = strlen(argv[0]);

                if (dl + al + 2 > sizeof(path)) {
                        e = ENAMETOOLONG;
                        (void)!write(err, &e, sizeof(e));
                        _exit(127);
                }
                memcpy(path, o->command_dir, dl);
                path[dl] = '/';
                memcpy(path + dl + 1, argv[0], al + 1);
                execv(path, argv);
        } else {
                if (o->root && strcmp(o->root, "/") != 0 && (chroot(o->root) < 0 || chdir("/") < 0)) {
                        e = errno;
                        (void)!write(err, &e, sizeof(e));
                        _exit(127);
                }
                /* execvp looks in the PATH of the environment it is given. */
                environ = clean_environment;
                execvp(argv[0], argv);
        }
        e = errno;
        (void)!write(err, &e, sizeof(e));
        _exit(127);
}

/* Hands complete lines to the callback; keeps the unfinished rest in buf. */
static void lines(const struct run_options *o, char *buf, size_t *len, bool flush)
{
        char *start = buf, *nl;

        while ((nl = memchr(start, '\n', *len - (size_t)(start - buf)))) {
                *nl = '\0';
                if (o->line)
                        o->line(o->userdata, start);
                start = nl + 1;
        }
        *len -= (size_t)(start - buf);
        memmove(buf, start, *len);
        if (flush && *len) {
                buf[*len] = '\0';
                if (o->line)
                        o->line(o->userdata, buf);
                *len = 0;
        }
}

int run_command(const struct strv *argv, const struct run_options *o, int *ret_status)
{
        char **args = calloc(argv->n + 1, sizeof(*args)), buf[4097];
        int out[2], err[2], status, e = 0;
        long long deadline = o->timeout ? now_ms() + (long long)o->timeout * 1000 : 0;
        bool timed_out = false;
        size_t len = 0;
        pid_t pid;

        if (!args)
                return -ENOMEM;
        memcpy(args, argv->v, argv->n * sizeof(*args));
        if (pipe2(out, O_CLOEXEC) < 0) {
                free(args);
                return -errno;
        }
        if (pipe2(err, O_CLOEXEC) < 0) {
                e = -errno;
                close(out[0]);
                close(out[1]);
                free(args);
                return e;
        }
        pid = fork();
        if (pid == 0)
                child(args, o, out[1], err[1]);
        free(args);
        close(out[1]);
        close(err[1]);
        if (pid < 0) {
                close(out[0]);
                close(err[0]);
                return -errno;
        }
        /* The error pipe closes on a successful exec; an errno comes through it otherwise. */
        if (read(err[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
                close(err[0]);
                close(out[0]);
                waitpid(pid, NULL, 0);
                return -e;
        }
        close(err[0]);

        for (;;) {
                struct pollfd p = { out[0], POLLIN, 0 };
                int wait = deadline ? (int)(deadline - now_ms()) : -1;
                ssize_t n;

                if (deadline && wait <= 0) {
                        timed_out = true;
                        kill(-pid, SIGKILL);
                        break;
                }
                if (poll(&p, 1, wait) < 0) {
                        if (errno == EINTR)
                                continue;
                        kill(-pid, SIGKILL);
                        break;
                }
                if (!p.revents)
                        continue;
                n = read(out[0], buf + len, sizeof(buf) - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                /* A line longer than the buffer is handed over in pieces. */
                lines(o, buf, &len, len == sizeof(buf) - 1);
        }
        lines(o, buf, &len, true);
        close(out[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (timed_out)
                return -ETIMEDOUT;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return -VS_E_COMMAND;
}
