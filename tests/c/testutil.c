/* testutil.c -- see testutil.h. */
#include "testutil.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ---- Checks ------------------------------------------------------------ */

static pthread_mutex_t tu_mu = PTHREAD_MUTEX_INITIALIZER;
static long tu_checks;
static long tu_failures;
static const char *tu_name = "test";

static void tu_on_alarm(int sig)
{
    static const char msg[] =
        "Bail out! the test ran out of time (alarm); something hung\n";
    ssize_t r;
    (void)sig;
    r = write(1, msg, sizeof msg - 1);
    r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(3);
}

void tu_init(const char *name, unsigned seconds)
{
    struct sigaction sa;

    setvbuf(stdout, NULL, _IOLBF, 0);
    tu_name = name;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tu_on_alarm;
    sa.sa_flags = SA_ONSTACK; /* porter.h: handlers need SA_ONSTACK */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
    printf("# %s\n", name);
}

void tu_section(const char *name)
{
    pthread_mutex_lock(&tu_mu);
    printf("# -- %s\n", name);
    fflush(stdout);
    pthread_mutex_unlock(&tu_mu);
}

void tu_note(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&tu_mu);
    fputs("#    ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&tu_mu);
}

static void tu_summary(void)
{
    pthread_mutex_lock(&tu_mu);
    printf("# %s: %ld checks, %ld failed\n", tu_name, tu_checks,
           tu_failures);
    printf("%s - %s\n", tu_failures ? "not ok" : "ok", tu_name);
    fflush(stdout);
    pthread_mutex_unlock(&tu_mu);
}

int tu_done(void)
{
    int failed;
    tu_summary();
    pthread_mutex_lock(&tu_mu);
    failed = tu_failures != 0;
    pthread_mutex_unlock(&tu_mu);
    return failed ? 1 : 0;
}

void tu_bail(void)
{
    pthread_mutex_lock(&tu_mu);
    printf("Bail out! a required check failed\n");
    pthread_mutex_unlock(&tu_mu);
    tu_summary();
    fflush(stdout);
    _exit(1); /* do not run atexit handlers while porter threads run */
}

static void tu_fail_begin(const char *file, int line)
{
    tu_failures++;
    printf("not ok %ld - %s:%d: ", tu_checks, file, line);
}

int tu_check(int ok, const char *file, int line, const char *expr)
{
    pthread_mutex_lock(&tu_mu);
    tu_checks++;
    if (!ok) {
        tu_fail_begin(file, line);
        printf("CHECK(%s)\n", expr);
        fflush(stdout);
    }
    pthread_mutex_unlock(&tu_mu);
    return ok;
}

int tu_check_int(long long got, long long want, const char *file, int line,
                 const char *got_expr, const char *want_expr)
{
    int ok = got == want;
    pthread_mutex_lock(&tu_mu);
    tu_checks++;
    if (!ok) {
        tu_fail_begin(file, line);
        printf("%s == %s: got %lld, want %lld\n", got_expr, want_expr, got,
               want);
        fflush(stdout);
    }
    pthread_mutex_unlock(&tu_mu);
    return ok;
}

static const char *tu_codename(long long code)
{
    if (code > 0)
        return "n>0";
    if (code < -1000)
        return "?";
    return porter_errname((int)code);
}

int tu_check_code(long long got, long long want, const char *file, int line,
                  const char *got_expr, const char *want_expr)
{
    int ok = got == want;
    if (!ok) {
        /* look the names up before taking the lock */
        const char *g = tu_codename(got), *w = tu_codename(want);
        pthread_mutex_lock(&tu_mu);
        tu_checks++;
        tu_fail_begin(file, line);
        printf("%s == %s: got %lld (%s), want %lld (%s)\n", got_expr,
               want_expr, got, g ? g : "(null)", want, w ? w : "(null)");
        fflush(stdout);
        pthread_mutex_unlock(&tu_mu);
        return 0;
    }
    pthread_mutex_lock(&tu_mu);
    tu_checks++;
    pthread_mutex_unlock(&tu_mu);
    return 1;
}

static const char *tu_tcname(long long rc)
{
    switch (rc) {
    case 0: return "ok";
    case -1: return "TC_TIMEOUT";
    case -2: return "TC_CLOSED";
    case -3: return "TC_PARSE";
    case -4: return "TC_ERROR";
    default: return "?";
    }
}

int tu_check_tc(long long got, long long want, const char *file, int line,
                const char *got_expr, const char *want_expr)
{
    int ok = got == want;
    pthread_mutex_lock(&tu_mu);
    tu_checks++;
    if (!ok) {
        tu_fail_begin(file, line);
        printf("%s == %s: got %lld (%s), want %lld (%s)\n", got_expr,
               want_expr, got, tu_tcname(got), want, tu_tcname(want));
        fflush(stdout);
    }
    pthread_mutex_unlock(&tu_mu);
    return ok;
}

static void tu_print_bytes(const char *p, size_t len)
{
    size_t i, n = len > 120 ? 120 : len;
    putchar('"');
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch >= 32 && ch < 127 && ch != '"' && ch != '\\')
            putchar(ch);
        else
            printf("\\x%02x", ch);
    }
    putchar('"');
    if (n < len)
        printf("... (%zu bytes)", len);
}

int tu_check_mem(const char *got, size_t got_len, const char *want,
                 size_t want_len, const char *file, int line,
                 const char *got_expr)
{
    int ok = got != NULL && got_len == want_len &&
             memcmp(got, want, want_len) == 0;
    pthread_mutex_lock(&tu_mu);
    tu_checks++;
    if (!ok) {
        tu_fail_begin(file, line);
        printf("%s: got ", got_expr);
        if (got)
            tu_print_bytes(got, got_len);
        else
            printf("NULL");
        printf(", want ");
        tu_print_bytes(want, want_len);
        putchar('\n');
        fflush(stdout);
    }
    pthread_mutex_unlock(&tu_mu);
    return ok;
}

int tu_check_str(const char *got, const char *want, const char *file,
                 int line, const char *got_expr)
{
    return tu_check_mem(got, got ? strlen(got) : 0, want, strlen(want), file,
                        line, got_expr);
}

/* ---- Time and misc ----------------------------------------------------- */

int64_t tu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tu_sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

long tu_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    return rl.rlim_cur == RLIM_INFINITY ? 1L << 30 : (long)rl.rlim_cur;
}

unsigned char tu_pattern(uint64_t i)
{
    uint64_t x = i ^ (i >> 7) ^ (i >> 17);
    return (unsigned char)((x * 131u + 7u) & 0xffu);
}

void tu_pattern_fill(unsigned char *buf, uint64_t offset, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        buf[i] = tu_pattern(offset + i);
}

long long tu_pattern_check(const unsigned char *buf, uint64_t offset,
                           size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (buf[i] != tu_pattern(offset + i))
            return (long long)i;
    return -1;
}

/* ---- HTTP client ------------------------------------------------------- */

static int remaining_ms(int64_t deadline)
{
    int64_t left = deadline - tu_now_ms();
    if (left < 0)
        return 0;
    if (left > 1000000)
        return 1000000;
    return (int)left;
}

/* poll_until waits until fd has events or the deadline passes; like
   poll(2) it returns > 0, 0 on timeout, or < 0. */
static int poll_until(int fd, short events, int64_t deadline)
{
    struct pollfd pfd;
    int r;
    do {
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        r = poll(&pfd, 1, remaining_ms(deadline));
    } while (r < 0 && errno == EINTR);
    return r;
}

int tc_connect(tc_conn *c, int port, int rcvbuf)
{
    struct sockaddr_in sa;
    struct timeval tv;
    int one = 1, err;

    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return TC_ERROR;
    if (rcvbuf > 0)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    /* SO_SNDTIMEO bounds a blocking connect() on Linux. */
    tv.tv_sec = 20;
    tv.tv_usec = 0;
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    while (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        if (errno == EINTR)
            continue;
        err = errno;
        close(c->fd);
        c->fd = -1;
        errno = err;
        return TC_ERROR;
    }
    return 0;
}

int tc_send(tc_conn *c, const void *buf, size_t len, int timeout_ms)
{
    const char *p = buf;
    int64_t deadline = tu_now_ms() + timeout_ms;
    while (len > 0) {
        ssize_t n;
        int r;
        r = poll_until(c->fd, POLLOUT, deadline);
        if (r < 0)
            return TC_ERROR;
        if (r == 0)
            return TC_TIMEOUT;
        n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return TC_ERROR;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int tc_sends(tc_conn *c, const char *s, int timeout_ms)
{
    return tc_send(c, s, strlen(s), timeout_ms);
}

/* c->buf holds unconsumed bytes at [0, len). */
static void tc_consume(tc_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static long tc_fill_until(tc_conn *c, int64_t deadline)
{
    for (;;) {
        ssize_t n;
        int r;
        if (c->eof)
            return 0;
        if (c->cap - c->len < 65536) {
            size_t ncap = c->cap ? c->cap * 2 : 131072;
            char *nb;
            while (ncap - c->len < 65536)
                ncap *= 2;
            nb = realloc(c->buf, ncap);
            if (!nb)
                return TC_ERROR;
            c->buf = nb;
            c->cap = ncap;
        }
        r = poll_until(c->fd, POLLIN, deadline);
        if (r < 0)
            return TC_ERROR;
        if (r == 0)
            return TC_TIMEOUT;
        n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            if (errno == ECONNRESET || errno == EPIPE) {
                c->eof = 1;
                return 0;
            }
            return TC_ERROR;
        }
        if (n == 0) {
            c->eof = 1;
            return 0;
        }
        c->len += (size_t)n;
        return (long)n;
    }
}

long tc_fill(tc_conn *c, int timeout_ms)
{
    return tc_fill_until(c, tu_now_ms() + timeout_ms);
}

static char *tc_strndup(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static const char *tc_find(const char *p, size_t len, const char *pat)
{
    size_t m = strlen(pat), i;
    if (len < m)
        return NULL;
    for (i = 0; i + m <= len; i++)
        if (p[i] == pat[0] && memcmp(p + i, pat, m) == 0)
            return p + i;
    return NULL;
}

static int tc_parse_head(tc_response *r, const char *p, size_t len)
{
    const char *end = p + len, *eol, *colon;
    const char *v, *ve;

    eol = tc_find(p, len, "\r\n");
    if (!eol || eol - p < 12 || memcmp(p, "HTTP/1.", 7) != 0 ||
        !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
        !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) ||
        !isdigit((unsigned char)p[11]))
        return TC_PARSE;
    r->minor = p[7] - '0';
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    p = eol + 2;
    while (p < end) {
        eol = tc_find(p, (size_t)(end - p), "\r\n");
        if (!eol)
            return TC_PARSE;
        if (eol == p)
            break;
        colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon || colon == p)
            return TC_PARSE;
        v = colon + 1;
        ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (r->header_count < (int)(sizeof r->headers / sizeof r->headers[0])) {
            r->headers[r->header_count].name =
                tc_strndup(p, (size_t)(colon - p));
            r->headers[r->header_count].value =
                tc_strndup(v, (size_t)(ve - v));
            r->header_count++;
        }
        p = eol + 2;
    }
    return 0;
}

int tc_read_head(tc_conn *c, tc_response *r, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    const char *h;
    size_t scanned = 0;

    memset(r, 0, sizeof *r);
    for (;;) {
        long n;
        size_t from = scanned > 3 ? scanned - 3 : 0;
        h = c->len ? tc_find(c->buf + from, c->len - from, "\r\n\r\n")
                   : NULL;
        if (h)
            break;
        scanned = c->len;
        if (c->len > (1u << 20))
            return TC_PARSE;
        n = tc_fill_until(c, deadline);
        if (n == 0)
            return TC_CLOSED;
        if (n < 0)
            return (int)n;
    }
    {
        size_t hlen = (size_t)(h - c->buf) + 4;
        int rc = tc_parse_head(r, c->buf, hlen);
        tc_consume(c, hlen);
        return rc;
    }
}

static void tc_body_append(tc_response *r, size_t *cap, const char *p,
                           size_t n)
{
    if (r->body_len + n + 1 > *cap) {
        size_t ncap = *cap ? *cap : 4096;
        while (r->body_len + n + 1 > ncap)
            ncap *= 2;
        r->body = realloc(r->body, ncap);
        if (!r->body)
            abort();
        *cap = ncap;
    }
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = 0;
}

/* tc_take moves n body bytes from the connection into r. */
static int tc_take(tc_conn *c, tc_response *r, size_t *cap, uint64_t n,
                   int64_t deadline)
{
    while (n > 0) {
        size_t k;
        if (c->len == 0) {
            long f = tc_fill_until(c, deadline);
            if (f == 0)
                return TC_CLOSED;
            if (f < 0)
                return (int)f;
        }
        k = c->len < n ? c->len : (size_t)n;
        tc_body_append(r, cap, c->buf, k);
        tc_consume(c, k);
        n -= k;
    }
    return 0;
}

/* tc_line waits for a CRLF-ended line; returns its length (without CRLF). */
static long tc_line(tc_conn *c, int64_t deadline)
{
    for (;;) {
        const char *e = c->len ? tc_find(c->buf, c->len, "\r\n") : NULL;
        long f;
        if (e)
            return (long)(e - c->buf);
        if (c->len > 65536)
            return TC_PARSE;
        f = tc_fill_until(c, deadline);
        if (f == 0)
            return TC_CLOSED;
        if (f < 0)
            return f;
    }
}

static int tc_read_chunked(tc_conn *c, tc_response *r, size_t *cap,
                           int64_t deadline)
{
    for (;;) {
        long ll = tc_line(c, deadline);
        uint64_t size = 0;
        long i;
        int digits = 0, rc;
        if (ll < 0)
            return (int)ll;
        for (i = 0; i < ll; i++) {
            int ch = (unsigned char)c->buf[i], d;
            if (ch >= '0' && ch <= '9')
                d = ch - '0';
            else if (ch >= 'a' && ch <= 'f')
                d = ch - 'a' + 10;
            else if (ch >= 'A' && ch <= 'F')
                d = ch - 'A' + 10;
            else if (ch == ';' || ch == ' ' || ch == '\t')
                break;
            else
                return TC_PARSE;
            size = size * 16 + (uint64_t)d;
            digits++;
        }
        if (digits == 0 || digits > 15)
            return TC_PARSE;
        tc_consume(c, (size_t)ll + 2);
        if (size == 0) {
            /* trailer fields, then the empty line */
            for (;;) {
                ll = tc_line(c, deadline);
                if (ll < 0)
                    return (int)ll;
                tc_consume(c, (size_t)ll + 2);
                if (ll == 0)
                    return 0;
            }
        }
        rc = tc_take(c, r, cap, size, deadline);
        if (rc != 0)
            return rc;
        ll = tc_line(c, deadline);
        if (ll < 0)
            return (int)ll;
        if (ll != 0)
            return TC_PARSE;
        tc_consume(c, 2);
    }
}

int tc_read_response(tc_conn *c, tc_response *r, int head_only,
                     int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    const char *te, *cl;
    size_t cap = 0;
    int rc;

    rc = tc_read_head(c, r, timeout_ms);
    if (rc != 0)
        return rc;
    r->body = malloc(1);
    r->body[0] = 0;
    cap = 1;
    if (head_only || (r->status >= 100 && r->status < 200) ||
        r->status == 204 || r->status == 304)
        return 0;
    te = tc_header_get(r, "Transfer-Encoding");
    cl = tc_header_get(r, "Content-Length");
    if (te) {
        if (strcasecmp(te, "chunked") != 0)
            return TC_PARSE;
        r->chunked = 1;
        return tc_read_chunked(c, r, &cap, deadline);
    }
    if (cl) {
        char *end;
        unsigned long long n;
        if (!isdigit((unsigned char)cl[0]))
            return TC_PARSE;
        errno = 0;
        n = strtoull(cl, &end, 10);
        if (*end || errno)
            return TC_PARSE;
        if (n + 1 > cap) {
            free(r->body);
            r->body = malloc((size_t)n + 1);
            if (!r->body)
                abort();
            cap = (size_t)n + 1;
        }
        return tc_take(c, r, &cap, n, deadline);
    }
    /* delimited by the end of the connection */
    r->until_close = 1;
    for (;;) {
        long f;
        if (c->len) {
            tc_body_append(r, &cap, c->buf, c->len);
            c->len = 0;
        }
        f = tc_fill_until(c, deadline);
        if (f == 0)
            return 0;
        if (f < 0)
            return (int)f;
    }
}

int tc_wait_closed(tc_conn *c, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    for (;;) {
        long f;
        c->len = 0;
        if (c->eof)
            return 1;
        f = tc_fill_until(c, deadline);
        if (f == 0)
            return 1;
        if (f == TC_TIMEOUT)
            return 0;
        if (f < 0)
            return -1;
    }
}

int tc_pending(tc_conn *c, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    if (c->len > 0 || c->eof)
        return 1;
    for (;;) {
        int r;
        r = poll_until(c->fd, POLLIN, deadline);
        return r > 0;
    }
}

const char *tc_header_get(const tc_response *r, const char *name)
{
    int i;
    for (i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

int tc_header_count(const tc_response *r, const char *name)
{
    int i, n = 0;
    for (i = 0; i < r->header_count; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            n++;
    return n;
}

void tc_response_free(tc_response *r)
{
    int i;
    for (i = 0; i < r->header_count; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->body);
    memset(r, 0, sizeof *r);
}

void tc_close(tc_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

int tc_local_port(const tc_conn *c)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    if (getsockname(c->fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    return ntohs(sa.sin_port);
}

int tc_get(tc_conn *c, const char *path, tc_response *r, int timeout_ms)
{
    char req[2048];
    int rc;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path);
    rc = tc_sends(c, req, timeout_ms);
    if (rc != 0) {
        memset(r, 0, sizeof *r);
        return rc;
    }
    return tc_read_response(c, r, 0, timeout_ms);
}

/* ---- Server helpers ---------------------------------------------------- */

void tu_config(porter_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->size = sizeof *cfg;
}

porter_server *tu_server(const porter_config *cfg)
{
    porter_server *srv = NULL;
    REQUIRE_CODE(server_new(cfg, &srv), PORTER_OK);
    REQUIRE(srv != NULL);
    return srv;
}

int tu_port(porter_server *srv, int idx)
{
    char buf[128];
    const char *colon;
    int n = server_addr(srv, idx, buf, sizeof buf);
    if (n <= 0 || (size_t)n >= sizeof buf)
        return -1;
    colon = strrchr(buf, ':');
    if (!colon)
        return -1;
    return atoi(colon + 1);
}

int tu_listen(porter_server *srv)
{
    int idx = server_listen(srv, "127.0.0.1:0"), port;
    if (idx < 0) {
        char msg[256];
        server_errmsg(srv, msg, sizeof msg);
        tu_note("server_listen: %d (%s)", idx, msg);
    }
    REQUIRE(idx >= 0);
    port = tu_port(srv, idx);
    REQUIRE(port > 0);
    return port;
}

int tu_start(porter_server *srv)
{
    int port = tu_listen(srv);
    REQUIRE_CODE(server_start(srv), PORTER_OK);
    return port;
}

porter_stats tu_stats(porter_server *srv)
{
    porter_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    REQUIRE_CODE(server_stats(srv, &st), PORTER_OK);
    return st;
}

int tu_next(porter_server *srv, porter_event *ev, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    for (;;) {
        int left = remaining_ms(deadline);
        int n = server_next(srv, ev, 1, left);
        if (n != 0)
            return n;
        if (left == 0 || tu_now_ms() >= deadline)
            return 0;
    }
}

int tu_next_poll(porter_server *srv, porter_event *ev, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    int fd = server_pollfd(srv);
    if (fd < 0)
        return fd;
    for (;;) {
        int r, n;
        r = poll_until(fd, POLLIN, deadline);
        if (r < 0)
            return PORTER_EINTERNAL;
        if (r == 0)
            return 0;
        n = server_next(srv, ev, 1, 0);
        if (n != 0)
            return n;
        /* readable without an event: another thread took it, or a
           spurious wake-up; poll again (bounded by the deadline). */
        if (tu_now_ms() >= deadline)
            return 0;
    }
}

int tu_respond_text(porter_req req, int status, const char *body)
{
    return req_respond(req, status, NULL, 0, body, strlen(body));
}

/* ---- Event queue ------------------------------------------------------- */

void tu_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

int tu_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
                       int64_t deadline_ms)
{
    struct timespec ts;
    ts.tv_sec = deadline_ms / 1000;
    ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
    return pthread_cond_timedwait(cv, mu, &ts);
}

void tu_evq_init(tu_evq *q)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    tu_cond_init(&q->cv);
    q->cap = 256;
    q->items = calloc(q->cap, sizeof *q->items);
    if (!q->items)
        abort();
}

void tu_evq_destroy(tu_evq *q)
{
    free(q->items);
    q->items = NULL;
}

void tu_evq_push(tu_evq *q, const porter_event *ev)
{
    pthread_mutex_lock(&q->mu);
    if (q->count == q->cap) {
        size_t i, ncap = q->cap * 2;
        porter_event *n = calloc(ncap, sizeof *n);
        if (!n)
            abort();
        for (i = 0; i < q->count; i++)
            n[i] = q->items[(q->head + i) % q->cap];
        free(q->items);
        q->items = n;
        q->cap = ncap;
        q->head = 0;
    }
    q->items[(q->head + q->count) % q->cap] = *ev;
    q->count++;
    q->total++;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

int tu_evq_pop(tu_evq *q, porter_event *ev, int timeout_ms)
{
    int64_t deadline = tu_now_ms() + timeout_ms;
    int got = 0;
    pthread_mutex_lock(&q->mu);
    while (q->count == 0) {
        if (tu_cond_wait_until(&q->cv, &q->mu, deadline) == ETIMEDOUT &&
            q->count == 0)
            break;
    }
    if (q->count > 0) {
        *ev = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        got = 1;
    }
    pthread_mutex_unlock(&q->mu);
    return got;
}

void tu_queue_handler(void *user_data, const porter_event *ev)
{
    tu_evq_push((tu_evq *)user_data, ev);
}
