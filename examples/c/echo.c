/*
 * echo.c -- answers every request with a JSON description of it (method,
 * target, headers, body length and SHA-256), in callback mode with
 * buffered bodies.
 *
 * Usage: echo [flags] [host:port ...]
 *   --tls CERT KEY   serve HTTPS with this PEM certificate and key
 *   --self-signed    serve HTTPS with a certificate made for localhost
 *   --unix PATH      also listen on the unix socket PATH
 *   --reuseport      set SO_REUSEPORT on the TCP listeners
 *   --scgi           speak SCGI to a web server in front (nginx scgi_pass)
 *   --h2c            also take HTTP/2 with prior knowledge on plain listeners
 * (HTTP/2 is offered by ALPN on TLS listeners.)
 * Each bound address is printed on its own line, the TCP ones first.
 *
 * Try: curl -d hello 'http://127.0.0.1:8080/a?b=1'
 */
#include "common.h"

#include <stdio.h>
#include <string.h>

/* handle runs on porter's threads; the body is already in the view. */
static void handle(void *user_data, const porter_event *ev)
{
    (void)user_data;
    if (ev->type == PORTER_EV_REQUEST)
        echo_respond(ev->req, ev->request);
    else if (ev->type == PORTER_EV_ABORT)
        release(ev->req);
}

/* options are what the command line asks for. */
struct options {
    const char *cert, *key, *unix_path;
    int self_signed, h2c;
    porter_listen_options listen;
    char **addrs;
    int naddrs;
};

static int parse(int argc, char **argv, struct options *o)
{
    static char *default_addr[] = {DEFAULT_ADDR};
    int i;

    memset(o, 0, sizeof *o);
    o->listen.size = sizeof o->listen;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--tls") == 0 && i + 2 < argc) {
            o->cert = argv[++i];
            o->key = argv[++i];
        } else if (strcmp(argv[i], "--self-signed") == 0) {
            o->self_signed = 1;
        } else if (strcmp(argv[i], "--unix") == 0 && i + 1 < argc) {
            o->unix_path = argv[++i];
        } else if (strcmp(argv[i], "--reuseport") == 0) {
            o->listen.flags |= PORTER_LISTEN_REUSEPORT;
        } else if (strcmp(argv[i], "--scgi") == 0) {
            o->listen.flags |= PORTER_LISTEN_SCGI;
        } else if (strcmp(argv[i], "--h2c") == 0) {
            o->h2c = 1;
        } else {
            fprintf(stderr, "echo: unknown or incomplete flag %s\n", argv[i]);
            return -1;
        }
    }
    if (o->cert || o->self_signed)
        o->listen.flags |= PORTER_LISTEN_TLS;
    o->addrs = i < argc ? argv + i : default_addr;
    o->naddrs = i < argc ? argc - i : 1;
    return 0;
}

/* setup gives the server its certificate and listeners. */
static int setup(porter_server *srv, const struct options *o)
{
    porter_listen_options unix_opts = o->listen;
    porter_cert cert = {0};
    char path[300];
    int i;

    if (o->cert) {
        cert.size = sizeof cert;
        cert.cert_file = o->cert;
        cert.key_file = o->key;
        if (server_tls_certs(srv, &cert, 1) < 0) {
            server_errmsg(srv, path, sizeof path);
            fprintf(stderr, "echo: %s\n", path);
            return -1;
        }
    } else if (o->self_signed &&
               check("server_tls_self_signed", server_tls_self_signed(srv)) < 0) {
        return -1;
    }
    for (i = 0; i < o->naddrs; i++)
        if (listen_print_opts(srv, o->addrs[i], &o->listen) < 0)
            return -1;
    if (o->unix_path) {
        unix_opts.flags &= ~PORTER_LISTEN_REUSEPORT;
        snprintf(path, sizeof path, "unix:%s", o->unix_path);
        if (listen_print_opts(srv, path, &unix_opts) < 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    porter_config cfg = {0};
    porter_server *srv = NULL;
    struct options o;
    int sig, rc;

    cfg.size = sizeof cfg;
    cfg.handler = handle; /* bodies are buffered: stream_bodies = 0 */
    if (parse(argc, argv, &o) < 0)
        return 1;
    cfg.h2c = o.h2c;
    if ((sig = signal_pipe()) < 0 ||
        check("server_new", server_new(&cfg, &srv)) < 0 ||
        setup(srv, &o) < 0 ||
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
