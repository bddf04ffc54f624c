package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// defaultOpenLoopConns bounds the connections an open-loop load opens
// when none are asked for: enough that a server stalling for a few
// milliseconds at 10,000 requests/s does not hold the schedule back.
const defaultOpenLoopConns = 256

// runOpenLoad sends o.Rate requests a second for o.Duration on a constant
// schedule, the way wrk2 does: request i is due at start + i/o.Rate
// whatever happened to the requests before it, and its latency is
// measured from that due time, not from when it was sent. A server that
// stalls therefore shows its stall in the latency of every request due
// during it, instead of quietly lowering the rate it is asked to serve
// (coordinated omission). A request due while every connection is busy
// opens another, up to o.Connections; past that it waits for one, and the
// wait counts in its latency.
func runOpenLoad(ctx context.Context, o loadOptions) (LoadResult, error) {
	if o.Rate <= 0 || o.Duration <= 0 {
		return LoadResult{}, fmt.Errorf("load: rate %v and duration %v must be positive", o.Rate, o.Duration)
	}
	conns := o.Connections
	if conns <= 0 {
		conns = defaultOpenLoopConns
	}
	wire, err := o.encode()
	if err != nil {
		return LoadResult{}, err
	}

	due := make(chan time.Time)
	var tally loadTally
	var wg sync.WaitGroup
	worker := func(i int, dialed chan<- error) {
		defer wg.Done()
		w := newLoadWorker(wire, i)
		defer w.conn.close()
		if dialed != nil {
			dialed <- w.conn.open()
		}
		for at := range due {
			w.send(at)
		}
		tally.add(w)
	}

	// Connections opened as the schedule needs them come with a dial and
	// a new server goroutine each, and the first milliseconds of a run
	// would open dozens at once: their latency is the dial's, not the
	// server's answer's, and was 1 % of a 5 s run at 10,000/s, its whole
	// p99. So the connections a millisecond of the schedule needs (at
	// least 8) are opened before it starts, as wrk2 opens its own first.
	workers := min(conns, max(8, int(o.Rate/1000)))
	dialed := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go worker(i+1, dialed)
	}
	for range workers {
		if err := <-dialed; err != nil {
			close(due)
			wg.Wait()
			return LoadResult{}, fmt.Errorf("load: %w", err)
		}
	}
	period := time.Duration(float64(time.Second) / o.Rate)
	tick, err := newScheduleTicker(period)
	if err != nil {
		return LoadResult{}, err
	}
	defer tick.close()
	start := time.Now()
	end := start.Add(o.Duration)
	scheduled := 0
	// Each wake-up hands out every request due by then.
	for i := 0; ctx.Err() == nil; {
		if err := tick.wait(); err != nil {
			close(due)
			wg.Wait()
			return LoadResult{}, err
		}
		now := time.Now()
		for ; ; i++ {
			at := start.Add(time.Duration(float64(i) * float64(time.Second) / o.Rate))
			if at.After(now) || !at.Before(end) {
				break
			}
			scheduled++
			select {
			case due <- at:
				continue
			default:
			}
			if workers < conns {
				workers++
				wg.Add(1)
				go worker(workers, nil)
			}
			due <- at
		}
		if !now.Before(end) {
			break
		}
	}
	close(due)
	wg.Wait()
	elapsed := time.Since(start)
	res := LoadResult{Rate: o.Rate, Requests: len(tally.all), Failed: tally.failed, Partial: tally.partial, PerSecond: float64(len(tally.all)) / elapsed.Seconds(), Connections: workers}
	if scheduled > len(tally.all)+tally.failed {
		return res, fmt.Errorf("load: %d requests scheduled, %d answered", scheduled, len(tally.all)+tally.failed)
	}
	res.setLatencies(tally.all)
	return res, nil
}

// setLatencies fills in the latency percentiles from all the answered
// requests' latencies, which it sorts.
func (r *LoadResult) setLatencies(all []time.Duration) {
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	at := func(perMille int) time.Duration { return all[min(len(all)-1, len(all)*perMille/1000)] }
	r.P50Micros = us(all[len(all)/2])
	r.P99Micros = us(at(990))
	r.P999Micros = us(at(999))
	r.MaxMicros = us(all[len(all)-1])
}
