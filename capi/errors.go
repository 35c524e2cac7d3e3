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

// forked reports whether this process is a child forked after load.
func forked() bool { return C.capi_forked != 0 }

// errorText names and describes each code; strings are made once and
// live as long as the process.
var (
	errorText   = map[C.int]text{}
	unknownText = text{C.CString("UNKNOWN"), C.CString("unknown error code")}
)

type text struct{ name, msg *C.char }

func init() {
	for _, e := range []struct {
		code      C.int
		name, msg string
	}{
		{C.PORTER_OK, "PORTER_OK", "success"},
		{C.PORTER_EINVAL, "PORTER_EINVAL", "invalid argument"},
		{C.PORTER_EHANDLE, "PORTER_EHANDLE", "unknown, stale or forged handle"},
		{C.PORTER_ESTATE, "PORTER_ESTATE", "call does not fit the object's state"},
		{C.PORTER_EAGAIN, "PORTER_EAGAIN", "call would block; wait for the event"},
		{C.PORTER_EABORTED, "PORTER_EABORTED", "request aborted by porter"},
		{C.PORTER_ECLOSED, "PORTER_ECLOSED", "server is shut down"},
		{C.PORTER_ETIMEDOUT, "PORTER_ETIMEDOUT", "deadline passed"},
		{C.PORTER_EPEER, "PORTER_EPEER", "client went away or broke the protocol"},
		{C.PORTER_EHEADER, "PORTER_EHEADER", "invalid or reserved response header"},
		{C.PORTER_ELISTEN, "PORTER_ELISTEN", "cannot listen on the address"},
		{C.PORTER_ENOTFOUND, "PORTER_ENOTFOUND", "no such header"},
		{C.PORTER_EBUSY, "PORTER_EBUSY", "call would deadlock inside a handler"},
		{C.PORTER_EFORK, "PORTER_EFORK", "process forked after porter was loaded"},
		{C.PORTER_EINTERNAL, "PORTER_EINTERNAL", "internal error in porter"},
	} {
		errorText[e.code] = text{C.CString(e.name), C.CString(e.msg)}
	}
}

func describe(c C.int) (name, msg *C.char) {
	t, ok := errorText[c]
	if !ok {
		t = unknownText
	}
	return t.name, t.msg
}

//export porter_strerror
func porter_strerror(c C.int) *C.porter_cchar {
	_, msg := describe(c)
	return (*C.porter_cchar)(msg)
}

//export porter_errname
func porter_errname(c C.int) *C.porter_cchar {
	name, _ := describe(c)
	return (*C.porter_cchar)(name)
}

var version = C.CString(fmt.Sprintf("%d.%d.%d",
	C.PORTER_VERSION_MAJOR, C.PORTER_VERSION_MINOR, C.PORTER_VERSION_PATCH))

//export porter_version
func porter_version() *C.porter_cchar { return (*C.porter_cchar)(version) }

func main() {}
