//go:build !linux

package main

import "time"

// scheduleTicker wakes the open loop's scheduler every period; without
// Linux's timerfd it is a time.Ticker, with Go timers' coarser wake-ups
// (see the Linux version).
type scheduleTicker struct{ t *time.Ticker }

func newScheduleTicker(period time.Duration) (*scheduleTicker, error) {
	return &scheduleTicker{t: time.NewTicker(max(period, time.Microsecond))}, nil
}

func (t *scheduleTicker) wait() error { <-t.t.C; return nil }

func (t *scheduleTicker) close() { t.t.Stop() }
