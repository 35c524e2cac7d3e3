package core

import (
	"net/http"
	"sync/atomic"
	"time"
)

// monoEpoch anchors porter's timestamps, which are durations since it:
// time.Since reads only the monotonic clock, where time.Now reads it and
// the wall clock too, and a duration holds no pointer for the collector.
var monoEpoch = time.Now()

// monoNow is the time now, since monoEpoch.
func monoNow() time.Duration { return time.Since(monoEpoch) }

// The Date header changes once a second; every response reuses the
// current rendering until its second is over.
type dateCache struct {
	until time.Duration // monoNow when the wall clock's next second begins
	text  string
}

var currentDate atomic.Pointer[dateCache]

func httpDate() string {
	if d := currentDate.Load(); d != nil && monoNow() < d.until {
		return d.text
	}
	now := time.Now()
	next := time.Second - time.Duration(now.Nanosecond())
	d := &dateCache{now.Sub(monoEpoch) + next, now.UTC().Format(http.TimeFormat)}
	currentDate.Store(d)
	return d.text
}
