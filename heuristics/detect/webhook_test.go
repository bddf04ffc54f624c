package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// receiver is a webhook endpoint on loopback that verifies every delivery
// and fails the first failFirst attempts of each event.
type receiver struct {
	t         *testing.T
	secret    []byte
	failFirst int
	mu        sync.Mutex
	attempts  map[uint64]int // per event sequence
	acked     map[uint64]int // 2xx answers per event sequence
	order     []uint64       // sequences acknowledged, in order
	badSig    int
	events    map[uint64]Event
	now       func() time.Time
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Error(err)
		return
	}
	if err := VerifySignature(rc.secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body, rc.now(), 5*time.Minute); err != nil {
		rc.mu.Lock()
		rc.badSig++
		rc.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil || strconv.FormatUint(ev.Seq, 10) != r.Header.Get(HeaderDelivery) || ev.Type != r.Header.Get(HeaderEvent) {
		rc.t.Errorf("delivery %s (%s): body %s", r.Header.Get(HeaderDelivery), r.Header.Get(HeaderEvent), body)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.attempts[ev.Seq]++
	if rc.attempts[ev.Seq] <= rc.failFirst {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	rc.acked[ev.Seq]++
	rc.order = append(rc.order, ev.Seq)
	rc.events[ev.Seq] = ev
	w.WriteHeader(http.StatusNoContent)
}

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestWebhooksDeliverRetryAndSurviveRestart(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Now()}
	rc := &receiver{now: clock.now, t: t, secret: []byte("s3cret"), failFirst: 2, attempts: map[uint64]int{}, acked: map[uint64]int{}, events: map[uint64]Event{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	wrong := &receiver{now: clock.now, t: t, secret: []byte("another"), attempts: map[uint64]int{}, acked: map[uint64]int{}, events: map[uint64]Event{}}
	srvWrong := httptest.NewServer(wrong)
	defer srvWrong.Close()

	cfg := Config{
		Incremental: IncrementalConfig{Enabled: true, WindowBlocks: 1000},
		Webhooks: []WebhookConfig{
			{URL: srv.URL, SecretEnv: "SPOOR_TEST_HOOK", BackoffSeconds: 2, MaxBackoffSeconds: 5},
			// The second receiver has another secret: it rejects every
			// delivery, which is retried until given up.
			{URL: srvWrong.URL, Secret: "s3cret", MaxAttempts: 3},
		},
	}
	if err := world.DB.DropIncDetection(IncrementalIndexName); err != nil {
		t.Fatal(err)
	}
	first, err := world.DB.NextOutboxSeq()
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewIncremental(ctx, world.DB, cfg, world.Namer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := indexer.CatchUp(ctx, world.DB, x, 0, nil); err != nil {
		t.Fatal(err)
	}
	next, err := world.DB.NextOutboxSeq()
	if err != nil {
		t.Fatal(err)
	}
	_, alerts, _ := incremental(t)
	events := int(next - first)
	if events != len(alerts) || events == 0 {
		t.Fatalf("%d events queued for %d new alerts", events, len(alerts))
	}

	getenv := func(k string) string {
		if k == "SPOOR_TEST_HOOK" {
			return "s3cret"
		}
		return ""
	}
	newDeliverer := func() *Deliverer {
		d, err := NewDeliverer(world.DB, cfg, getenv, nil)
		if err != nil {
			t.Fatal(err)
		}
		d.Now = clock.now
		return d
	}
	d := newDeliverer()
	// First pass: the first event fails and holds back the rest.
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rc.order) != 0 || rc.attempts[first] != 1 {
		t.Fatalf("after one pass: acked %v, attempts %v", rc.order, rc.attempts)
	}
	// Before the backoff passes nothing is sent again.
	clock.t = clock.t.Add(1 * time.Second)
	if _, err := d.DeliverDue(ctx); err != nil || rc.attempts[first] != 1 {
		t.Fatalf("a retry before its backoff: attempts %v, %v", rc.attempts, err)
	}
	// After the backoff (2 s, then 4 s) it is retried; the third attempt
	// succeeds. Restart the deliverer half way: it reads its state back.
	clock.t = clock.t.Add(2 * time.Second)
	if _, err := d.DeliverDue(ctx); err != nil || rc.attempts[first] != 2 || len(rc.order) != 0 {
		t.Fatalf("second attempt: attempts %v acked %v, %v", rc.attempts, rc.order, err)
	}
	d = newDeliverer()
	clock.t = clock.t.Add(4 * time.Second)
	if _, err := d.DeliverDue(ctx); err != nil || rc.acked[first] != 1 {
		t.Fatalf("third attempt after a restart: attempts %v acked %v, %v", rc.attempts, rc.order, err)
	}
	// Deliver everything: each later event fails twice too.
	for range 4 * events {
		clock.t = clock.t.Add(10 * time.Second)
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
		// Restart now and then.
		if len(rc.order)%3 == 1 {
			d = newDeliverer()
		}
	}
	if len(rc.order) != events || rc.badSig != 0 {
		t.Fatalf("%d of %d events acknowledged, %d bad signatures", len(rc.order), events, rc.badSig)
	}
	for i, seq := range rc.order {
		if seq != first+uint64(i) || rc.acked[seq] != 1 || rc.attempts[seq] != 3 {
			t.Fatalf("event %d: acknowledged %d times after %d attempts, in position %d", seq, rc.acked[seq], rc.attempts[seq], i)
		}
		if ev := rc.events[seq]; ev.Type != EventNew || ev.Alert.ID == "" || ev.Chain != world.DB.Chain() {
			t.Fatalf("event %d: %+v", seq, ev)
		}
	}
	// A restarted deliverer sends nothing already acknowledged; the
	// wrongly keyed receiver was tried three times per event and given up.
	d = newDeliverer()
	clock.t = clock.t.Add(time.Hour)
	if _, err := d.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	if p, err := d.Pending(); err != nil || p[0] != 0 || p[1] != 0 {
		t.Fatalf("pending after delivery: %v %v", p, err)
	}
	if len(rc.order) != events || wrong.badSig != 3*events || len(wrong.order) != 0 {
		t.Fatalf("after a last restart: %d acknowledged (want %d); the wrong receiver refused %d (want %d)", len(rc.order), events, wrong.badSig, 3*events)
	}

	// Undoing the height that raised an alert queues its retraction,
	// which is delivered in turn.
	var raisedAt uint32
	var id string
	if err := world.DB.IncAlerts(func(aid storage.AlertID, h uint32, v []byte) (bool, error) {
		earlier, err := world.DB.IncAlertBefore(aid, h)
		if err != nil || earlier {
			return err == nil, err
		}
		a, err := DecodeAlert(v)
		raisedAt, id = h, a.ID
		return false, err
	}); err != nil || id == "" {
		t.Fatal(err)
	}
	disconnectOne(t, x, raisedAt)
	clock.t = clock.t.Add(time.Minute)
	for range 3 {
		clock.t = clock.t.Add(10 * time.Second)
		if _, err := d.DeliverDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	last := rc.events[rc.order[len(rc.order)-1]]
	if len(rc.order) != events+1 || last.Type != EventRetracted || last.Alert.ID != id || last.Height != raisedAt {
		t.Fatalf("after undoing height %d: last event %+v, want the retraction of %s", raisedAt, last, id)
	}
}

func TestVerifySignature(t *testing.T) {
	secret := []byte("k")
	now := time.Unix(1_700_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"seq":1}`)
	sig := Sign(secret, ts, body)
	tests := []struct {
		name    string
		secret  []byte
		ts, sig string
		body    []byte
		ok      bool
	}{
		{"good", secret, ts, sig, body, true},
		{"altered body", secret, ts, sig, []byte(`{"seq":2}`), false},
		{"other secret", []byte("x"), ts, sig, body, false},
		{"timestamp changed", secret, strconv.FormatInt(now.Unix()+1, 10), sig, body, false},
		{"replayed an hour later", secret, strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), Sign(secret, strconv.FormatInt(now.Add(-time.Hour).Unix(), 10), body), body, false},
		{"no timestamp", secret, "", sig, body, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.secret, tc.ts, tc.sig, tc.body, now, 5*time.Minute)
			if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("VerifySignature = %v, want ok %v", err, tc.ok)
			}
		})
	}
}

func TestNewDelivererNeedsTheSecret(t *testing.T) {
	_, err := NewDeliverer(world.DB, Config{Webhooks: []WebhookConfig{{URL: "http://127.0.0.1:1/", SecretEnv: "SPOOR_UNSET_SECRET"}}}, func(string) string { return "" }, nil)
	if err == nil || !strings.Contains(fmt.Sprint(err), "SPOOR_UNSET_SECRET is empty or unset") {
		t.Fatalf("NewDeliverer without its secret: %v", err)
	}
	_, err = NewDeliverer(world.DB, Config{Webhooks: []WebhookConfig{{URL: "ftp://x", Secret: "a", SecretEnv: "B"}}}, nil, nil)
	if err == nil || !strings.Contains(fmt.Sprint(err), "want an http:// or https:// URL") || !strings.Contains(fmt.Sprint(err), "exactly one of secret and secret_env") {
		t.Fatalf("NewDeliverer with a bad webhook: %v", err)
	}
}

// TestDeliveryCutByShutdownIsNoAttempt: an attempt cut short because the
// deliverer itself stops (its context is cancelled mid-request) is not a
// refusal by the receiver: it counts no attempt and sets no backoff, so a
// final pass with a fresh context delivers the event at once.
func TestDeliveryCutByShutdownIsNoAttempt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := storage.Open(t.TempDir(), "bitcoin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := QueueAlerts(db, 7, []*Alert{{ID: "a1"}, {ID: "a2"}}); err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{}, 1)
	var mu sync.Mutex
	stall, acked := true, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		s := stall
		mu.Unlock()
		if s {
			arrived <- struct{}{}
			<-r.Context().Done() // the client gives up first
			return
		}
		mu.Lock()
		acked++
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	d, err := NewDeliverer(db, Config{Webhooks: []WebhookConfig{{URL: srv.URL, Secret: "s", BackoffSeconds: 3600, MaxBackoffSeconds: 3600}}}, func(string) string { return "" }, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := d.DeliverDue(ctx); done <- err }()
	<-arrived
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a pass cut short by its context: %v", err)
	}
	st, _, err := db.Delivery(storage.OutboxStateKey{Seq: 0, Hook: 0})
	if err != nil {
		t.Fatal(err)
	}
	if st.Attempts != 0 || st.NextAttempt != 0 || st.Delivered != 0 {
		t.Fatalf("the cut attempt was recorded: %+v", st)
	}
	mu.Lock()
	stall = false
	mu.Unlock()
	if _, err := d.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	p, err := d.Pending()
	if err != nil {
		t.Fatal(err)
	}
	if acked != 2 || p[0] != 0 {
		t.Fatalf("after the final pass: %d acknowledged, %d pending; want 2 and 0", acked, p[0])
	}
}
