// Package main is porter's C ABI: the //export functions declared in
// include/porter.h, handle tables and error codes. It holds no HTTP
// logic; that is core's.
package main

/*
#cgo CFLAGS: -I${SRCDIR}/../include -std=gnu11 -Wall
*/
import "C"
