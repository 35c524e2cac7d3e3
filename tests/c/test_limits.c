/*
 * test_limits.c -- requests over a limit get the status named in
 * porter_config and a closed connection, and never reach the host:
 * 413 (body), 431 (header count, header bytes), 414 (request line); the
 * same at the edge of each limit is served. Defaults and configured
 * limits. And the loop-mode queue: with queue_depth = 2 and a host that
 * does not pull, the third and later requests get 503.
 */
#include "testutil.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#define WAIT 10000

static porter_server *srv;
static int port;

/* rejected sends a raw request and expects `status` then the close. */
static void rejected(const char *what, const char *raw, size_t len,
                     int status)
{
    tc_conn c;
    tc_response r;
    int rc;

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    rc = tc_send(&c, raw, len, WAIT);
    /* porter may answer and close before reading everything */
    CHECK(rc == 0 || rc == TC_ERROR);
    rc = tc_read_response(&c, &r, 0, WAIT);
    if (!CHECK_TC(rc, 0) || !CHECK_INT(r.status, status))
        tu_note("%s: rc %d, status %d", what, rc, r.status);
    tc_response_free(&r);
    if (!CHECK_INT(tc_wait_closed(&c, WAIT), 1))
        tu_note("%s: the connection stayed open", what);
    tc_close(&c);
}

/* served sends a raw request and expects it to reach the host. */
static void served(const char *what, const char *raw, size_t len,
                   size_t body_len)
{
    tc_conn c;
    tc_response r;
    porter_event ev;

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_send(&c, raw, len, WAIT), 0);
    if (!CHECK_CODE(tu_next(srv, &ev, WAIT), 1)) {
        tu_note("%s: no request came", what);
        tc_close(&c);
        return;
    }
    CHECK_INT(ev.type, PORTER_EV_REQUEST);
    if (ev.request)
        CHECK_INT(ev.request->body_len, body_len);
    CHECK_CODE(tu_respond_text(ev.req, 200, "served"), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    if (!CHECK_INT(r.status, 200))
        tu_note("%s", what);
    tc_response_free(&r);
    tc_close(&c);
}

/* A growing string. */
typedef struct sb {
    char *p;
    size_t len, cap;
} sb;

static void sb_add(sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_fmt(sb *b, const char *fmt, int v)
{
    char tmp[256];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    sb_add(b, tmp, (size_t)n);
}

static void sb_repeat(sb *b, char ch, size_t n)
{
    while (n-- > 0)
        sb_add(b, &ch, 1);
}

/* request with nfields header fields in total (Host included) */
static void make_fields(sb *b, int nfields, size_t value_len)
{
    int i;
    b->len = 0;
    sb_str(b, "GET /fields HTTP/1.1\r\nHost: l\r\n");
    for (i = 1; i < nfields; i++) {
        sb_fmt(b, "X-Field-%d: ", i);
        sb_repeat(b, 'v', value_len);
        sb_str(b, "\r\n");
    }
    sb_str(b, "\r\n");
}

static void make_target(sb *b, size_t target_len)
{
    b->len = 0;
    sb_str(b, "GET /");
    sb_repeat(b, 't', target_len - 1);
    sb_str(b, " HTTP/1.1\r\nHost: l\r\n\r\n");
}

static void no_events_left(void)
{
    porter_event ev;
    int n = server_next(srv, &ev, 1, 200);
    if (!CHECK_CODE(n, 0))
        tu_note("an event of type %d reached the host", ev.type);
}

static void test_defaults(void)
{
    sb b = {0, 0, 0};
    porter_config cfg;

    tu_section("default limits");
    tu_config(&cfg);
    srv = tu_server(&cfg);
    port = tu_start(srv);

    /* 9 MiB declared, nothing of the body sent: 413 at once */
    sb_str(&b, "POST /big HTTP/1.1\r\nHost: l\r\nContent-Length: 9437184\r\n\r\n");
    rejected("9 MiB body", b.p, b.len, 413);

    make_fields(&b, 101, 10);
    rejected("101 header fields", b.p, b.len, 431);
    make_fields(&b, 100, 10);
    served("100 header fields", b.p, b.len, 0);

    make_target(&b, 9 * 1024);
    rejected("9 KiB target", b.p, b.len, 414);
    make_target(&b, 8000);
    served("8000-byte target", b.p, b.len, 0);

    /* 20 fields of 4000 bytes: 80 KB of head, over 64 KiB */
    make_fields(&b, 21, 4000);
    rejected("80 KB head", b.p, b.len, 431);
    /* 10 fields of 4000 bytes: 40 KB, fine */
    make_fields(&b, 11, 4000);
    served("40 KB head", b.p, b.len, 0);

    no_events_left();
    CHECK_CODE(server_free(srv), PORTER_OK);
    free(b.p);
}

static void test_configured(void)
{
    sb b = {0, 0, 0};
    porter_config cfg;
    int i;

    tu_section("configured limits");
    tu_config(&cfg);
    cfg.max_body_bytes = 1000;
    cfg.max_header_count = 5;
    cfg.max_request_line = 200;
    cfg.max_header_bytes = 1024;
    srv = tu_server(&cfg);
    port = tu_start(srv);

    sb_str(&b, "POST /b HTTP/1.1\r\nHost: l\r\nContent-Length: 1001\r\n\r\n");
    rejected("1001-byte body", b.p, b.len, 413);
    b.len = 0;
    sb_str(&b, "POST /b HTTP/1.1\r\nHost: l\r\nContent-Length: 1000\r\n\r\n");
    sb_repeat(&b, 'x', 1000);
    served("1000-byte body", b.p, b.len, 1000);

    /* a chunked body is measured as it comes */
    b.len = 0;
    sb_str(&b, "POST /c HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (i = 0; i < 3; i++) {
        sb_str(&b, "1f4\r\n"); /* 500 */
        sb_repeat(&b, 'y', 500);
        sb_str(&b, "\r\n");
    }
    sb_str(&b, "0\r\n\r\n");
    rejected("1500-byte chunked body", b.p, b.len, 413);

    make_fields(&b, 6, 5);
    rejected("6 header fields", b.p, b.len, 431);
    make_fields(&b, 5, 5);
    served("5 header fields", b.p, b.len, 0);

    make_target(&b, 250);
    rejected("250-byte target", b.p, b.len, 414);
    make_target(&b, 150);
    served("150-byte target", b.p, b.len, 0);

    make_fields(&b, 4, 600);
    rejected("1.8 KB head", b.p, b.len, 431);

    no_events_left();
    CHECK_CODE(server_free(srv), PORTER_OK);
    free(b.p);
}

static void test_queue_depth(void)
{
    enum { N = 5 };
    porter_config cfg;
    porter_event ev;
    porter_req held[N];
    tc_conn c[N], extra;
    tc_response r;
    int got503[N] = {0}, n503 = 0, nheld = 0, i;
    int64_t t0;

    tu_section("loop mode, queue_depth = 2, the host does not pull");
    tu_config(&cfg);
    cfg.queue_depth = 2;
    srv = tu_server(&cfg);
    port = tu_start(srv);

    for (i = 0; i < N; i++) {
        char req[64];
        REQUIRE_TC(tc_connect(&c[i], port, 0), 0);
        snprintf(req, sizeof req, "GET /q/%d HTTP/1.1\r\nHost: q\r\n\r\n", i);
        REQUIRE_TC(tc_sends(&c[i], req, WAIT), 0);
    }
    /* three of them are answered 503 by porter */
    t0 = tu_now_ms();
    while (n503 < N - 2 && tu_now_ms() - t0 < WAIT) {
        for (i = 0; i < N; i++) {
            if (got503[i] || !tc_pending(&c[i], 0))
                continue;
            if (CHECK_TC(tc_read_response(&c[i], &r, 0, WAIT), 0))
                CHECK_INT(r.status, 503);
            tc_response_free(&r);
            got503[i] = 1;
            n503++;
        }
        if (n503 < N - 2) {
            struct pollfd p[N];
            for (i = 0; i < N; i++) {
                p[i].fd = c[i].fd;
                p[i].events = got503[i] ? 0 : POLLIN;
                p[i].revents = 0;
            }
            poll(p, N, 200);
        }
    }
    CHECK_INT(n503, N - 2);
    /* porter did that in the host's place, and counted it */
    CHECK(tu_stats(srv).host_away >= 1);
    CHECK_INT(tu_stats(srv).loop_stalls, 0);
    CHECK_INT(tu_stats(srv).rejected_overloaded, N - 2);
    for (i = 0; i < N; i++)
        if (got503[i])
            CHECK_INT(tc_wait_closed(&c[i], WAIT), 1);
    /* the two queued ones wait, unanswered */
    for (i = 0; i < N; i++)
        if (!got503[i])
            CHECK(!tc_pending(&c[i], 200));

    /* now the host pulls: exactly the two queued requests */
    while (nheld < 2 && tu_next(srv, &ev, WAIT) == 1) {
        CHECK_INT(ev.type, PORTER_EV_REQUEST);
        held[nheld++] = ev.req;
    }
    CHECK_INT(nheld, 2);
    CHECK_CODE(server_next(srv, &ev, 1, 300), 0);

    /* the queue has room again */
    REQUIRE_TC(tc_connect(&extra, port, 0), 0);
    REQUIRE_TC(tc_sends(&extra, "GET /q/x HTTP/1.1\r\nHost: q\r\n\r\n", WAIT),
                 0);
    if (CHECK_CODE(tu_next(srv, &ev, WAIT), 1)) {
        CHECK_INT(ev.type, PORTER_EV_REQUEST);
        CHECK_CODE(tu_respond_text(ev.req, 200, "x"), PORTER_OK);
        REQUIRE_TC(tc_read_response(&extra, &r, 0, WAIT), 0);
        CHECK_INT(r.status, 200);
        tc_response_free(&r);
    }

    for (i = 0; i < nheld; i++)
        CHECK_CODE(tu_respond_text(held[i], 200, "held"), PORTER_OK);
    for (i = 0; i < N; i++) {
        if (got503[i])
            continue;
        if (CHECK_TC(tc_read_response(&c[i], &r, 0, WAIT), 0)) {
            CHECK_INT(r.status, 200);
            CHECK_STRN(r.body, r.body_len, "held");
        }
        tc_response_free(&r);
    }
    for (i = 0; i < N; i++)
        tc_close(&c[i]);
    tc_close(&extra);
    CHECK_CODE(server_free(srv), PORTER_OK);
}

int main(void)
{
    tu_init("limits", 60);
    test_defaults();
    test_configured();
    test_queue_depth();
    return tu_done();
}
