/* capitest.h: C hosts that drive porter's exports from inside go test. */
#ifndef PORTER_CAPITEST_H
#define PORTER_CAPITEST_H

#include "porter.h"

/* ct_start makes a server (loop mode when loop != 0) whose host answers
   every request with "METHOD PATH BODYLENGTH"; with hold != 0 the host
   keeps every request unanswered instead. It listens on 127.0.0.1:0,
   starts, and writes the bound address into addr. */
int ct_start(int loop, int hold, porter_server **srv, char *addr, size_t cap);

/* ct_loop runs a loop-mode host until the server is shut down; it
   returns the number of requests answered or a negative code. */
int ct_loop(porter_server *srv);

/* ct_bad_input feeds the exports NULLs, garbage and stale handles; it
   returns NULL when every answer was as porter.h says, else what was not. */
const char *ct_bad_input(porter_server *srv, porter_req live);

/* ct_held returns the last request a holding host kept. */
porter_req ct_held(void);

#endif
