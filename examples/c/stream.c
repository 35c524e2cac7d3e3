/*
 * stream.c -- streamed bodies both ways, in callback mode with
 * stream_bodies = 1. Usage: stream [host:port]
 *
 *   GET /stream?n=N  N lines "line <i>" (default 10, at most 100000) as a
 *                    response of unknown length: chunked on HTTP/1.1
 *   POST /upload     reads a body of any length 4 KiB at a time, hashing
 *                    as it arrives; answers {"body_length","body_sha256"}
 *   anything else    404
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

#define DEFAULT_LINES 10
#define MAX_LINES 100000

/* is tells whether the n bytes at s are the string lit. */
static int is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/*
 * lines_wanted reads n=N from a query string. Returns the default when
 * there is no n, at most MAX_LINES, and -1 when N is not a number.
 */
static long lines_wanted(const char *q, size_t len)
{
    const char *end = q + len;

    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;

        if (stop - q >= 2 && q[0] == 'n' && q[1] == '=') {
            long n = 0;

            if (stop - q == 2)
                return -1;
            for (q += 2; q < stop; q++) {
                if (*q < '0' || *q > '9')
                    return -1;
                if (n <= MAX_LINES)
                    n = n * 10 + (*q - '0');
            }
            return n < MAX_LINES ? n : MAX_LINES;
        }
        q = stop + 1;
    }
    return DEFAULT_LINES;
}

/* respond_text answers req with a short text/plain body. */
static void respond_text(porter_req req, int status, const char *text)
{
    static const porter_header type = HEADER("Content-Type", "text/plain");

    check_req(req, "req_respond",
              req_respond(req, status, &type, 1, text, strlen(text)));
}

/* stream_lines sends n lines with one req_write each, length unknown. */
static void stream_lines(porter_req req, long n)
{
    static const porter_header type = HEADER("Content-Type", "text/plain");
    char line[32];
    long i;

    if (check_req(req, "req_write_head",
                  req_write_head(req, 200, &type, 1, -1)) < 0)
        return;
    for (i = 1; i <= n; i++) {
        int len = snprintf(line, sizeof line, "line %ld\n", i);

        if (check_req(req, "req_write", req_write(req, line, (size_t)len)) < 0)
            return; /* the client went away: the request is released */
    }
    check_req(req, "req_finish", req_finish(req));
}

/* upload hashes the body as it arrives, then answers its length and hash. */
static void upload(porter_req req)
{
    static const porter_header type = HEADER("Content-Type",
                                             "application/json");
    unsigned char chunk[4096];
    struct sha256 sha;
    unsigned long long total = 0;
    char hex[65], json[128];
    int n;

    sha256_init(&sha);
    while ((n = req_body_read(req, chunk, sizeof chunk)) > 0) {
        sha256_update(&sha, chunk, (size_t)n);
        total += (unsigned long long)n;
    }
    /* A broken body was already answered (400 or 408) by porter. */
    if (check_req(req, "req_body_read", n) < 0)
        return;
    sha256_hex(&sha, hex);
    n = snprintf(json, sizeof json,
                 "{\"body_length\":%llu,\"body_sha256\":\"%s\"}\n", total, hex);
    check_req(req, "req_respond",
              req_respond(req, 200, &type, 1, json, (size_t)n));
}

/* handle runs on porter's threads; req_write and req_body_read block. */
static void handle(void *user_data, const porter_event *ev)
{
    const porter_request *r = ev->request;

    (void)user_data;
    if (ev->type == PORTER_EV_ABORT) {
        release(ev->req);
    } else if (ev->type != PORTER_EV_REQUEST) {
        return;
    } else if (is(r->method, r->method_len, "GET") &&
               is(r->path, r->path_len, "/stream")) {
        long n = lines_wanted(r->query, r->query_len);

        if (n < 0)
            respond_text(ev->req, 400, "n must be a number\n");
        else
            stream_lines(ev->req, n);
    } else if (is(r->method, r->method_len, "POST") &&
               is(r->path, r->path_len, "/upload")) {
        upload(ev->req);
    } else {
        /* req_respond ends the request whole: porter deals with any
           body left unread, so there is no need to read it here. */
        respond_text(ev->req, 404, "not found\n");
    }
}

int main(int argc, char **argv)
{
    porter_config cfg = {0};
    porter_server *srv = NULL;
    int sig, rc;

    cfg.size = sizeof cfg;
    cfg.handler = handle;
    cfg.stream_bodies = 1;
    if ((sig = signal_pipe()) < 0 ||
        check("server_new", server_new(&cfg, &srv)) < 0 ||
        listen_print(srv, argc > 1 ? argv[1] : DEFAULT_ADDR) < 0 ||
        check("server_start", server_start(srv)) < 0) {
        server_free(srv);
        return 1;
    }
    /* Serve in the background until SIGINT or SIGTERM, then give requests
       in flight 5 s; server_serve returns once they are done. */
    wait_signal(sig);
    rc = check("server_shutdown", server_shutdown(srv, 5000));
    if (rc == 0)
        rc = check("server_serve", server_serve(srv));
    if (check("server_free", server_free(srv)) < 0)
        rc = -1;
    return rc < 0;
}
