package detect

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spoorhq/spoor/storage"
)

// Headers of a webhook delivery.
const (
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256, keyed
	// with the webhook's secret, of the timestamp header's value, a dot
	// and the body. Signing the timestamp stops a captured delivery from
	// being replayed later: receivers reject old timestamps.
	HeaderSignature = "X-Spoor-Signature"
	// HeaderTimestamp carries the Unix time of the attempt, in seconds.
	HeaderTimestamp = "X-Spoor-Timestamp"
	// HeaderEvent carries the event type; HeaderDelivery its sequence
	// number, which stays the same over retries.
	HeaderEvent    = "X-Spoor-Event"
	HeaderDelivery = "X-Spoor-Delivery"
)

// Sign returns the signature header value of body sent at timestamp ts.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature is returned by VerifySignature for a delivery that was
// not signed with the secret, was altered, or is too old.
var ErrBadSignature = errors.New("detect: webhook signature does not verify")

// VerifySignature checks a delivery as a receiver should: the signature
// must match the timestamp and body, and the timestamp must be within
// tolerance of now.
func VerifySignature(secret []byte, ts, sig string, body []byte, now time.Time, tolerance time.Duration) error {
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not Unix seconds", ErrBadSignature, ts)
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s is %s away from now (tolerance %s): a replay or a wrong clock", ErrBadSignature, ts, d.Round(time.Second), tolerance)
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(secret, ts, body))) {
		return fmt.Errorf("%w: the HMAC does not match the body", ErrBadSignature)
	}
	return nil
}

// Deliverer posts the events of the outbox to the configured webhooks.
//
// Each webhook receives every event in sequence order; an event a webhook
// has not acknowledged (a 2xx answer) holds back the later ones, retried
// after BackoffSeconds, doubling up to MaxBackoffSeconds, until it
// succeeds or MaxAttempts is reached (then it is given up, logged, and the
// next event goes). Every attempt's outcome is stored (o 's' rows) and
// synced, so a restarted process re-delivers exactly the events not yet
// acknowledged and never sends an acknowledged one again. The one window
// left is a crash between a receiver's 2xx and that write: the event is
// sent again with the same X-Spoor-Delivery, which receivers use to drop
// it.
type Deliverer struct {
	db     *storage.DB
	hooks  []hook
	client *http.Client
	log    *slog.Logger
	// Now is the clock (time.Now unless a test sets it).
	Now func() time.Time
	// low is, per webhook, the first event it has not finished.
	low  []uint64
	wake chan struct{}
}

type hook struct {
	cfg    WebhookConfig
	secret []byte
}

// NewDeliverer returns a deliverer to the webhooks of cfg (after
// Defaults). getenv reads the secrets named by secret_env; an empty one is
// an error naming the variable, never an unsigned delivery.
func NewDeliverer(db *storage.DB, cfg Config, getenv func(string) string, log *slog.Logger) (*Deliverer, error) {
	cfg = cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Deliverer{db: db, client: &http.Client{}, log: log, Now: time.Now, wake: make(chan struct{}, 1)}
	for i, h := range cfg.Webhooks {
		s := h.Secret
		if h.SecretEnv != "" {
			if s = getenv(h.SecretEnv); s == "" {
				return nil, fmt.Errorf("detect.webhooks[%d].secret_env: the environment variable %s is empty or unset", i, h.SecretEnv)
			}
		}
		d.hooks = append(d.hooks, hook{cfg: h, secret: []byte(s)})
		d.low = append(d.low, 1)
	}
	return d, nil
}

// Wake makes a running deliverer look at the outbox now.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done, looking at the outbox when woken, when
// a retry is due, and at least every poll.
func (d *Deliverer) Run(ctx context.Context, poll time.Duration) error {
	for {
		next, err := d.DeliverDue(ctx)
		if err != nil && ctx.Err() == nil {
			d.log.Error("webhook delivery", "err", err)
		}
		wait := poll
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(d.Now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// DeliverDue makes every attempt that is due now and returns when the
// next retry is due (zero when none waits).
func (d *Deliverer) DeliverDue(ctx context.Context) (time.Time, error) {
	var next time.Time
	var errs []error
	for i := range d.hooks {
		n, err := d.deliverHook(ctx, i)
		if err != nil {
			errs = append(errs, err)
		}
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next, errors.Join(errs...)
}

// deliverHook sends webhook i its due events in order.
func (d *Deliverer) deliverHook(ctx context.Context, i int) (time.Time, error) {
	h := &d.hooks[i]
	var next time.Time
	var ferr error
	err := d.db.OutboxEvents(d.low[i], func(seq uint64, v []byte) (bool, error) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		k := storage.OutboxStateKey{Seq: seq, Hook: uint16(i)}
		st, _, err := d.db.Delivery(k)
		if err != nil {
			return false, err
		}
		if st.Delivered != 0 || h.cfg.MaxAttempts > 0 && st.Attempts >= uint64(h.cfg.MaxAttempts) {
			d.low[i] = seq + 1
			return true, nil
		}
		now := d.Now()
		if st.NextAttempt > now.UnixNano() {
			next = time.Unix(0, st.NextAttempt)
			return false, nil
		}
		aerr := d.post(ctx, h, seq, v, now)
		if aerr != nil && ctx.Err() != nil {
			// Cut short by our own shutdown, not refused by the receiver:
			// no attempt is counted and no backoff set, so the event is
			// due at once for the final pass or the next start.
			return false, ctx.Err()
		}
		st.Attempts++
		if aerr == nil {
			st.Delivered, st.LastError = d.Now().UnixNano(), ""
		} else {
			st.LastError = aerr.Error()
			back := time.Duration(h.cfg.BackoffSeconds) * time.Second << min(st.Attempts-1, 30)
			back = min(back, time.Duration(h.cfg.MaxBackoffSeconds)*time.Second)
			st.NextAttempt = now.Add(back).UnixNano()
		}
		if err := d.db.PutDelivery(k, &st); err != nil {
			return false, fmt.Errorf("detect: store delivery of event %d to %s: %w", seq, h.cfg.URL, err)
		}
		switch {
		case aerr == nil:
			d.low[i] = seq + 1
			return true, nil
		case h.cfg.MaxAttempts > 0 && st.Attempts >= uint64(h.cfg.MaxAttempts):
			d.log.Error("webhook: event given up", "url", h.cfg.URL, "seq", seq, "attempts", st.Attempts, "err", aerr)
			d.low[i] = seq + 1
			return true, nil
		}
		d.log.Warn("webhook delivery failed; retrying", "url", h.cfg.URL, "seq", seq, "attempts", st.Attempts, "next", time.Unix(0, st.NextAttempt), "err", aerr)
		next = time.Unix(0, st.NextAttempt)
		return false, nil
	})
	if err != nil {
		ferr = fmt.Errorf("detect: webhook %s: %w", h.cfg.URL, err)
	}
	return next, ferr
}

// post makes one attempt; any answer but 2xx is a failure.
func (d *Deliverer) post(ctx context.Context, h *hook, seq uint64, body []byte, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(h.cfg.Timeout)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("detect: webhook request to %s: %w", h.cfg.URL, err)
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	var ev struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &ev)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(h.secret, ts, body))
	req.Header.Set(HeaderEvent, ev.Type)
	req.Header.Set(HeaderDelivery, strconv.FormatUint(seq, 10))
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", h.cfg.URL, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s %s", h.cfg.URL, resp.Status, strings.TrimSpace(string(snippet)))
	}
	return nil
}

// Pending returns, per webhook, how many events it has neither had
// acknowledged nor given up.
func (d *Deliverer) Pending() ([]int, error) {
	out := make([]int, len(d.hooks))
	err := d.db.OutboxEvents(1, func(seq uint64, _ []byte) (bool, error) {
		for i := range d.hooks {
			st, _, err := d.db.Delivery(storage.OutboxStateKey{Seq: seq, Hook: uint16(i)})
			if err != nil {
				return false, err
			}
			if st.Delivered == 0 && (d.hooks[i].cfg.MaxAttempts == 0 || st.Attempts < uint64(d.hooks[i].cfg.MaxAttempts)) {
				out[i]++
			}
		}
		return true, nil
	})
	return out, err
}
