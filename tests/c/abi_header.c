/*
 * abi_header.c -- porter.h alone, compiled as C99 (and, through
 * abi_header.cpp, as C++11) with -Wall -Wextra -pedantic -Werror; only
 * compiled (-fsyntax-only), never linked.
 *
 * It also pins what the ABI promises at compile time: error codes never
 * renumbered, the event types, the handle type.
 */
#include "porter.h"
#include "porter.h" /* the include guard works */

#include <string.h> /* after porter.h: porter.h needs nothing before it */

#define PORTER_PIN(name, cond) typedef char porter_pin_##name[(cond) ? 1 : -1]

PORTER_PIN(ok, PORTER_OK == 0);
PORTER_PIN(einval, PORTER_EINVAL == -1);
PORTER_PIN(ehandle, PORTER_EHANDLE == -2);
PORTER_PIN(estate, PORTER_ESTATE == -3);
PORTER_PIN(eagain, PORTER_EAGAIN == -4);
PORTER_PIN(eaborted, PORTER_EABORTED == -5);
PORTER_PIN(eclosed, PORTER_ECLOSED == -6);
PORTER_PIN(etimedout, PORTER_ETIMEDOUT == -7);
PORTER_PIN(epeer, PORTER_EPEER == -8);
PORTER_PIN(eheader, PORTER_EHEADER == -9);
PORTER_PIN(elisten, PORTER_ELISTEN == -10);
PORTER_PIN(enotfound, PORTER_ENOTFOUND == -11);
PORTER_PIN(ebusy, PORTER_EBUSY == -12);
PORTER_PIN(efork, PORTER_EFORK == -13);
PORTER_PIN(einternal, PORTER_EINTERNAL == -14);
PORTER_PIN(ev_request, PORTER_EV_REQUEST == 1);
PORTER_PIN(ev_body, PORTER_EV_BODY == 2);
PORTER_PIN(ev_writable, PORTER_EV_WRITABLE == 3);
PORTER_PIN(ev_abort, PORTER_EV_ABORT == 4);
PORTER_PIN(req_is_64, sizeof(porter_req) == 8);
PORTER_PIN(req_unsigned, (porter_req)-1 > 0);
PORTER_PIN(config_starts_with_size,
           sizeof(((porter_config *)0)->size) == sizeof(size_t));
PORTER_PIN(version, PORTER_VERSION_MAJOR >= 0 && PORTER_VERSION_MINOR >= 0 &&
                    PORTER_VERSION_PATCH >= 0);

/* Every declaration used once, with the header's own types. */
static void porter_abi_use(porter_server *srv, porter_req req)
{
    porter_config cfg;
    porter_event ev[1];
    porter_header h = {"X", 1, "y", 1};
    const porter_request *view = 0;
    const char *value = 0;
    size_t value_len = 0;
    char buf[64];
    porter_handler_cb cb = 0;
    porter_error err = PORTER_OK;

    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.handler = cb;
    (void)porter_version();
    (void)porter_strerror(err);
    (void)porter_errname(err);
    (void)server_new(&cfg, &srv);
    (void)server_listen(srv, "127.0.0.1:0");
    (void)server_addr(srv, 0, buf, sizeof buf);
    (void)server_errmsg(srv, buf, sizeof buf);
    (void)server_start(srv);
    (void)server_serve(srv);
    (void)server_shutdown(srv, 0);
    (void)server_pollfd(srv);
    (void)server_next(srv, ev, 1, 0);
    (void)server_free(srv);
    (void)req_view(req, &view);
    (void)req_header(req, "x", 1, &value, &value_len);
    (void)req_set_data(req, buf);
    (void)req_body_read(req, buf, sizeof buf);
    (void)req_respond(req, 200, &h, 1, "", 0);
    (void)req_write_head(req, 200, &h, 1, (int64_t)-1);
    (void)req_write(req, "", 0);
    (void)req_finish(req);
    (void)req_abort(req);
}

void (*porter_abi_keep)(porter_server *, porter_req) = porter_abi_use;
