/*
 * test_version.c -- the version macros in porter.h match porter_version().
 */
#include "testutil.h"

#include <stdio.h>

#define PORTER_STR_(x) #x
#define PORTER_STR(x) PORTER_STR_(x)

int main(void)
{
    const char *v;
    char want[64];

    tu_init("version", 60);
    snprintf(want, sizeof want, "%d.%d.%d", PORTER_VERSION_MAJOR,
             PORTER_VERSION_MINOR, PORTER_VERSION_PATCH);
    CHECK_STR(want, PORTER_STR(PORTER_VERSION_MAJOR) "."
              PORTER_STR(PORTER_VERSION_MINOR) "."
              PORTER_STR(PORTER_VERSION_PATCH));
    v = porter_version();
    if (CHECK(v != NULL)) {
        CHECK_STR(v, want);
        CHECK(porter_version() == v || strcmp(porter_version(), v) == 0);
    }
#ifdef PORTER_EXPECTED_VERSION
    /* the version CMake read from porter.h for the project */
    CHECK_STR(want, PORTER_EXPECTED_VERSION);
#endif
    return tu_done();
}
