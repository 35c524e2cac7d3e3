/*
 * test_errors.c -- porter_strerror and porter_errname for every code and
 * for unknown codes; the codes' values (never renumbered).
 */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>

static const struct {
    int code;
    const char *name;
} codes[] = {
    {PORTER_OK, "PORTER_OK"},
    {PORTER_EINVAL, "PORTER_EINVAL"},
    {PORTER_EHANDLE, "PORTER_EHANDLE"},
    {PORTER_ESTATE, "PORTER_ESTATE"},
    {PORTER_EAGAIN, "PORTER_EAGAIN"},
    {PORTER_EABORTED, "PORTER_EABORTED"},
    {PORTER_ECLOSED, "PORTER_ECLOSED"},
    {PORTER_ETIMEDOUT, "PORTER_ETIMEDOUT"},
    {PORTER_EPEER, "PORTER_EPEER"},
    {PORTER_EHEADER, "PORTER_EHEADER"},
    {PORTER_ELISTEN, "PORTER_ELISTEN"},
    {PORTER_ENOTFOUND, "PORTER_ENOTFOUND"},
    {PORTER_EBUSY, "PORTER_EBUSY"},
    {PORTER_EFORK, "PORTER_EFORK"},
    {PORTER_EINTERNAL, "PORTER_EINTERNAL"},
};
#define NCODES ((int)(sizeof codes / sizeof codes[0]))

int main(void)
{
    static const int unknown[] = {1, 2, 100, -15, -16, -100, -1000,
                                  INT_MIN, INT_MAX};
    const char *msgs[NCODES];
    int i, j;

    tu_init("errors", 60);

    tu_section("the codes keep their values");
    for (i = 0; i < NCODES; i++)
        CHECK_INT(codes[i].code, -i);

    tu_section("porter_errname and porter_strerror for every code");
    for (i = 0; i < NCODES; i++) {
        const char *name = porter_errname(codes[i].code);
        const char *msg = porter_strerror(codes[i].code);
        if (CHECK(name != NULL))
            CHECK_STR(name, codes[i].name);
        msgs[i] = msg;
        if (CHECK(msg != NULL)) {
            CHECK(strlen(msg) > 0);
            /* a message, not the name again */
            CHECK(strcmp(msg, codes[i].name) != 0);
            /* static: the same text every time */
            CHECK_STR(porter_strerror(codes[i].code), msg);
        }
    }
    /* each code has its own message */
    for (i = 0; i < NCODES; i++)
        for (j = i + 1; j < NCODES; j++)
            if (msgs[i] && msgs[j] && strcmp(msgs[i], msgs[j]) == 0) {
                CHECK(!"two codes share a message");
                tu_note("%s and %s: \"%s\"", codes[i].name, codes[j].name,
                        msgs[i]);
            }

    tu_section("unknown codes");
    for (i = 0; i < (int)(sizeof unknown / sizeof unknown[0]); i++) {
        const char *name = porter_errname(unknown[i]);
        const char *msg = porter_strerror(unknown[i]);
        if (CHECK(name != NULL))
            CHECK_STR(name, "UNKNOWN");
        if (CHECK(msg != NULL)) {
            CHECK(strlen(msg) > 0);
            for (j = 0; j < NCODES; j++)
                if (msgs[j] && strcmp(msg, msgs[j]) == 0)
                    CHECK(!"an unknown code got a known code's message");
        }
    }
    return tu_done();
}
