package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// IncrementalIndexName is the name under which incremental detection
// keeps its index tip.
const IncrementalIndexName = "detect"

// Incremental runs the detectors as blocks are indexed. It is an
// indexer.Index and an indexer.BatchObserver.
//
// # When it runs
//
// Detectors read the committed index (addresses, labels, clusters), and in
// bulk mode one batch holds many blocks whose rows are not readable before
// the commit, so detection runs after a commit (Committed), in its own
// synced batch, never inside the block's batch. The detection mark (q 't')
// says up to which height it has run; the index tip says which blocks are
// connected. A run at height h reads the window of the WindowBlocks blocks
// ending at h and raises, at h, every finding no run within the window
// raised before (Incremental.raise says when a finding counts as already
// raised). A crash between a block's commit and its detection leaves the
// mark behind the tip; the next commit, or Detect at start, runs the
// missing heights.
//
// # Undo
//
// DisconnectBlock deletes, in the block's batch, exactly what the run at
// that height raised: its findings with their by-address rows and its
// alert versions; it moves the mark back so that the replacement block is
// detected. When webhooks are configured and the height raised an alert
// that had no earlier version, an "alert.retracted" event is queued: a
// receiver may already have the alert.
type Incremental struct {
	ctx   context.Context
	db    *storage.DB
	cfg   Config
	names func(storage.AddrID) (string, error)
	log   *slog.Logger
	chain string
	// nextSeq is the next outbox sequence number (0: read it from the
	// database); a disconnect batch may queue several events.
	nextSeq uint64
	// runs counts detection runs, for tests and logs.
	runs int
	// Notify, when set, is called after every commit that may have
	// queued webhook events (a Deliverer's Wake).
	Notify func()
}

var (
	_ indexer.Index         = (*Incremental)(nil)
	_ indexer.BatchObserver = (*Incremental)(nil)
)

// NewIncremental returns incremental detection over db with cfg (after
// Defaults, validated). names turns address numbers into text for the
// evidence. ctx bounds the detection runs that follow commits; log
// receives their errors, since a commit cannot return one (the run is
// retried at the next commit, or by Detect).
func NewIncremental(ctx context.Context, db *storage.DB, cfg Config, names func(storage.AddrID) (string, error), log *slog.Logger) (*Incremental, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if _, err := cfg.loadPrices(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Incremental{ctx: ctx, db: db, cfg: cfg, names: names, log: log, chain: db.Chain()}, nil
}

// Name returns "detect".
func (x *Incremental) Name() string { return IncrementalIndexName }

// Runs returns how many detection runs x has made.
func (x *Incremental) Runs() int { return x.runs }

// ConnectBlock writes nothing: detection of the block runs once it is
// committed.
func (x *Incremental) ConnectBlock(*storage.Batch, *indexer.ConnectedBlock) error { return nil }

// DisconnectBlock deletes what the run at blk's height raised and moves
// the detection mark back to that height.
func (x *Incremental) DisconnectBlock(b *storage.Batch, blk *indexer.ConnectedBlock) error {
	h := blk.Height
	if len(x.cfg.Webhooks) > 0 {
		if err := x.queueRetractions(b, h); err != nil {
			return err
		}
	}
	if err := b.DeleteIncHeight(h); err != nil {
		return fmt.Errorf("detect: undo height %d: %w", h, err)
	}
	mark, err := x.db.DetectMark()
	if err != nil {
		return err
	}
	if mark > h {
		b.PutDetectMark(h)
	}
	return nil
}

// queueRetractions queues an "alert.retracted" event for every alert
// whose first version height h raised.
func (x *Incremental) queueRetractions(b *storage.Batch, h uint32) error {
	var firsts []Alert
	err := x.db.IncAlertsAt(h, func(id storage.AlertID, v []byte) error {
		earlier, err := x.db.IncAlertBefore(id, h)
		if err != nil || earlier {
			return err
		}
		a, err := DecodeAlert(v)
		firsts = append(firsts, a)
		return err
	})
	if err != nil {
		return fmt.Errorf("detect: alerts raised at height %d: %w", h, err)
	}
	for i := range firsts {
		if err := x.queue(b, EventRetracted, h, &firsts[i]); err != nil {
			return err
		}
	}
	return nil
}

// Committed runs detection up to the committed tip.
func (x *Incremental) Committed() {
	if err := x.Detect(x.ctx); err != nil && !errors.Is(err, context.Canceled) {
		x.log.Error("incremental detection failed; it is retried after the next block", "err", err)
	}
	if x.Notify != nil && len(x.cfg.Webhooks) > 0 {
		x.Notify()
	}
}

// Discarded forgets the outbox counter: the dropped batch may have
// advanced it.
func (x *Incremental) Discarded() { x.nextSeq = 0 }

// Detect runs detection at every height due between the mark and the
// committed tip of the index.
func (x *Incremental) Detect(ctx context.Context) error {
	tip, ok, err := x.db.Tip(x.Name())
	if err != nil || !ok {
		return err
	}
	mark, err := x.db.DetectMark()
	if err != nil {
		return err
	}
	for _, h := range runHeights(mark, tip.Height, x.cfg.Incremental) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := x.runAt(ctx, h); err != nil {
			return fmt.Errorf("detect: incremental run at height %d: %w", h, err)
		}
	}
	return nil
}

// runHeights returns the heights to run at, given the next undetected
// height mark and the tip: the tip once EveryBlocks blocks are pending,
// and a run every half window before it when more are.
func runHeights(mark, tip uint32, cfg IncrementalConfig) []uint32 {
	if tip+1 < mark+cfg.EveryBlocks {
		return nil
	}
	step := max(cfg.WindowBlocks/2, 1)
	var out []uint32
	for h := mark + step - 1; h < tip; h += step {
		out = append(out, h)
	}
	return append(out, tip)
}

// window returns the first height of the window ending at h.
func (x *Incremental) window(h uint32) uint32 {
	if h+1 < x.cfg.Incremental.WindowBlocks {
		return 0
	}
	return h + 1 - x.cfg.Incremental.WindowBlocks
}

// runAt runs every detector over the window ending at h and stores, at
// h, what no earlier run in the window raised.
func (x *Incremental) runAt(ctx context.Context, h uint32) error {
	from := x.window(h)
	w, err := LoadWindow(ctx, x.db, from, h, x.names)
	if err != nil {
		return err
	}
	res, err := Run(ctx, w, x.cfg, nil)
	if err != nil {
		return err
	}
	x.runs++
	var earlier []Finding
	if h > from {
		err := x.db.IncFindingsIn(from, h-1, func(k storage.IncFindingKey, sf storage.StoredFinding) (bool, error) {
			f, err := DecodeFinding(sf.Value)
			earlier = append(earlier, f)
			return err == nil, err
		})
		if err != nil {
			return err
		}
	}
	b := x.db.NewBatch()
	defer b.Close()
	fresh := newFindings(res.Findings, earlier)
	for i, f := range fresh {
		v, err := EncodeFinding(f)
		if err != nil {
			return err
		}
		b.PutIncFinding(storage.IncFindingKey{Height: h, Seq: uint32(i + 1)}, &storage.StoredFinding{Value: v, Addrs: f.addrs})
	}
	raised := 0
	for i := range res.Alerts {
		a := &res.Alerts[i]
		_, prev, err := x.db.IncAlert(a.id)
		isNew := errors.Is(err, storage.ErrNotFound)
		if err != nil && !isNew {
			return err
		}
		if !isNew {
			old, err := DecodeAlert(prev)
			if err != nil {
				return fmt.Errorf("alert %s: %w", a.ID, err)
			}
			if !grew(a, &old) {
				continue
			}
		}
		v, err := EncodeAlert(a)
		if err != nil {
			return err
		}
		b.PutIncAlert(a.id, h, v)
		raised++
		if isNew && len(x.cfg.Webhooks) > 0 {
			if err := x.queue(b, EventNew, h, a); err != nil {
				return err
			}
		}
	}
	b.PutDetectMark(h + 1)
	if err := b.Commit(true); err != nil {
		x.nextSeq = 0
		return err
	}
	if len(fresh) > 0 || raised > 0 {
		x.log.Info("incremental detection", "height", h, "window_from", from, "findings", len(fresh), "alert_versions", raised)
	}
	return nil
}

// grew reports whether alert a says more than its stored version old: a
// reason or a detector old lacks.
func grew(a, old *Alert) bool {
	for _, r := range a.Reasons {
		if !slices.Contains(old.Reasons, r) {
			return true
		}
	}
	for _, d := range a.Detectors {
		if !slices.Contains(old.Detectors, d) {
			return true
		}
	}
	return false
}

// newFindings returns the findings of fs that earlier runs did not raise.
// A finding counts as raised when earlier findings of the same detector
// and reason that share a transaction with it together name every one of
// its transactions: the same pattern seen again, or a part of it (the
// window has slid past its start). A finding whose evidence grew, or
// whose reason changed (a peel chain that now reaches an exchange), is
// raised again with its fuller evidence.
func newFindings(fs, earlier []Finding) []*Finding {
	type key struct{ det, reason string }
	byTx := map[key]map[string][]int{}
	for i := range earlier {
		e := &earlier[i]
		k := key{e.Name(), e.Reason}
		if byTx[k] == nil {
			byTx[k] = map[string][]int{}
		}
		for _, t := range e.Txids {
			byTx[k][t] = append(byTx[k][t], i)
		}
	}
	var out []*Finding
	for i := range fs {
		f := &fs[i]
		idx := byTx[key{f.Name(), f.Reason}]
		covered := map[string]bool{}
		for _, t := range f.Txids {
			for _, j := range idx[t] {
				for _, u := range earlier[j].Txids {
					covered[u] = true
				}
			}
		}
		all := len(f.Txids) > 0
		for _, t := range f.Txids {
			all = all && covered[t]
		}
		if !all {
			out = append(out, f)
			// Later findings of this run are compared with earlier runs
			// only: two findings of one run are both new.
		}
	}
	return out
}

// Event types of the webhook outbox.
const (
	EventNew       = "alert.new"
	EventRetracted = "alert.retracted"
)

// Event is what a webhook receives: one alert raised (or retracted) by
// incremental detection at a height.
type Event struct {
	// Seq numbers events in the order they were raised; a receiver that
	// sees a Seq twice (a delivery it acknowledged too late) can drop it.
	Seq    uint64 `json:"seq"`
	Type   string `json:"type"`
	Chain  string `json:"chain"`
	Height uint32 `json:"height"`
	Alert  Alert  `json:"alert"`
}

// queue adds an event about a to the outbox in b.
func (x *Incremental) queue(b *storage.Batch, typ string, h uint32, a *Alert) error {
	if x.nextSeq == 0 {
		n, err := x.db.NextOutboxSeq()
		if err != nil {
			return err
		}
		x.nextSeq = n
	}
	ev := Event{Seq: x.nextSeq, Type: typ, Chain: x.chain, Height: h, Alert: *a}
	v, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("detect: encode event of alert %s: %w", a.ID, err)
	}
	b.PutOutboxEvent(ev.Seq, v)
	x.nextSeq++
	return nil
}
