/*
 * testutil.h -- the small shared helper of porter's C tests.
 *
 * It gives each test program:
 *   - TAP-ish checks: CHECK and friends print "not ok N - file:line: ..."
 *     on failure and make tu_done() return non-zero; REQUIRE stops the
 *     test at once when going on makes no sense;
 *   - a last-resort alarm (tu_init) so that no test runs for ever;
 *   - a raw-socket HTTP/1.1 client on 127.0.0.1 whose every wait is
 *     bounded by poll() timeouts;
 *   - server helpers: a config, a server listening on 127.0.0.1:0 and its
 *     port read back with server_addr;
 *   - an event queue that turns callback mode into something the main
 *     thread can wait on with a timeout, and a bounded loop-mode pull.
 *
 * Include this header first: it sets the feature-test macros.
 */
#ifndef PORTER_TESTUTIL_H
#define PORTER_TESTUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "porter.h"

/* ---- Checks ------------------------------------------------------------ */

/* tu_init names the test, arms alarm(seconds) and prints a TAP comment. */
void tu_init(const char *name, unsigned seconds);

/* tu_section prints a TAP comment naming the part of the test now running. */
void tu_section(const char *name);

/* tu_done prints the summary and returns the exit code for main. */
int tu_done(void);

/* tu_bail prints the summary and exits non-zero at once. */
void tu_bail(void) __attribute__((noreturn));

/* The check functions return 1 when the check passed. Thread-safe. */
int tu_check(int ok, const char *file, int line, const char *expr);
int tu_check_int(long long got, long long want, const char *file, int line,
                 const char *got_expr, const char *want_expr);
int tu_check_code(long long got, long long want, const char *file, int line,
                  const char *got_expr, const char *want_expr);
int tu_check_tc(long long got, long long want, const char *file, int line,
                const char *got_expr, const char *want_expr);
int tu_check_mem(const char *got, size_t got_len, const char *want,
                 size_t want_len, const char *file, int line,
                 const char *got_expr);
int tu_check_str(const char *got, const char *want, const char *file,
                 int line, const char *got_expr);
void tu_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define CHECK(expr) tu_check(!!(expr), __FILE__, __LINE__, #expr)
/* CHECK_INT compares two integers and prints both on failure. */
#define CHECK_INT(got, want) \
    tu_check_int((long long)(got), (long long)(want), __FILE__, __LINE__, \
                 #got, #want)
/* CHECK_CODE is CHECK_INT for porter return codes: prints their names. */
#define CHECK_CODE(got, want) \
    tu_check_code((long long)(got), (long long)(want), __FILE__, __LINE__, \
                  #got, #want)
/* CHECK_STRN compares (ptr, len) with a C string literal or pointer. */
#define CHECK_STRN(ptr, len, want) \
    tu_check_mem((const char *)(ptr), (size_t)(len), (want), \
                 strlen(want), __FILE__, __LINE__, #ptr)
#define CHECK_STR(got, want) \
    tu_check_str((got), (want), __FILE__, __LINE__, #got)

/* CHECK_TC is CHECK_INT for the client's results (TC_*): prints names. */
#define CHECK_TC(got, want) \
    tu_check_tc((long long)(got), (long long)(want), __FILE__, __LINE__, \
                #got, #want)

#define REQUIRE(expr) \
    do { if (!CHECK(expr)) tu_bail(); } while (0)
#define REQUIRE_INT(got, want) \
    do { if (!CHECK_INT(got, want)) tu_bail(); } while (0)
#define REQUIRE_CODE(got, want) \
    do { if (!CHECK_CODE(got, want)) tu_bail(); } while (0)
#define REQUIRE_TC(got, want) \
    do { if (!CHECK_TC(got, want)) tu_bail(); } while (0)

/* ---- Time -------------------------------------------------------------- */

/* tu_now_ms returns a monotonic clock in milliseconds. */
int64_t tu_now_ms(void);

/* tu_sleep_ms sleeps (only used where a delay is the scenario itself). */
void tu_sleep_ms(int ms);

/* tu_raise_nofile raises RLIMIT_NOFILE to its hard limit; returns it. */
long tu_raise_nofile(void);

/* Test data: byte i of a test stream is tu_pattern(i). */
unsigned char tu_pattern(uint64_t i);
void tu_pattern_fill(unsigned char *buf, uint64_t offset, size_t len);
/* tu_pattern_check returns the index of the first wrong byte, or -1. */
long long tu_pattern_check(const unsigned char *buf, uint64_t offset,
                           size_t len);

/* ---- HTTP client ------------------------------------------------------- */

typedef struct tc_conn {
    int fd;
    char *buf;      /* bytes read and not consumed yet */
    size_t len;
    size_t cap;
    int eof;        /* the server closed (or reset) the connection */
} tc_conn;

typedef struct tc_header {
    char *name;
    char *value;
} tc_header;

typedef struct tc_response {
    int status;
    int minor;          /* HTTP/1.minor */
    int header_count;
    tc_header headers[128];
    int chunked;        /* the body came with Transfer-Encoding: chunked */
    int until_close;    /* the body was delimited by the connection's end */
    unsigned char *body;
    size_t body_len;
} tc_response;

/* Results of the client calls (besides 0 for success). */
enum {
    TC_TIMEOUT = -1,    /* the deadline passed */
    TC_CLOSED = -2,     /* the connection ended before the message did */
    TC_PARSE = -3,      /* the bytes are not a valid HTTP/1.1 response */
    TC_ERROR = -4       /* a system call failed */
};

/* tc_connect connects to 127.0.0.1:port; rcvbuf > 0 sets SO_RCVBUF first.
   Returns 0 or TC_ERROR (errno kept: ECONNREFUSED says refused). */
int tc_connect(tc_conn *c, int port, int rcvbuf);

/* tc_send sends all bytes within timeout_ms. Returns 0, TC_TIMEOUT or
   TC_ERROR (EPIPE/ECONNRESET: the server closed). */
int tc_send(tc_conn *c, const void *buf, size_t len, int timeout_ms);
int tc_sends(tc_conn *c, const char *s, int timeout_ms);

/* tc_fill reads what is there within timeout_ms into c->buf. Returns the
   bytes read, 0 at EOF (c->eof set), TC_TIMEOUT or TC_ERROR. */
long tc_fill(tc_conn *c, int timeout_ms);

/* tc_read_response reads one response. head_only: the request was HEAD
   (no body follows whatever the headers say). Returns 0, TC_TIMEOUT,
   TC_CLOSED or TC_PARSE. Free the response with tc_response_free. */
int tc_read_response(tc_conn *c, tc_response *r, int head_only,
                     int timeout_ms);

/* tc_read_head reads only a response's status line and headers. */
int tc_read_head(tc_conn *c, tc_response *r, int timeout_ms);

/* tc_wait_closed waits until the server closes the connection, throwing
   away what it sends. Returns 1 (closed), 0 (timeout), or -1 on error. */
int tc_wait_closed(tc_conn *c, int timeout_ms);

/* tc_pending returns 1 if bytes or EOF can be read within timeout_ms
   (buffered bytes count), else 0. */
int tc_pending(tc_conn *c, int timeout_ms);

/* tc_header_get returns the first header named `name` (any case) or NULL. */
const char *tc_header_get(const tc_response *r, const char *name);
int tc_header_count(const tc_response *r, const char *name);

void tc_response_free(tc_response *r);
void tc_close(tc_conn *c);

/* tc_local_port returns the client's own port (for the view's remote). */
int tc_local_port(const tc_conn *c);

/* tc_get sends "GET path HTTP/1.1" with a Host header, then reads the
   response. Returns as tc_read_response. */
int tc_get(tc_conn *c, const char *path, tc_response *r, int timeout_ms);

/* ---- Server helpers ---------------------------------------------------- */

/* tu_config zeroes cfg and sets its size. */
void tu_config(porter_config *cfg);

/* tu_server makes a server (REQUIREs success). */
porter_server *tu_server(const porter_config *cfg);

/* tu_listen listens on 127.0.0.1:0 and returns the port (REQUIREs). */
int tu_listen(porter_server *srv);

/* tu_port returns listener idx's port via server_addr, or -1. */
int tu_port(porter_server *srv, int idx);

/* tu_start listens on 127.0.0.1:0, starts the server, returns the port. */
int tu_start(porter_server *srv);

/* tu_stats returns the server's counters, whole (REQUIREs success). */
porter_stats tu_stats(porter_server *srv);

/* tu_next pulls one event from a loop-mode server within timeout_ms with
   server_next(). Returns 1, 0 on timeout, or server_next's error. */
int tu_next(porter_server *srv, porter_event *ev, int timeout_ms);

/* tu_next_poll is tu_next that waits with poll() on server_pollfd() and
   then calls server_next() with a zero timeout. */
int tu_next_poll(porter_server *srv, porter_event *ev, int timeout_ms);

/* tu_respond_text answers with status and a text body (no headers). */
int tu_respond_text(porter_req req, int status, const char *body);

/* ---- Callback-mode event queue ----------------------------------------- */

typedef struct tu_evq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    porter_event *items;
    size_t cap, head, count;
    long long total;         /* events ever pushed */
} tu_evq;

void tu_evq_init(tu_evq *q);
void tu_evq_destroy(tu_evq *q);
void tu_evq_push(tu_evq *q, const porter_event *ev);
/* tu_evq_pop returns 1 with an event, 0 on timeout. */
int tu_evq_pop(tu_evq *q, porter_event *ev, int timeout_ms);

/* tu_queue_handler is a porter_handler_cb whose user_data is a tu_evq*:
   it pushes each event (copied) and returns. */
void tu_queue_handler(void *user_data, const porter_event *ev);

/* A monotonic-clock condition variable helper. */
void tu_cond_init(pthread_cond_t *cv);
/* tu_cond_wait_ms waits on cv (mu held) until deadline_ms (tu_now_ms
   clock). Returns 0, or ETIMEDOUT. */
int tu_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                       int64_t deadline_ms);

#endif /* PORTER_TESTUTIL_H */
