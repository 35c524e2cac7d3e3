package core

import (
	"syscall"
	"unsafe"
)

// System calls on non-blocking descriptors, which never wait. They are
// made raw, without telling the scheduler: a runner busy with one batch
// after another otherwise keeps its processor "in a system call" so
// often that the runtime's monitor hands the processor to another thread
// mid-call, and every such call then ends in a thread switch.

// readNoWait reads the socket into p; EAGAIN says it holds nothing. It
// calls recvfrom, which goes to the socket directly, where read passes
// through the file layer's checks first.
func readNoWait(fd int, p []byte) (int, syscall.Errno) {
	if len(p) == 0 {
		return 0, 0
	}
	return noWait(syscall.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
}

// writevNoWait writes the iovecs with one writev; EAGAIN says the socket
// takes nothing now.
func writevNoWait(fd uintptr, iov []syscall.Iovec) (int, syscall.Errno) {
	return noWait(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
}

// epollNoWait takes the events an epoll descriptor has ready.
func epollNoWait(epfd int, ev []syscall.EpollEvent) int {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&ev[0])), uintptr(len(ev)), 0, 0, 0)
	if e != 0 {
		return 0
	}
	return int(n)
}

// noWait makes a system call that returns a count, again after EINTR;
// the arguments it leaves out are 0.
func noWait(trap, a1, a2, a3 uintptr) (int, syscall.Errno) {
	for {
		n, _, e := syscall.RawSyscall6(trap, a1, a2, a3, 0, 0, 0)
		switch e {
		case 0:
			return int(n), 0
		case syscall.EINTR:
			continue
		}
		return 0, e
	}
}
