package main

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/porter-http/porter/core"
)

// codes maps core's errors to PORTER_E* codes: the one place that does.
var codes = []struct {
	err  error
	code C.int
}{
	{core.ErrWouldBlock, C.PORTER_EAGAIN},
	{core.ErrAborted, C.PORTER_EABORTED},
	{core.ErrState, C.PORTER_ESTATE},
	{core.ErrHeader, C.PORTER_EHEADER},
	{core.ErrStatus, C.PORTER_EINVAL},
	{core.ErrBodyForbidden, C.PORTER_EINVAL},
	{core.ErrServerClosed, C.PORTER_ECLOSED},
	{core.ErrPeer, C.PORTER_EPEER},
	{core.ErrTimeout, C.PORTER_ETIMEDOUT},
}

// code turns an error into its PORTER_E* code (0 for nil).
func code(err error) C.int {
	if err == nil {
		return C.PORTER_OK
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return C.PORTER_EINTERNAL
}

// guard ends every export: a panic becomes PORTER_EINTERNAL instead of
// crossing into C (and is reported on stderr, as it is a porter bug).
func guard(rc *C.int) {
	if v := recover(); v != nil {
		fmt.Fprintf(os.Stderr, "porter: internal error: %v\n%s", v, debug.Stack())
		*rc = C.PORTER_EINTERNAL
	}
}

func main() {}
