package core

import (
	"net/http"
	"testing"
	"time"
)

// The cached Date follows the wall clock's seconds, across turnovers.
func TestHTTPDateFollowsTheClock(t *testing.T) {
	stamp := func() string { return time.Now().UTC().Format(http.TimeFormat) }
	for range 150 { // 1.5 s: at least one turnover
		before := stamp()
		got := httpDate()
		after := stamp()
		if got != before && got != after {
			t.Fatalf("Date %q between %q and %q", got, before, after)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
