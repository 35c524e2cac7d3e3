/*
 * echo_loop.c -- echo.c in loop mode: porter never calls this program's
 * code; the program runs its own epoll loop over porter's poll descriptor
 * and its signal pipe, and pulls events with server_next. This is how a
 * host with its own event loop (or one that must not be entered from
 * foreign threads) embeds porter. Usage: echo_loop [host:port]
 */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common.h"

/*
 * drain handles every waiting event without blocking. Returns 0 when none
 * is left, PORTER_ECLOSED once the server is shut down and drained, or
 * another error code.
 */
static int drain(porter_server *srv)
{
    porter_event ev[64];
    int i, n;

    while ((n = server_next(srv, ev, 64, 0)) > 0) {
        for (i = 0; i < n; i++) {
            if (ev[i].type == PORTER_EV_REQUEST)
                echo_respond(ev[i].req, ev[i].request);
            else if (ev[i].type == PORTER_EV_ABORT)
                release(ev[i].req);
            /* PORTER_EV_BODY and PORTER_EV_WRITABLE only follow a call
               that returned PORTER_EAGAIN, which buffered bodies and
               req_respond never do. */
        }
    }
    return n;
}

/* watch adds fd to the epoll set ep for reading. */
static int watch(int ep, int fd)
{
    struct epoll_event ee = {0};

    ee.events = EPOLLIN;
    ee.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee) < 0) {
        perror("epoll_ctl");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    porter_config cfg = {0};
    porter_server *srv = NULL;
    struct epoll_event ready[2];
    int sig, pfd = -1, ep = -1, rc = -1, i, n;

    cfg.size = sizeof cfg; /* handler NULL: loop mode */
    if ((sig = signal_pipe()) < 0 ||
        check("server_new", server_new(&cfg, &srv)) < 0 ||
        listen_print(srv, argc > 1 ? argv[1] : DEFAULT_ADDR) < 0 ||
        check("server_start", server_start(srv)) < 0 ||
        (pfd = check("server_pollfd", server_pollfd(srv))) < 0)
        goto out;
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        perror("epoll_create1");
        goto out;
    }
    if (watch(ep, pfd) < 0 || watch(ep, sig) < 0)
        goto out;

    /* The poll descriptor is readable while events wait, and once the
       server is shut down and drained: server_next then says
       PORTER_ECLOSED and the loop ends. */
    for (;;) {
        n = epoll_wait(ep, ready, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("epoll_wait");
            goto out;
        }
        for (i = 0; i < n; i++) {
            if (ready[i].data.fd == sig) {
                /* SIGINT or SIGTERM: stop accepting, give requests in
                   flight 5 s, and stop watching for more signals. */
                wait_signal(sig);
                epoll_ctl(ep, EPOLL_CTL_DEL, sig, NULL);
                if (check("server_shutdown",
                          server_shutdown(srv, 5000)) < 0)
                    goto out;
            } else {
                int r = drain(srv);

                if (r == PORTER_ECLOSED) {
                    rc = 0;
                    goto out;
                }
                if (check("server_next", r) < 0)
                    goto out;
            }
        }
    }

out:
    if (ep >= 0)
        close(ep);
    if (check("server_free", server_free(srv)) < 0)
        rc = -1;
    return rc < 0;
}
