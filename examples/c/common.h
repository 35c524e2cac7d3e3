/*
 * common.h -- small helpers shared by the C examples: error reports, the
 * listen-and-print step, the signal self-pipe, SHA-256, a growable buffer
 * with a JSON string writer, and the echo response.
 */
#ifndef PORTER_EXAMPLES_COMMON_H
#define PORTER_EXAMPLES_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "porter.h"

#define DEFAULT_ADDR "127.0.0.1:8080"

/* HEADER makes a porter_header from two string literals. */
#define HEADER(name, value) \
    { name, sizeof(name) - 1, value, sizeof(value) - 1 }

/* ---- porter calls ---------------------------------------------------- */

/*
 * check prints "what: message (NAME)" on stderr when rc is an error and
 * returns rc. PORTER_EABORTED is not printed: a client going away is
 * ordinary life for a server.
 */
int check(const char *what, int rc);

/*
 * release ends req with req_abort. It is the answer to PORTER_EV_ABORT and
 * the clean-up after any failed call on a request. The handle may already
 * be released (a req_respond that returned PORTER_EABORTED), so the
 * PORTER_EHANDLE this then gets is expected and not printed.
 */
void release(porter_req req);

/*
 * check_req is check for a call on req; on failure it also releases req,
 * so that every request is ended whatever went wrong. Returns rc.
 */
int check_req(porter_req req, const char *what, int rc);

/*
 * listen_print listens on addr and prints the bound address as the first
 * line of stdout, flushed at once (tests and scripts read the port there).
 * Returns 0, or -1 after printing why on stderr.
 */
int listen_print(porter_server *srv, const char *addr);

/* listen_print_opts is listen_print with listener options (NULL: none). */
int listen_print_opts(porter_server *srv, const char *addr,
                      const porter_listen_options *opts);

/* ---- Signals --------------------------------------------------------- */

/*
 * signal_pipe makes SIGINT and SIGTERM write one byte to a pipe and
 * returns the pipe's read end (poll it or read it), or -1.
 */
int signal_pipe(void);

/* wait_signal blocks until a byte arrives on fd. Returns 0 or -1. */
int wait_signal(int fd);

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------- */

struct sha256 {
    uint32_t h[8];
    uint64_t len;           /* bytes hashed so far */
    unsigned char block[64];
    size_t fill;            /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* sha256_hex finishes the hash and writes 64 lowercase hex digits + NUL. */
void sha256_hex(struct sha256 *s, char hex[65]);

/* ---- Buffer and JSON ------------------------------------------------- */

/*
 * buf is a growable byte buffer. An allocation failure sets `failed` and
 * turns later appends into no-ops, so a builder checks once at the end.
 * Zero-initialise it; free(data) when done.
 */
struct buf {
    char *data;
    size_t len, cap;
    int failed;
};

void buf_add(struct buf *b, const void *p, size_t len);
void buf_str(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...);

/*
 * buf_json adds p as a quoted JSON string. The escaping is the one every
 * porter echo example shares: '"' and '\' get a backslash; bytes below
 * 0x20, 0x7f and bytes from 0x80 up become \u00xx (lowercase hex); the
 * rest is copied. The output is therefore always ASCII.
 */
void buf_json(struct buf *b, const void *p, size_t len);

/* ---- Echo ------------------------------------------------------------ */

/*
 * echo_json describes a request with a buffered body as one JSON object
 * and a newline: method, target, path, query, version, headers, body
 * length and SHA-256. Returns 0, or -1 when out of memory.
 */
int echo_json(struct buf *b, const porter_request *r);

/* echo_respond answers req with 200 and echo_json of its view r. */
void echo_respond(porter_req req, const porter_request *r);

#endif
