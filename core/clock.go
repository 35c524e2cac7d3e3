package core

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// monoEpoch anchors porter's timestamps, which are durations since it:
// time.Since reads only the monotonic clock, where time.Now reads it and
// the wall clock too, and a duration holds no pointer for the collector.
var monoEpoch = time.Now()

// monoNow is the time now, since monoEpoch.
func monoNow() time.Duration { return time.Since(monoEpoch) }

// The Date header changes once a second: a timer renders it as each
// second begins (timers fire late, never early), and responses only load
// the rendering.
var (
	currentDate atomic.Pointer[string]
	dateTimer   sync.Once
)

func httpDate() string {
	dateTimer.Do(renderDate)
	return *currentDate.Load()
}

func renderDate() {
	now := time.Now()
	text := now.UTC().Format(http.TimeFormat)
	currentDate.Store(&text)
	time.AfterFunc(time.Second-time.Duration(now.Nanosecond()), renderDate)
}
