/*
 * porter_bench.c -- the porter peer of the benchmark: serves
 *
 *   GET  /      200 text/plain "Hello World\n"
 *   POST /echo  200 application/octet-stream, the request body (buffered)
 *   GET  /1m    200 application/octet-stream, 1048576 bytes of 'x'
 *
 * anything else gets 404. Usage: porter_bench [--loop] [--h2c] ADDR
 *
 * Default is callback mode (porter calls handle() on its threads);
 * --loop selects loop mode (this program's own epoll loop over
 * server_pollfd, pulling events with server_next). The bound address is
 * printed on the first line of stdout. SIGTERM or SIGINT shut the server
 * down with a 1 s grace period and the program exits with status 0.
 */
#define _GNU_SOURCE /* pipe2, sigaction, SA_ONSTACK */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <porter.h>

#define MIB (1024 * 1024)

static char *big; /* the /1m body */

static const porter_header text_type[] = {
    {"Content-Type", 12, "text/plain", 10},
};
static const porter_header octet_type[] = {
    {"Content-Type", 12, "application/octet-stream", 24},
};

static int report(const char *what, int rc)
{
    if (rc < 0 && rc != PORTER_EABORTED)
        fprintf(stderr, "porter_bench: %s: %s (%s)\n", what,
                porter_strerror(rc), porter_errname(rc));
    return rc;
}

static int is(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

/* respond answers one request; its view is r. */
static void respond(porter_req req, const porter_request *r)
{
    int rc;

    if (is(r->path, r->path_len, "/") &&
        (is(r->method, r->method_len, "GET") ||
         is(r->method, r->method_len, "HEAD")))
        rc = req_respond(req, 200, text_type, 1, "Hello World\n", 12);
    else if (is(r->path, r->path_len, "/echo") &&
             is(r->method, r->method_len, "POST"))
        rc = req_respond(req, 200, octet_type, 1, r->body, r->body_len);
    else if (is(r->path, r->path_len, "/1m") &&
             (is(r->method, r->method_len, "GET") ||
              is(r->method, r->method_len, "HEAD")))
        rc = req_respond(req, 200, octet_type, 1, big, MIB);
    else
        rc = req_respond(req, 404, text_type, 1, "Not Found\n", 10);
    if (report("req_respond", rc) < 0 && rc != PORTER_EABORTED)
        req_abort(req); /* release the handle whatever went wrong */
}

static void release(porter_req req)
{
    int rc = req_abort(req);

    if (rc != PORTER_EHANDLE)
        report("req_abort", rc);
}

/* handle runs on porter's threads (callback mode). */
static void handle(void *user_data, const porter_event *ev)
{
    (void)user_data;
    if (ev->type == PORTER_EV_REQUEST)
        respond(ev->req, ev->request);
    else if (ev->type == PORTER_EV_ABORT)
        release(ev->req);
}

/* ---- signals: a self-pipe, handler installed with SA_ONSTACK ---------- */

static int sig_wr = -1;

static void on_signal(int signo)
{
    int saved = errno;
    char c = (char)signo;
    ssize_t n = write(sig_wr, &c, 1);

    (void)n;
    errno = saved;
}

static int signal_pipe(void)
{
    struct sigaction sa;
    int fds[2];

    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        perror("pipe2");
        return -1;
    }
    sig_wr = fds[1];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
        perror("sigaction");
        return -1;
    }
    return fds[0];
}

/* wait_signal blocks until a signal byte is in the (non-blocking) pipe. */
static void wait_signal(int fd)
{
    char c;
    fd_set set;

    for (;;) {
        if (read(fd, &c, 1) == 1)
            return;
        FD_ZERO(&set);
        FD_SET(fd, &set);
        select(fd + 1, &set, NULL, NULL, NULL);
    }
}

/* ---- loop mode --------------------------------------------------------- */

/* drain handles every waiting event; returns 0 or server_next's error. */
static int drain(porter_server *srv)
{
    porter_event ev[64];
    int i, n;

    while ((n = server_next(srv, ev, 64, 0)) > 0) {
        for (i = 0; i < n; i++) {
            if (ev[i].type == PORTER_EV_REQUEST)
                respond(ev[i].req, ev[i].request);
            else if (ev[i].type == PORTER_EV_ABORT)
                release(ev[i].req);
        }
    }
    return n;
}

static int watch(int ep, int fd)
{
    struct epoll_event ee;

    memset(&ee, 0, sizeof ee);
    ee.events = EPOLLIN;
    ee.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee) < 0) {
        perror("epoll_ctl");
        return -1;
    }
    return 0;
}

static int run_loop(porter_server *srv, int sig)
{
    struct epoll_event ready[2];
    int ep, pfd, i, n, r;

    pfd = report("server_pollfd", server_pollfd(srv));
    if (pfd < 0)
        return -1;
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        perror("epoll_create1");
        return -1;
    }
    if (watch(ep, pfd) < 0 || watch(ep, sig) < 0) {
        close(ep);
        return -1;
    }
    for (;;) {
        n = epoll_wait(ep, ready, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            perror("epoll_wait");
            close(ep);
            return -1;
        }
        for (i = 0; i < n; i++) {
            if (ready[i].data.fd == sig) {
                char c;
                while (read(sig, &c, 1) == 1)
                    ;
                epoll_ctl(ep, EPOLL_CTL_DEL, sig, NULL);
                if (report("server_shutdown", server_shutdown(srv, 1000)) < 0) {
                    close(ep);
                    return -1;
                }
                continue;
            }
            r = drain(srv);
            if (r == PORTER_ECLOSED) {
                close(ep);
                return 0;
            }
            if (report("server_next", r) < 0) {
                close(ep);
                return -1;
            }
        }
    }
}

int main(int argc, char **argv)
{
    porter_config cfg;
    porter_server *srv = NULL;
    const char *addr = NULL;
    char buf[256];
    int loop = 0, h2c = 0, sig, index, rc = -1, i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--loop") == 0)
            loop = 1;
        else if (strcmp(argv[i], "--h2c") == 0)
            h2c = 1;
        else if (!addr && argv[i][0] != '-')
            addr = argv[i];
        else
            break; /* unknown flag or a second address */
    }
    if (!addr || i < argc) {
        fprintf(stderr, "usage: porter_bench [--loop] [--h2c] ADDR\n");
        return 2;
    }
    if (!(big = malloc(MIB))) {
        perror("malloc");
        return 1;
    }
    memset(big, 'x', MIB);

    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.handler = loop ? NULL : handle; /* NULL: loop mode */
    cfg.h2c = h2c;                      /* HTTP/2 with prior knowledge too */
    if ((sig = signal_pipe()) < 0 ||
        report("server_new", server_new(&cfg, &srv)) < 0)
        goto out;
    index = server_listen(srv, addr);
    if (index < 0) {
        server_errmsg(srv, buf, sizeof buf);
        fprintf(stderr, "porter_bench: listen %s: %s (%s)\n", addr,
                porter_strerror(index), buf);
        goto out;
    }
    if (report("server_addr", server_addr(srv, index, buf, sizeof buf)) < 0)
        goto out;
    printf("%s\n", buf);
    fflush(stdout);
    if (report("server_start", server_start(srv)) < 0)
        goto out;

    if (loop) {
        rc = run_loop(srv, sig);
    } else {
        wait_signal(sig);
        rc = report("server_shutdown", server_shutdown(srv, 1000));
        if (rc == 0)
            rc = report("server_serve", server_serve(srv));
    }
out:
    if (report("server_free", server_free(srv)) < 0)
        rc = -1;
    free(big);
    return rc < 0;
}
