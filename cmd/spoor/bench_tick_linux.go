package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// scheduleTicker wakes the open loop's scheduler every period, within
// microseconds. Go's own timers wake a sleep under a millisecond up to a
// millisecond late when the process is otherwise idle (the runtime waits
// for them in epoll with millisecond resolution), which at 10,000
// requests/s would send the schedule in bursts of ten and count the
// generator's lateness as the server's latency. A timerfd is a kernel
// high-resolution timer that the runtime's poller waits on like a socket,
// so the scheduler needs neither a thread of its own nor a spinning one.
type scheduleTicker struct {
	f   *os.File
	buf [8]byte
}

func newScheduleTicker(period time.Duration) (*scheduleTicker, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("load: timerfd: %w", err)
	}
	ts := unix.NsecToTimespec(max(period, time.Microsecond).Nanoseconds())
	if err := unix.TimerfdSettime(fd, 0, &unix.ItimerSpec{Interval: ts, Value: ts}, nil); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("load: timerfd: %w", err)
	}
	// A non-blocking descriptor goes to the runtime's poller.
	return &scheduleTicker{f: os.NewFile(uintptr(fd), "timerfd")}, nil
}

// wait returns once at least one period has ended since the last wait.
// The timerfd's count of ended periods is not needed: the caller reads
// the clock and sends every request due by then.
func (t *scheduleTicker) wait() error {
	if _, err := t.f.Read(t.buf[:]); err != nil {
		return fmt.Errorf("load: timerfd: %w", err)
	}
	return nil
}

func (t *scheduleTicker) close() { t.f.Close() }
