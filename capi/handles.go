package main

import "sync"

// A request handle is a slot index (low 24 bits) and the slot's
// generation (29 bits above): below 2^53, so exact in a double. Each
// release bumps the generation, so a stale handle never names the
// slot's next request.
const (
	indexBits = 24
	maxSlots  = 1<<indexBits - 1
	genMask   = 1<<29 - 1
	// minFree freed slots wait before reuse, which spreads reuse over
	// many slots and delays a generation's wrap-around by as much.
	minFree = 1024
)

// requestTable maps request handles to requests, for every server.
type requestTable struct {
	mu    sync.Mutex
	slots []slot // slots[0] is never used: handle 0 is never valid
	free  []uint32
	head  int // free[head:] are the free slots, oldest first
}

type slot struct {
	gen uint32
	r   *request
}

var requests = requestTable{slots: make([]slot, 1)}

// add stores r and returns its handle, or 0 when every slot is taken.
func (t *requestTable) add(r *request) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var i uint32
	switch {
	case len(t.free)-t.head > minFree || (len(t.slots) > maxSlots && len(t.free) > t.head):
		i = t.free[t.head]
		t.head++
		if t.head > 4096 && t.head > len(t.free)/2 {
			t.free = t.free[:copy(t.free, t.free[t.head:])]
			t.head = 0
		}
	case len(t.slots) <= maxSlots:
		i = uint32(len(t.slots))
		t.slots = append(t.slots, slot{gen: 1})
	default:
		return 0
	}
	t.slots[i].r = r
	return uint64(t.slots[i].gen)<<indexBits | uint64(i)
}

// get returns the live request named by h, pinned (the caller unpins
// it), or nil.
func (t *requestTable) get(h uint64) *request {
	i, gen := h&maxSlots, uint32(h>>indexBits)
	t.mu.Lock()
	defer t.mu.Unlock()
	if i == 0 || i >= uint64(len(t.slots)) || t.slots[i].gen != gen || h>>(indexBits+29) != 0 {
		return nil
	}
	r := t.slots[i].r
	if r != nil {
		r.pins.Add(1)
	}
	return r
}

// remove releases h and returns its request, or nil if h was not live.
func (t *requestTable) remove(h uint64) *request {
	i, gen := h&maxSlots, uint32(h>>indexBits)
	t.mu.Lock()
	defer t.mu.Unlock()
	if i == 0 || i >= uint64(len(t.slots)) || t.slots[i].gen != gen || t.slots[i].r == nil {
		return nil
	}
	r := t.slots[i].r
	t.slots[i] = slot{gen: gen%genMask + 1}
	t.free = append(t.free, uint32(i))
	return r
}

// owned returns the handles of srv's live requests.
func (t *requestTable) owned(srv *server) []uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var hs []uint64
	for i, s := range t.slots {
		if s.r != nil && s.r.srv == srv {
			hs = append(hs, uint64(s.gen)<<indexBits|uint64(i))
		}
	}
	return hs
}
