/*
 * echo.c -- answers every request with a JSON description of it (method,
 * target, headers, body length and SHA-256), in callback mode with
 * buffered bodies. Usage: echo [host:port]
 *
 * Try: curl -d hello 'http://127.0.0.1:8080/a?b=1'
 */
#include "common.h"

/* handle runs on porter's threads; the body is already in the view. */
static void handle(void *user_data, const porter_event *ev)
{
    (void)user_data;
    if (ev->type == PORTER_EV_REQUEST)
        echo_respond(ev->req, ev->request);
    else if (ev->type == PORTER_EV_ABORT)
        release(ev->req);
}

int main(int argc, char **argv)
{
    porter_config cfg = {0};
    porter_server *srv = NULL;
    int sig, rc;

    cfg.size = sizeof cfg;
    cfg.handler = handle; /* bodies are buffered: stream_bodies = 0 */
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
