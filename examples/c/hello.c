/*
 * hello.c -- the shortest porter server: every request gets 200 and
 * "Hello World". Usage: hello [host:port]
 *
 * It still handles SIGINT and SIGTERM (through common.c's self-pipe)
 * rather than dying by the default action, so that it drains requests in
 * flight and exits with status 0 like a well-behaved service.
 */
#include "common.h"

/* handle runs on porter's threads, for many requests at once. */
static void handle(void *user_data, const porter_event *ev)
{
    static const porter_header type = HEADER("Content-Type", "text/plain");

    (void)user_data;
    if (ev->type == PORTER_EV_REQUEST)
        check_req(ev->req, "req_respond",
                  req_respond(ev->req, 200, &type, 1, "Hello World\n", 12));
    else if (ev->type == PORTER_EV_ABORT)
        release(ev->req);
}

int main(int argc, char **argv)
{
    porter_config cfg = {0};
    porter_server *srv = NULL;
    int sig, rc;

    cfg.size = sizeof cfg;
    cfg.handler = handle;
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
