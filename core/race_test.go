//go:build race

package core

// raceEnabled: the race detector allocates, and makes sync.Pool drop items.
const raceEnabled = true
