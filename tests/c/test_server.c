/*
 * test_server.c -- the server's life: server_new's checks of the config
 * (size, unknown tail, negative fields), listeners (index, address,
 * address in use with server_errmsg), the state errors of start, serve,
 * listen, pollfd and next, NULL arguments, and server_free: PORTER_EBUSY
 * inside a handler, waiting for running handlers, releasing held handles.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT 10000

static void test_new(void)
{
    struct {
        porter_config cfg;
        unsigned char tail[32];
    } big;
    porter_config cfg;
    porter_server *srv;
    size_t sizes[3];
    int i;

    tu_section("server_new checks its config");
    CHECK_CODE(server_new(NULL, NULL), PORTER_EINVAL);
    tu_config(&cfg);
    CHECK_CODE(server_new(&cfg, NULL), PORTER_EINVAL);

    sizes[0] = 0;
    sizes[1] = sizeof(size_t);
    sizes[2] = offsetof(porter_config, stream_buffer);
    for (i = 0; i < 3; i++) {
        srv = NULL;
        tu_config(&cfg);
        cfg.size = sizes[i];
        if (!CHECK_CODE(server_new(&cfg, &srv), PORTER_EINVAL))
            tu_note("size %zu accepted", sizes[i]);
        if (srv)
            server_free(srv);
    }

    /* a larger struct: the unknown tail must be zero */
    memset(&big, 0, sizeof big);
    big.cfg.size = sizeof big;
    big.tail[5] = 1;
    srv = NULL;
    CHECK_CODE(server_new(&big.cfg, &srv), PORTER_EINVAL);
    if (srv)
        server_free(srv);
    big.tail[5] = 0;
    big.tail[31] = 0x80;
    srv = NULL;
    CHECK_CODE(server_new(&big.cfg, &srv), PORTER_EINVAL);
    if (srv)
        server_free(srv);
    big.tail[31] = 0;
    srv = NULL;
    CHECK_CODE(server_new(&big.cfg, &srv), PORTER_OK);
    CHECK(srv != NULL);
    CHECK_CODE(server_free(srv), PORTER_OK);

    /* negative fields */
    for (i = 0; i < 8; i++) {
        tu_config(&cfg);
        switch (i) {
        case 0: cfg.queue_depth = -1; break;
        case 1: cfg.max_connections = -1; break;
        case 2: cfg.max_header_count = -5; break;
        case 3: cfg.header_timeout_ms = -1; break;
        case 4: cfg.body_timeout_ms = -1; break;
        case 5: cfg.idle_timeout_ms = -1; break;
        case 6: cfg.write_timeout_ms = -1; break;
        default: cfg.response_timeout_ms = -1; break;
        }
        srv = NULL;
        if (!CHECK_CODE(server_new(&cfg, &srv), PORTER_EINVAL))
            tu_note("negative field #%d accepted", i);
        if (srv)
            server_free(srv);
    }
    cfg.stream_bodies = 2; /* 0 or 1 */
    cfg.response_timeout_ms = 0;
    srv = NULL;
    CHECK_CODE(server_new(&cfg, &srv), PORTER_EINVAL);
    if (srv)
        server_free(srv);

    /* zero config and NULL config: loop mode with defaults */
    tu_config(&cfg);
    srv = NULL;
    CHECK_CODE(server_new(&cfg, &srv), PORTER_OK);
    CHECK(server_pollfd(srv) >= 0);
    CHECK_CODE(server_free(srv), PORTER_OK);
    srv = NULL;
    CHECK_CODE(server_new(NULL, &srv), PORTER_OK);
    CHECK(srv != NULL && server_pollfd(srv) >= 0);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

static void test_null_args(void)
{
    porter_server *srv;
    porter_event ev;
    char buf[64];

    tu_section("NULL arguments");
    srv = tu_server(NULL);
    CHECK_CODE(server_listen(NULL, "127.0.0.1:0"), PORTER_EINVAL);
    CHECK_CODE(server_listen(srv, NULL), PORTER_EINVAL);
    CHECK_CODE(server_addr(NULL, 0, buf, sizeof buf), PORTER_EINVAL);
    CHECK_CODE(server_errmsg(NULL, buf, sizeof buf), PORTER_EINVAL);
    CHECK_CODE(server_start(NULL), PORTER_EINVAL);
    CHECK_CODE(server_serve(NULL), PORTER_EINVAL);
    CHECK_CODE(server_shutdown(NULL, 0), PORTER_EINVAL);
    CHECK_CODE(server_pollfd(NULL), PORTER_EINVAL);
    CHECK_CODE(server_next(NULL, &ev, 1, 0), PORTER_EINVAL);
    CHECK_CODE(server_next(srv, NULL, 1, 0), PORTER_EINVAL);
    CHECK_CODE(server_next(srv, &ev, -1, 0), PORTER_EINVAL);
    CHECK_CODE(server_free(NULL), PORTER_OK);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

static void test_listeners(void)
{
    porter_server *srv;
    porter_event ev;
    struct sockaddr_in sa;
    socklen_t salen = sizeof sa;
    char buf[128], addr[64], small[5];
    int fd, busy_port, p0, p1, n, i;

    tu_section("listeners");
    srv = tu_server(NULL);
    /* nothing failed yet: no message */
    buf[0] = 'x';
    CHECK_CODE(server_errmsg(srv, buf, sizeof buf), 0);
    CHECK_STR(buf, "");
    CHECK_CODE(server_start(srv), PORTER_ESTATE);  /* no listener */
    CHECK_CODE(server_serve(srv), PORTER_ESTATE);  /* no listener */

    /* an address in use */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    REQUIRE(listen(fd, 4) == 0);
    REQUIRE(getsockname(fd, (struct sockaddr *)&sa, &salen) == 0);
    busy_port = ntohs(sa.sin_port);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", busy_port);
    CHECK_CODE(server_listen(srv, addr), PORTER_ELISTEN);
    n = server_errmsg(srv, buf, sizeof buf);
    tu_note("server_errmsg: \"%s\"", buf);
    CHECK(n > 0);
    CHECK_INT(n, strlen(buf));
    CHECK_INT(server_errmsg(srv, NULL, 0), n);
    memset(small, 'z', sizeof small);
    CHECK_INT(server_errmsg(srv, small, sizeof small), n);
    CHECK(small[4] == '\0' && (n < 4 || memcmp(small, buf, 4) == 0));
    close(fd);
    n = server_listen(srv, "no such address");
    CHECK(n == PORTER_ELISTEN || n == PORTER_EINVAL);

    /* two listeners: indexes 0 and 1, both serve */
    CHECK_CODE(server_listen(srv, "127.0.0.1:0"), 0);
    CHECK_CODE(server_listen(srv, "127.0.0.1:0"), 1);
    p0 = tu_port(srv, 0);
    p1 = tu_port(srv, 1);
    CHECK(p0 > 0 && p1 > 0 && p0 != p1);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", p0);
    n = server_addr(srv, 0, buf, sizeof buf);
    CHECK_INT(n, strlen(addr));
    CHECK_STR(buf, addr);
    CHECK_INT(server_addr(srv, 0, NULL, 0), strlen(addr));
    memset(small, 'z', sizeof small);
    CHECK_INT(server_addr(srv, 0, small, sizeof small), strlen(addr));
    CHECK(small[4] == '\0' && memcmp(small, "127.", 4) == 0);
    CHECK_CODE(server_addr(srv, 0, NULL, 16), PORTER_EINVAL);
    CHECK_CODE(server_addr(srv, 2, buf, sizeof buf), PORTER_EINVAL);
    CHECK_CODE(server_addr(srv, -1, buf, sizeof buf), PORTER_EINVAL);

    CHECK_CODE(server_start(srv), PORTER_OK);
    CHECK_CODE(server_start(srv), PORTER_ESTATE);
    CHECK_CODE(server_listen(srv, "127.0.0.1:0"), PORTER_ESTATE);
    n = server_errmsg(srv, buf, sizeof buf);
    CHECK(n >= 0);
    for (i = 0; i < 2; i++) {
        tc_conn c;
        tc_response r;
        REQUIRE_TC(tc_connect(&c, i ? p1 : p0, 0), 0);
        REQUIRE_TC(tc_sends(&c, "GET /l HTTP/1.1\r\nHost: l\r\n\r\n", WAIT),
                     0);
        if (CHECK_CODE(tu_next(srv, &ev, WAIT), 1)) {
            CHECK_CODE(tu_respond_text(ev.req, 200, i ? "one" : "zero"),
                       PORTER_OK);
            if (CHECK_TC(tc_read_response(&c, &r, 0, WAIT), 0))
                CHECK_STR((char *)r.body, i ? "one" : "zero");
            tc_response_free(&r);
        }
        tc_close(&c);
    }
    CHECK_CODE(server_free(srv), PORTER_OK);
}

/* ---- Inside handlers --------------------------------------------------- */

typedef struct hstate {
    porter_server *self, *other;
    int free_self, free_other, serve_self, pollfd, next;
    int calls;
    /* the slow handler */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running, finished;
    porter_req slow_req;
} hstate;

static hstate hs;

static void handler(void *user_data, const porter_event *ev)
{
    hstate *s = user_data;
    porter_event evs[1];
    const porter_request *v = ev->request;

    if (ev->type != PORTER_EV_REQUEST || !v)
        return;
    if (v->path_len == 5 && memcmp(v->path, "/slow", 5) == 0) {
        pthread_mutex_lock(&s->mu);
        s->slow_req = ev->req;
        s->running = 1;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        tu_sleep_ms(300); /* the scenario: a handler still running */
        pthread_mutex_lock(&s->mu);
        s->finished = 1;
        s->running = 0;
        pthread_mutex_unlock(&s->mu);
        return;
    }
    s->free_self = server_free(s->self);
    s->free_other = server_free(s->other);
    s->serve_self = server_serve(s->self);
    s->pollfd = server_pollfd(s->self);
    s->next = server_next(s->self, evs, 1, 0);
    s->calls++;
    tu_respond_text(ev->req, 200, "inside");
}

static void test_inside_handler(void)
{
    porter_config cfg;
    porter_event ev;
    tc_conn c;
    tc_response r;
    porter_req slow;
    int port, running = 0, finished;
    int64_t deadline;

    tu_section("calls from inside a handler; callback-mode state errors");
    memset(&hs, 0, sizeof hs);
    pthread_mutex_init(&hs.mu, NULL);
    tu_cond_init(&hs.cv);
    hs.free_self = hs.free_other = hs.serve_self = 1;
    tu_config(&cfg);
    cfg.handler = handler;
    cfg.user_data = &hs;
    hs.self = tu_server(&cfg);
    hs.other = tu_server(NULL);
    CHECK_CODE(server_pollfd(hs.self), PORTER_ESTATE);
    CHECK_CODE(server_next(hs.self, &ev, 1, 0), PORTER_ESTATE);
    port = tu_start(hs.self);
    CHECK_CODE(server_pollfd(hs.self), PORTER_ESTATE);
    CHECK_CODE(server_next(hs.self, &ev, 1, 0), PORTER_ESTATE);

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_get(&c, "/inside", &r, WAIT), 0);
    CHECK_INT(r.status, 200);
    tc_response_free(&r);
    CHECK_INT(hs.calls, 1);
    CHECK_CODE(hs.free_self, PORTER_EBUSY);
    CHECK_CODE(hs.free_other, PORTER_EBUSY);
    CHECK_CODE(hs.serve_self, PORTER_EBUSY);
    CHECK_CODE(hs.pollfd, PORTER_ESTATE);
    CHECK_CODE(hs.next, PORTER_ESTATE);
    /* both servers survived */
    REQUIRE_TC(tc_get(&c, "/again", &r, WAIT), 0);
    CHECK_INT(r.status, 200);
    tc_response_free(&r);
    CHECK_CODE(server_next(hs.other, &ev, 1, 0), 0);
    CHECK_CODE(server_free(hs.other), PORTER_OK);

    /* server_free waits for a running handler, then releases its handle */
    REQUIRE_TC(tc_sends(&c, "GET /slow HTTP/1.1\r\nHost: s\r\n\r\n", WAIT),
                 0);
    deadline = tu_now_ms() + WAIT;
    pthread_mutex_lock(&hs.mu);
    while (!hs.running && !hs.finished)
        if (tu_cond_wait_until(&hs.cv, &hs.mu, deadline) != 0)
            break;
    running = hs.running;
    pthread_mutex_unlock(&hs.mu);
    REQUIRE(running);
    CHECK_CODE(server_free(hs.self), PORTER_OK);
    pthread_mutex_lock(&hs.mu);
    finished = hs.finished;
    running = hs.running;
    slow = hs.slow_req;
    pthread_mutex_unlock(&hs.mu);
    CHECK(finished);
    CHECK(!running);
    CHECK_CODE(req_respond(slow, 200, NULL, 0, NULL, 0), PORTER_EHANDLE);
    CHECK_INT(tc_wait_closed(&c, WAIT), 1);
    tc_close(&c);
}

static void test_free_with_held(void)
{
    porter_server *srv;
    porter_event ev;
    porter_req req;
    tc_conn c;
    int port;

    tu_section("loop mode: server_free with a request held");
    srv = tu_server(NULL);
    port = tu_start(srv);
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_sends(&c, "GET /held HTTP/1.1\r\nHost: h\r\n\r\n", WAIT),
                 0);
    REQUIRE_CODE(tu_next(srv, &ev, WAIT), 1);
    req = ev.req;
    CHECK_CODE(server_free(srv), PORTER_OK);
    CHECK_CODE(req_respond(req, 200, NULL, 0, NULL, 0), PORTER_EHANDLE);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    CHECK_INT(tc_wait_closed(&c, WAIT), 1);
    tc_close(&c);
}

int main(void)
{
    tu_init("server", 60);
    test_new();
    test_null_args();
    test_listeners();
    test_inside_handler();
    test_free_with_held();
    return tu_done();
}
