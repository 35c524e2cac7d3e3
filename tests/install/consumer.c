/* consumer.c: links an installed libporter and makes a server. */
#include <stdio.h>
#include <string.h>
#include <porter.h>

int main(void)
{
    porter_server *srv;
    int rc = server_new(NULL, &srv);
    if (rc != PORTER_OK || server_free(srv) != PORTER_OK) {
        fprintf(stderr, "server_new: %s\n", porter_strerror(rc));
        return 1;
    }
    printf("%s\n", porter_version());
    return 0;
}
