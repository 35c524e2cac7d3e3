/* common.c -- helpers shared by the C examples; see common.h. */
#define _XOPEN_SOURCE 700 /* sigaction, SA_ONSTACK, fcntl under -std=c99 */

#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- porter calls ---------------------------------------------------- */

int check(const char *what, int rc)
{
    if (rc < 0 && rc != PORTER_EABORTED)
        fprintf(stderr, "%s: %s (%s)\n", what, porter_strerror(rc),
                porter_errname(rc));
    return rc;
}

void release(porter_req req)
{
    int rc = req_abort(req);

    if (rc != PORTER_EHANDLE)
        check("req_abort", rc);
}

int check_req(porter_req req, const char *what, int rc)
{
    if (check(what, rc) < 0)
        release(req);
    return rc;
}

int listen_print(porter_server *srv, const char *addr)
{
    return listen_print_opts(srv, addr, NULL);
}

int listen_print_opts(porter_server *srv, const char *addr,
                      const porter_listen_options *opts)
{
    char buf[256];
    int index, n;

    index = server_listen_opts(srv, addr, opts);
    if (index < 0) {
        server_errmsg(srv, buf, sizeof buf);
        fprintf(stderr, "server_listen %s: %s (%s)\n", addr,
                porter_strerror(index), buf);
        return -1;
    }
    n = check("server_addr", server_addr(srv, index, buf, sizeof buf));
    if (n < 0 || (size_t)n >= sizeof buf)
        return -1;
    printf("%s\n", buf);
    return fflush(stdout) == 0 ? 0 : -1;
}

/* ---- Signals --------------------------------------------------------- */

static int signal_wr = -1;

/* on_signal only writes to the pipe: almost nothing else is safe here. */
static void on_signal(int signo)
{
    int saved = errno;
    char c = (char)signo;
    ssize_t n = write(signal_wr, &c, 1); /* a full pipe already woke us */

    (void)n;
    errno = saved;
}

int signal_pipe(void)
{
    struct sigaction sa;
    int fds[2];

    if (pipe(fds) < 0) {
        perror("pipe");
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFL, O_NONBLOCK); /* the handler must never block */
    signal_wr = fds[1];

    /* The Go runtime's threads share the process and may take the signal:
       Go requires SA_ONSTACK on every handler. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) {
        perror("sigaction");
        return -1;
    }
    return fds[0];
}

int wait_signal(int fd)
{
    char c;
    ssize_t n;

    do
        n = read(fd, &c, 1);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------- */

/* First 32 bits of the fractional parts of the cube roots of the first 64
   primes (FIPS 180-4, 4.2.2). */
static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* sha256_block hashes one 64-byte block into h (FIPS 180-4, 6.2.2). */
static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
    int i;

    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = s1 + w[i - 7] + s0 + w[i - 16];
    }
    a = h[0], b = h[1], c = h[2], d = h[3];
    e = h[4], f = h[5], g = h[6], k = h[7];
    for (i = 0; i < 64; i++) {
        t1 = k + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) +
             ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) +
             ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1;
        d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
    h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void sha256_init(struct sha256 *s)
{
    /* First 32 bits of the fractional parts of the square roots of the
       first 8 primes (FIPS 180-4, 5.3.3). */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                   0xa54ff53a, 0x510e527f, 0x9b05688c,
                                   0x1f83d9ab, 0x5be0cd19};

    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->fill = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
    const unsigned char *p = data;

    s->len += len;
    while (len > 0) {
        size_t n = 64 - s->fill < len ? 64 - s->fill : len;

        memcpy(s->block + s->fill, p, n);
        s->fill += n, p += n, len -= n;
        if (s->fill == 64) {
            sha256_block(s->h, s->block);
            s->fill = 0;
        }
    }
}

void sha256_hex(struct sha256 *s, char hex[65])
{
    static const unsigned char pad[64] = {0x80};
    unsigned char bits[8];
    uint64_t nbits = s->len * 8;
    int i;

    /* Pad with 0x80, zeros up to 56 mod 64, then the length in bits. */
    sha256_update(s, pad, s->fill < 56 ? 56 - s->fill : 120 - s->fill);
    for (i = 0; i < 8; i++)
        bits[i] = (unsigned char)(nbits >> (56 - 8 * i));
    sha256_update(s, bits, 8);
    for (i = 0; i < 8; i++)
        sprintf(hex + 8 * i, "%08lx", (unsigned long)s->h[i]);
}

/* ---- Buffer and JSON ------------------------------------------------- */

/* buf_grow makes room for len more bytes and a NUL. Returns 0 or -1. */
static int buf_grow(struct buf *b, size_t len)
{
    size_t cap = b->cap ? b->cap : 256;
    char *p;

    if (b->failed)
        return -1;
    if (b->len + len < b->cap)
        return 0;
    while (cap <= b->len + len)
        cap *= 2;
    p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void buf_add(struct buf *b, const void *p, size_t len)
{
    if (len == 0 || buf_grow(b, len) < 0)
        return;
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_grow(b, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_json(struct buf *b, const void *p, size_t len)
{
    const unsigned char *s = p;
    size_t i, start = 0;

    buf_add(b, "\"", 1);
    for (i = 0; i < len; i++) {
        unsigned char c = s[i];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            continue;
        buf_add(b, s + start, i - start); /* the plain run before c */
        if (c == '"' || c == '\\')
            buf_printf(b, "\\%c", c);
        else
            buf_printf(b, "\\u%04x", c);
        start = i + 1;
    }
    buf_add(b, s + start, len - start);
    buf_add(b, "\"", 1);
}

/* ---- Echo ------------------------------------------------------------ */

int echo_json(struct buf *b, const porter_request *r)
{
    struct sha256 sha;
    char hex[65];
    size_t i;

    sha256_init(&sha);
    sha256_update(&sha, r->body, r->body_len);
    sha256_hex(&sha, hex);

    buf_str(b, "{\"method\":");
    buf_json(b, r->method, r->method_len);
    buf_str(b, ",\"target\":");
    buf_json(b, r->target, r->target_len);
    buf_str(b, ",\"path\":");
    buf_json(b, r->path, r->path_len);
    buf_str(b, ",\"query\":");
    buf_json(b, r->query, r->query_len);
    buf_printf(b, ",\"version\":\"HTTP/%d.%d\",\"headers\":[",
               r->version / 10, r->version % 10);
    for (i = 0; i < r->header_count; i++) {
        const porter_header *h = &r->headers[i];

        buf_str(b, i > 0 ? ",[" : "[");
        buf_json(b, h->name, h->name_len);
        buf_str(b, ",");
        buf_json(b, h->value, h->value_len);
        buf_str(b, "]");
    }
    buf_printf(b, "],\"body_length\":%zu,\"body_sha256\":\"%s\"}\n",
               r->body_len, hex);
    return b->failed ? -1 : 0;
}

void echo_respond(porter_req req, const porter_request *r)
{
    static const porter_header json = HEADER("Content-Type",
                                             "application/json");
    struct buf b = {0};

    if (echo_json(&b, r) < 0)
        check_req(req, "req_respond",
                  req_respond(req, 500, NULL, 0, NULL, 0));
    else
        check_req(req, "req_respond",
                  req_respond(req, 200, &json, 1, b.data, b.len));
    free(b.data);
}
