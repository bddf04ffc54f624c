package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// NewAlerts returns the alerts of res that no earlier detection raised:
// alerts whose subject neither the stored batch run (read before Store
// replaces it) nor incremental detection alerted on. Incremental
// detection sent its own alerts to the webhooks already.
func NewAlerts(db *storage.DB, res *Result) ([]*Alert, error) {
	prev, _, err := ReadAlerts(db, AlertFilter{Source: SourceBatch}, "", 1<<30)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(prev))
	for _, a := range prev {
		seen[a.ID] = true
	}
	var out []*Alert
	for i := range res.Alerts {
		a := &res.Alerts[i]
		if seen[a.ID] {
			continue
		}
		_, _, err := db.IncAlert(a.id)
		switch {
		case err == nil:
			continue
		case !errors.Is(err, storage.ErrNotFound):
			return nil, fmt.Errorf("detect: alert %s: %w", a.ID, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// QueueAlerts adds an alert.new event for each of alerts, raised by a
// batch run over the index up to height, to the webhook outbox, in one
// synced batch. A Deliverer (spoor detect --notify, or spoor index and
// spoor serve later) sends them.
func QueueAlerts(db *storage.DB, height uint32, alerts []*Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	seq, err := db.NextOutboxSeq()
	if err != nil {
		return err
	}
	b := db.NewBatch()
	defer b.Close()
	for _, a := range alerts {
		ev := Event{Seq: seq, Type: EventNew, Chain: db.Chain(), Height: height, Alert: *a}
		v, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("detect: encode event of alert %s: %w", a.ID, err)
		}
		b.PutOutboxEvent(seq, v)
		seq++
	}
	if err := b.Commit(true); err != nil {
		return fmt.Errorf("detect: queue %d alert events: %w", len(alerts), err)
	}
	return nil
}

// Drain delivers the outbox until every webhook has acknowledged (or
// given up) every event, or ctx is done, and returns how many events each
// webhook still has pending. Pending events stay in the outbox for the
// next deliverer.
func (d *Deliverer) Drain(ctx context.Context) ([]int, error) {
	for {
		next, derr := d.DeliverDue(ctx)
		pending, err := d.Pending()
		if err != nil {
			return nil, err
		}
		left := 0
		for _, n := range pending {
			left += n
		}
		if left == 0 || ctx.Err() != nil {
			if ctx.Err() != nil {
				derr = nil // the wait is over, not an error
			}
			return pending, derr
		}
		wait := 100 * time.Millisecond
		if !next.IsZero() {
			wait = max(next.Sub(d.Now()), 10*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}
