/*
 * test_stream_write.c -- streamed responses: req_write_head with -1
 * (chunked) and with a declared length, many req_write calls, req_finish,
 * the state errors around them, and backpressure towards a client that
 * does not read.
 *
 * Usage: test_stream_write callback|loop
 *   callback: req_write blocks until every byte is taken;
 *   loop:     req_write takes what fits in config.stream_buffer (16 KiB
 *             here), returns PORTER_EAGAIN when nothing fits, and one
 *             PORTER_EV_WRITABLE follows.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#define WAIT 10000
#define BIG_TOTAL ((uint64_t)64 << 20) /* the backpressure stream: 64 MiB */
#define STREAM_BUFFER 16384

static const size_t pieces[] = {1, 7, 100, 4096, 65536, 3, 16384, 12345,
                                200000, 17};
#define NPIECES (sizeof pieces / sizeof pieces[0])

/* ---- A writer: writes `total` pattern bytes in pieces ------------------ */

typedef struct writer {
    porter_server *srv;    /* loop mode: where WRITABLE events come from */
    porter_req req;
    int64_t declared;      /* for req_write_head */
    uint64_t total;
    size_t fixed_piece;    /* 0: cycle through pieces[] */
    int head_rc, write_rc, finish_rc, done;
    uint64_t accepted;     /* bytes taken so far (atomic) */
    long eagains, writables, max_take;
} writer;

static void writer_init(writer *w, porter_server *srv, porter_req req,
                        int64_t declared, uint64_t total, size_t piece)
{
    memset(w, 0, sizeof *w);
    w->srv = srv;
    w->req = req;
    w->declared = declared;
    w->total = total;
    w->fixed_piece = piece;
    w->head_rc = w->write_rc = w->finish_rc = 1; /* not called yet */
}

/* callback mode: every call blocks until all is taken */
static void *writer_blocking(void *arg)
{
    writer *w = arg;
    unsigned char *buf = malloc(1 << 18);
    porter_header h;
    uint64_t off = 0;
    size_t i = 0;

    if (!buf)
        abort();
    h.name = "X-Stream";
    h.name_len = 8;
    h.value = "yes";
    h.value_len = 3;
    w->head_rc = req_write_head(w->req, 200, &h, 1, w->declared);
    w->write_rc = 0;
    while (w->head_rc == 0 && off < w->total) {
        size_t len = w->fixed_piece ? w->fixed_piece : pieces[i++ % NPIECES];
        int n;
        if (len > w->total - off)
            len = (size_t)(w->total - off);
        tu_pattern_fill(buf, off, len);
        n = req_write(w->req, buf, len);
        if (n != (int)len) {
            w->write_rc = n < 0 ? n : -1000 - n; /* short: a failure */
            break;
        }
        off += len;
        __atomic_store_n(&w->accepted, off, __ATOMIC_SEQ_CST);
    }
    if (w->head_rc == 0 && w->write_rc == 0)
        w->finish_rc = req_finish(w->req);
    free(buf);
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* loop mode: write until `stop_at` bytes are taken or the stream stalls
   (no PORTER_EV_WRITABLE within stall_ms after PORTER_EAGAIN; stall_ms
   < 0 waits WAIT ms and counts a missing event as a failure). Returns 1
   when it stopped on a stall, 0 otherwise. */
static int writer_loop(writer *w, uint64_t stop_at, int stall_ms,
                       int *owed_writable)
{
    static unsigned char buf[1 << 18];
    size_t i = (size_t)(w->accepted % NPIECES);

    while (w->accepted < stop_at) {
        uint64_t off = w->accepted;
        size_t len = w->fixed_piece ? w->fixed_piece : pieces[i++ % NPIECES];
        porter_event ev;
        int n, r;

        if (*owed_writable) {
            r = tu_next(w->srv, &ev, stall_ms < 0 ? WAIT : stall_ms);
            if (r == 0 && stall_ms >= 0)
                return 1; /* stalled; the event is still owed */
            if (!CHECK_CODE(r, 1) || !CHECK_INT(ev.type, PORTER_EV_WRITABLE)
                || !CHECK(ev.req == w->req)) {
                w->write_rc = -999;
                return 0;
            }
            w->writables++;
            *owed_writable = 0;
        }
        if (len > stop_at - off)
            len = (size_t)(stop_at - off);
        tu_pattern_fill(buf, off, len);
        n = req_write(w->req, buf, len);
        if (n == PORTER_EAGAIN) {
            w->eagains++;
            *owed_writable = 1;
            continue;
        }
        if (n <= 0 || (size_t)n > len) {
            CHECK_CODE(n, (long long)len);
            w->write_rc = n <= 0 ? n : -999;
            return 0;
        }
        if (n > w->max_take)
            w->max_take = n;
        w->accepted += (uint64_t)n;
    }
    return 0;
}

/* ---- A client that reads a response on its own thread ------------------- */

typedef struct reader {
    tc_conn *conn;
    int head_only;
    int rc;
    tc_response resp;
} reader;

static void *reader_main(void *arg)
{
    reader *r = arg;
    r->rc = tc_read_response(r->conn, &r->resp, r->head_only, 40000);
    return NULL;
}

static void check_body(const tc_response *r, uint64_t total)
{
    long long bad;
    CHECK_INT(r->body_len, total);
    if (r->body_len == total) {
        bad = tu_pattern_check(r->body, 0, r->body_len);
        if (!CHECK_INT(bad, -1))
            tu_note("first wrong byte at offset %lld", bad);
    }
}

/* ---- Request plumbing shared by both modes ------------------------------ */

static int loop_mode;
static porter_server *srv;
static tu_evq q;
static int port;

/* callback mode: the handler streams inline for "/inline" */
static void handler(void *user_data, const porter_event *ev)
{
    (void)user_data;
    if (ev->type == PORTER_EV_REQUEST && ev->request &&
        ev->request->path_len == 7 &&
        memcmp(ev->request->path, "/inline", 7) == 0) {
        writer w;
        writer_init(&w, NULL, ev->req, -1, 300000, 0);
        writer_blocking(&w); /* blocks this porter thread: allowed */
        CHECK_CODE(w.head_rc, PORTER_OK);
        CHECK_CODE(w.write_rc, PORTER_OK);
        CHECK_CODE(w.finish_rc, PORTER_OK);
        return;
    }
    tu_evq_push(&q, ev);
}

/* next_request sends "GET path" on c and returns the handle. */
static porter_req next_request(tc_conn *c, const char *path, int http10)
{
    char req[256];
    porter_event ev;
    int r;
    snprintf(req, sizeof req, "GET %s HTTP/1.%d\r\nHost: s\r\n\r\n", path,
             http10 ? 0 : 1);
    REQUIRE_TC(tc_sends(c, req, WAIT), 0);
    if (loop_mode)
        r = tu_next_poll(srv, &ev, WAIT);
    else
        r = tu_evq_pop(&q, &ev, WAIT);
    REQUIRE_CODE(r, 1);
    REQUIRE_INT(ev.type, PORTER_EV_REQUEST);
    REQUIRE(ev.request != NULL);
    CHECK_STRN(ev.request->path, ev.request->path_len, path);
    return ev.req;
}

/* stream runs a whole streamed response of `total` bytes while a reader
   thread reads it; returns the response (caller frees). */
static void stream(const char *path, int64_t declared, uint64_t total,
                   int http10, tc_response *out)
{
    tc_conn c;
    reader rd;
    pthread_t th;
    writer w;
    porter_req req;

    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = next_request(&c, path, http10);
    memset(&rd, 0, sizeof rd);
    rd.conn = &c;
    REQUIRE(pthread_create(&th, NULL, reader_main, &rd) == 0);
    writer_init(&w, srv, req, declared, total, 0);
    if (loop_mode) {
        porter_header h;
        int owed = 0;
        h.name = "X-Stream";
        h.name_len = 8;
        h.value = "yes";
        h.value_len = 3;
        w.head_rc = req_write_head(req, 200, &h, 1, declared);
        w.write_rc = 0;
        if (w.head_rc == 0)
            writer_loop(&w, total, -1, &owed);
        CHECK_INT(w.accepted, total);
        if (w.head_rc == 0 && w.write_rc == 0)
            w.finish_rc = req_finish(req);
        CHECK(w.max_take <= STREAM_BUFFER);
        /* one PORTER_EV_WRITABLE after each PORTER_EAGAIN */
        CHECK_INT(w.writables, w.eagains);
    } else {
        writer_blocking(&w);
    }
    CHECK_CODE(w.head_rc, PORTER_OK);
    CHECK_CODE(w.write_rc, PORTER_OK);
    CHECK_CODE(w.finish_rc, PORTER_OK);
    /* the handle is released by req_finish */
    CHECK_CODE(req_finish(req), PORTER_EHANDLE);
    CHECK_CODE(req_write(req, "x", 1), PORTER_EHANDLE);
    pthread_join(th, NULL);
    CHECK_TC(rd.rc, 0);
    *out = rd.resp;
    if (http10)
        CHECK_INT(tc_wait_closed(&c, WAIT), 1);
    tc_close(&c);
}

static void test_chunked(void)
{
    tc_response r;
    tu_section("chunked (-1) response");
    stream("/chunked", -1, 700001, 0, &r);
    CHECK_INT(r.status, 200);
    CHECK(r.chunked);
    CHECK(tc_header_get(&r, "Content-Length") == NULL);
    CHECK(tc_header_get(&r, "X-Stream") != NULL);
    check_body(&r, 700001);
    tc_response_free(&r);
}

static void test_declared(void)
{
    tc_response r;
    const char *cl;
    tu_section("declared-length response");
    stream("/length", 1048699, 1048699, 0, &r);
    CHECK_INT(r.status, 200);
    CHECK(!r.chunked);
    cl = tc_header_get(&r, "Content-Length");
    CHECK(cl != NULL && strcmp(cl, "1048699") == 0);
    check_body(&r, 1048699);
    tc_response_free(&r);
}

static void test_http10(void)
{
    tc_response r;
    tu_section("HTTP/1.0 with -1: the body ends with the connection");
    stream("/ten", -1, 200000, 1, &r);
    CHECK_INT(r.status, 200);
    CHECK(!r.chunked);
    CHECK(r.until_close);
    check_body(&r, 200000);
    tc_response_free(&r);
}

static void test_inline(void)
{
    tc_conn c;
    tc_response r;
    tu_section("callback mode: streamed from inside the handler");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    REQUIRE_TC(tc_get(&c, "/inline", &r, WAIT * 3), 0);
    CHECK_INT(r.status, 200);
    CHECK(r.chunked);
    check_body(&r, 300000);
    tc_response_free(&r);
    tc_close(&c);
}

/* The calls that do not fit the stream's state. */
static void test_states(void)
{
    tc_conn c;
    tc_response r;
    porter_req req;
    unsigned char buf[64];
    int n;

    tu_section("state errors");
    REQUIRE_TC(tc_connect(&c, port, 0), 0);

    /* before req_write_head: req_write and req_finish give ESTATE, and
       req_finish does not release the handle */
    req = next_request(&c, "/state1", 0);
    CHECK_CODE(req_write(req, "abc", 3), PORTER_ESTATE);
    CHECK_CODE(req_finish(req), PORTER_ESTATE);
    CHECK_CODE(tu_respond_text(req, 200, "fine"), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    CHECK_STRN(r.body, r.body_len, "fine");
    tc_response_free(&r);

    /* after req_write_head: req_respond and a second head give ESTATE;
       a write past the declared length gives ESTATE */
    req = next_request(&c, "/state2", 0);
    CHECK_CODE(req_write_head(req, 200, NULL, 0, 10), PORTER_OK);
    CHECK_CODE(req_respond(req, 200, NULL, 0, "x", 1), PORTER_ESTATE);
    CHECK_CODE(req_write_head(req, 200, NULL, 0, 10), PORTER_ESTATE);
    tu_pattern_fill(buf, 0, 10);
    n = req_write(req, buf, 6);
    if (n == PORTER_EAGAIN && loop_mode) {
        porter_event ev;
        CHECK_CODE(tu_next(srv, &ev, WAIT), 1);
        n = req_write(req, buf, 6);
    }
    CHECK_CODE(n, 6);
    CHECK_CODE(req_write(req, buf + 6, 5), PORTER_ESTATE); /* 11 > 10 */
    n = req_write(req, buf + 6, 4);
    CHECK_CODE(n, 4);
    CHECK_CODE(req_write(req, buf, 1), PORTER_ESTATE);
    CHECK_CODE(req_finish(req), PORTER_OK);
    REQUIRE_TC(tc_read_response(&c, &r, 0, WAIT), 0);
    CHECK_INT(r.status, 200);
    check_body(&r, 10);
    tc_response_free(&r);

    /* finishing short of the declared length: ESTATE, released, and the
       connection closes so the client sees a truncated body */
    req = next_request(&c, "/state3", 0);
    CHECK_CODE(req_write_head(req, 200, NULL, 0, 100), PORTER_OK);
    CHECK_CODE(req_write(req, buf, 10), 10);
    CHECK_CODE(req_finish(req), PORTER_ESTATE);
    CHECK_CODE(req_finish(req), PORTER_EHANDLE);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    CHECK_TC(tc_read_response(&c, &r, 0, WAIT), TC_CLOSED);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.body_len, 10);
    tc_response_free(&r);
    tc_close(&c);

    /* req_abort cuts a chunked stream short: no final chunk */
    REQUIRE_TC(tc_connect(&c, port, 0), 0);
    req = next_request(&c, "/state4", 0);
    CHECK_CODE(req_write_head(req, 200, NULL, 0, -1), PORTER_OK);
    CHECK_CODE(req_write(req, buf, 10), 10);
    CHECK_CODE(req_abort(req), PORTER_OK);
    CHECK_CODE(req_abort(req), PORTER_EHANDLE);
    CHECK_TC(tc_read_response(&c, &r, 0, WAIT), TC_CLOSED);
    tc_response_free(&r);
    tc_close(&c);
}

/* ---- Backpressure ------------------------------------------------------ */

static void test_backpressure_callback(void)
{
    tc_conn c;
    reader rd;
    writer w;
    pthread_t wt, rt;
    porter_req req;
    uint64_t last, cur;
    int64_t t0, stable_since;

    tu_section("backpressure, callback mode: req_write blocks");
    /* a small receive buffer keeps what the kernel holds small */
    REQUIRE_TC(tc_connect(&c, port, 65536), 0);
    req = next_request(&c, "/big", 0);
    writer_init(&w, srv, req, (int64_t)BIG_TOTAL, BIG_TOTAL, 1 << 18);
    REQUIRE(pthread_create(&wt, NULL, writer_blocking, &w) == 0);

    /* the client does not read: what porter takes must level off far
       below the 64 MiB the writer wants to write */
    t0 = tu_now_ms();
    last = 0;
    stable_since = t0;
    for (;;) {
        tu_sleep_ms(50); /* sampling a counter, bounded below */
        cur = __atomic_load_n(&w.accepted, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&w.done, __ATOMIC_SEQ_CST))
            break;
        if (cur != last) {
            last = cur;
            stable_since = tu_now_ms();
        } else if (tu_now_ms() - stable_since >= 700) {
            break;
        }
        if (tu_now_ms() - t0 > 30000)
            break;
    }
    cur = __atomic_load_n(&w.accepted, __ATOMIC_SEQ_CST);
    tu_note("accepted %llu bytes while the client did not read",
            (unsigned long long)cur);
    CHECK(!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST));
    CHECK(cur < BIG_TOTAL);
    CHECK(cur <= BIG_TOTAL / 2);

    /* now the client reads: the writer completes */
    memset(&rd, 0, sizeof rd);
    rd.conn = &c;
    REQUIRE(pthread_create(&rt, NULL, reader_main, &rd) == 0);
    pthread_join(rt, NULL);
    pthread_join(wt, NULL);
    CHECK_CODE(w.head_rc, PORTER_OK);
    CHECK_CODE(w.write_rc, PORTER_OK);
    CHECK_CODE(w.finish_rc, PORTER_OK);
    CHECK_TC(rd.rc, 0);
    CHECK_INT(rd.resp.status, 200);
    check_body(&rd.resp, BIG_TOTAL);
    tc_response_free(&rd.resp);
    tc_close(&c);
}

static void test_backpressure_loop(void)
{
    tc_conn c;
    reader rd;
    writer w;
    pthread_t rt;
    porter_req req;
    porter_event ev;
    int owed = 0, stalled;

    tu_section("backpressure, loop mode: PORTER_EAGAIN, then WRITABLE");
    REQUIRE_TC(tc_connect(&c, port, 65536), 0);
    req = next_request(&c, "/big", 0);
    writer_init(&w, srv, req, (int64_t)BIG_TOTAL, BIG_TOTAL, 65536);
    w.head_rc = req_write_head(req, 200, NULL, 0, (int64_t)BIG_TOTAL);
    REQUIRE_CODE(w.head_rc, PORTER_OK);
    w.write_rc = 0;

    /* the client does not read: writing must stall with PORTER_EAGAIN
       and no PORTER_EV_WRITABLE long before 64 MiB */
    stalled = writer_loop(&w, BIG_TOTAL, 1000, &owed);
    tu_note("accepted %llu bytes (%ld EAGAIN) before the stall",
            (unsigned long long)w.accepted, w.eagains);
    CHECK(stalled);
    CHECK(owed);
    CHECK(w.eagains > 0);
    CHECK(w.accepted < BIG_TOTAL);
    CHECK(w.accepted <= BIG_TOTAL / 2);
    CHECK(w.max_take <= STREAM_BUFFER);
    CHECK_CODE(w.write_rc, 0);
    /* no event while stalled */
    CHECK_CODE(server_next(srv, &ev, 1, 0), 0);

    /* the client reads: the owed PORTER_EV_WRITABLE comes, writing goes
       on to the end */
    memset(&rd, 0, sizeof rd);
    rd.conn = &c;
    REQUIRE(pthread_create(&rt, NULL, reader_main, &rd) == 0);
    if (stalled && w.write_rc == 0) {
        writer_loop(&w, BIG_TOTAL, -1, &owed);
        CHECK_INT(w.accepted, BIG_TOTAL);
        CHECK_CODE(w.write_rc, 0);
        CHECK_INT(w.writables, w.eagains);
        CHECK(w.max_take <= STREAM_BUFFER);
        CHECK_CODE(req_finish(req), PORTER_OK);
    } else {
        req_abort(req);
    }
    pthread_join(rt, NULL);
    CHECK_TC(rd.rc, 0);
    CHECK_INT(rd.resp.status, 200);
    check_body(&rd.resp, BIG_TOTAL);
    tc_response_free(&rd.resp);
    tc_close(&c);
}

int main(int argc, char **argv)
{
    porter_config cfg;

    if (argc != 2 || (strcmp(argv[1], "callback") != 0 &&
                      strcmp(argv[1], "loop") != 0)) {
        fprintf(stderr, "usage: %s callback|loop\n", argv[0]);
        return 2;
    }
    loop_mode = strcmp(argv[1], "loop") == 0;
    tu_init(loop_mode ? "stream_write loop" : "stream_write callback", 100);
    tu_evq_init(&q);
    tu_config(&cfg);
    if (loop_mode) {
        cfg.stream_buffer = STREAM_BUFFER;
    } else {
        cfg.handler = handler;
        cfg.user_data = &q;
    }
    srv = tu_server(&cfg);
    port = tu_start(srv);

    test_chunked();
    test_declared();
    test_http10();
    if (!loop_mode)
        test_inline();
    test_states();
    if (loop_mode)
        test_backpressure_loop();
    else
        test_backpressure_callback();

    CHECK_CODE(server_free(srv), PORTER_OK);
    tu_evq_destroy(&q);
    return tu_done();
}
