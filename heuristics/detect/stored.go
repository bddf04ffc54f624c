package detect

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spoorhq/spoor/storage"
)

// Sources of stored findings and alerts.
const (
	// SourceBatch marks what the latest batch run (spoor detect) stored.
	SourceBatch = "batch"
	// SourceIncremental marks what detection raised as blocks were
	// indexed, each at the height that raised it.
	SourceIncremental = "incremental"
)

// StoredFinding is a finding read back from the index: where it came
// from, the height that raised it (incremental findings only) and an
// opaque cursor to continue a listing after it.
type StoredFinding struct {
	Finding
	Source   string
	RaisedAt uint32
	Cursor   string
}

// StoredAlert is an alert read back from the index.
type StoredAlert struct {
	Alert
	Source   string
	RaisedAt uint32
	Cursor   string
}

// Reader is what reading stored findings and alerts needs. *storage.DB
// implements it.
type Reader interface {
	ScanFindings(fn func(seq uint32, value []byte) error) error
	Finding(seq uint32) ([]byte, error)
	FindingsOf(a storage.AddrID) ([]uint32, error)
	ScanAlerts(fn func(id storage.AlertID, value []byte) error) error
	Alert(id storage.AlertID) ([]byte, error)
	ReviewsOf(id storage.AlertID) ([][]byte, error)
	IncFindings(after storage.IncFindingKey, fn func(k storage.IncFindingKey, f storage.StoredFinding) (bool, error)) error
	IncFindingsOf(a storage.AddrID) ([]storage.IncFindingKey, error)
	IncFinding(k storage.IncFindingKey) (storage.StoredFinding, error)
	IncAlerts(fn func(id storage.AlertID, height uint32, value []byte) (bool, error)) error
	IncAlert(id storage.AlertID) (uint32, []byte, error)
}

// FindingFilter selects stored findings. Every set field must match.
type FindingFilter struct {
	// Addrs, when not nil, keeps findings naming one of these addresses.
	Addrs []storage.AddrID
	// Detector keeps one detector's findings (its name without version).
	Detector string
	// From and To keep findings whose time span overlaps [From, To]
	// (Unix seconds; 0 leaves that end open).
	From, To int64
	// Source keeps only SourceBatch or SourceIncremental findings.
	Source string
}

func (f *FindingFilter) check() error {
	if f.Detector != "" {
		if err := CheckName(f.Detector); err != nil {
			return err
		}
	}
	if f.From != 0 && f.To != 0 && f.To < f.From {
		return fmt.Errorf("detect: time range ends (%d) before it starts (%d)", f.To, f.From)
	}
	if f.Source != "" && f.Source != SourceBatch && f.Source != SourceIncremental {
		return fmt.Errorf("detect: source %q: want %s or %s", f.Source, SourceBatch, SourceIncremental)
	}
	return nil
}

func (f *FindingFilter) keep(x *Finding) bool {
	return (f.Detector == "" || x.Name() == f.Detector) && overlaps(x.FirstTime, x.LastTime, f.From, f.To)
}

// overlaps reports whether [a, b] meets [from, to], 0 leaving an end open.
func overlaps(a, b, from, to int64) bool {
	return (from == 0 || b >= from) && (to == 0 || a <= to)
}

// cursors: "b<seq>" for a batch finding, "i<height>.<seq>" for an
// incremental one. Batch findings list first.
func batchCursor(seq uint32) string { return "b" + strconv.FormatUint(uint64(seq), 10) }

func incCursor(k storage.IncFindingKey) string {
	return "i" + strconv.FormatUint(uint64(k.Height), 10) + "." + strconv.FormatUint(uint64(k.Seq), 10)
}

// ErrBadCursor is returned for a cursor this package did not give out.
var ErrBadCursor = errors.New("detect: not a cursor of this listing")

// parseFindingCursor returns the position after which a listing goes on.
func parseFindingCursor(c string) (batch bool, seq uint32, inc storage.IncFindingKey, err error) {
	switch {
	case c == "":
		return true, 0, inc, nil
	case c[0] == 'b':
		n, err := strconv.ParseUint(c[1:], 10, 32)
		if err != nil {
			return false, 0, inc, fmt.Errorf("%w: %q", ErrBadCursor, c)
		}
		return true, uint32(n), inc, nil
	case c[0] == 'i':
		h, s, ok := strings.Cut(c[1:], ".")
		hn, err1 := strconv.ParseUint(h, 10, 32)
		sn, err2 := strconv.ParseUint(s, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return false, 0, inc, fmt.Errorf("%w: %q", ErrBadCursor, c)
		}
		return false, 0, storage.IncFindingKey{Height: uint32(hn), Seq: uint32(sn)}, nil
	}
	return false, 0, inc, fmt.Errorf("%w: %q", ErrBadCursor, c)
}

// ReadFindings returns up to limit stored findings that f keeps, after
// cursor after ("" for the first page): batch findings in run order, then
// incremental findings by the height that raised them. more says whether
// another page follows.
func ReadFindings(r Reader, f FindingFilter, after string, limit int) (page []StoredFinding, more bool, err error) {
	if err := f.check(); err != nil {
		return nil, false, err
	}
	inBatch, seq, incAfter, err := parseFindingCursor(after)
	if err != nil {
		return nil, false, err
	}
	add := func(sf StoredFinding) bool {
		if len(page) == limit {
			more = true
			return false
		}
		page = append(page, sf)
		return true
	}
	stop := errors.New("page full")
	if inBatch && f.Source != SourceIncremental {
		keepBatch := func(s uint32, v []byte) error {
			if s <= seq {
				return nil
			}
			x, err := DecodeFinding(v)
			if err != nil {
				return fmt.Errorf("detect: stored finding %d: %w", s, err)
			}
			if f.keep(&x) && !add(StoredFinding{Finding: x, Source: SourceBatch, Cursor: batchCursor(s)}) {
				return stop
			}
			return nil
		}
		if f.Addrs != nil {
			seqs, err := unionSeqs(r, f.Addrs)
			if err != nil {
				return nil, false, err
			}
			for _, s := range seqs {
				if s <= seq {
					continue
				}
				v, err := r.Finding(s)
				if err != nil {
					return nil, false, err
				}
				if err := keepBatch(s, v); err == stop {
					return page, more, nil
				} else if err != nil {
					return nil, false, err
				}
			}
		} else if err := r.ScanFindings(keepBatch); err != nil && err != stop {
			return nil, false, err
		} else if err == stop {
			return page, more, nil
		}
	}
	if f.Source == SourceBatch {
		return page, more, nil
	}
	keepInc := func(k storage.IncFindingKey, sf storage.StoredFinding) (bool, error) {
		x, err := DecodeFinding(sf.Value)
		if err != nil {
			return false, fmt.Errorf("detect: finding raised at height %d: %w", k.Height, err)
		}
		if f.keep(&x) && !add(StoredFinding{Finding: x, Source: SourceIncremental, RaisedAt: k.Height, Cursor: incCursor(k)}) {
			return false, nil
		}
		return true, nil
	}
	if f.Addrs == nil {
		if err := r.IncFindings(incAfter, keepInc); err != nil {
			return nil, false, err
		}
		return page, more, nil
	}
	set := map[storage.IncFindingKey]bool{}
	for _, a := range f.Addrs {
		ks, err := r.IncFindingsOf(a)
		if err != nil {
			return nil, false, err
		}
		for _, k := range ks {
			set[k] = true
		}
	}
	keys := make([]storage.IncFindingKey, 0, len(set))
	for k := range set {
		if !inBatch && !k.After(incAfter) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[j].After(keys[i]) })
	for _, k := range keys {
		sf, err := r.IncFinding(k)
		if err != nil {
			return nil, false, err
		}
		if ok, err := keepInc(k, sf); err != nil {
			return nil, false, err
		} else if !ok {
			break
		}
	}
	return page, more, nil
}

// unionSeqs returns the sorted, distinct sequence numbers of the batch
// findings naming any of addrs.
func unionSeqs(r Reader, addrs []storage.AddrID) ([]uint32, error) {
	set := map[uint32]bool{}
	for _, a := range addrs {
		seqs, err := r.FindingsOf(a)
		if err != nil {
			return nil, fmt.Errorf("detect: findings of address %d: %w", a, err)
		}
		for _, s := range seqs {
			set[s] = true
		}
	}
	out := make([]uint32, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out, nil
}

// AlertFilter selects stored alerts. Every set field must match.
type AlertFilter struct {
	// IDs, when not nil, keeps these alerts (an address's cluster has one
	// alert identity: AlertIDOf).
	IDs []storage.AlertID
	// Detector keeps alerts with an indicator of this detector.
	Detector string
	// From and To keep alerts whose time span overlaps [From, To].
	From, To int64
	// MinScore keeps alerts scoring at least this.
	MinScore float64
	// Source keeps only SourceBatch or SourceIncremental alerts.
	Source string
}

// AlertIDOf returns the identity of the alert about the cluster whose
// subject (root address) is named subject: the same in every run.
func AlertIDOf(subject string) storage.AlertID {
	return alertID(subject)
}

// ReadAlerts returns up to limit stored alerts that f keeps, in identity
// order, the batch run's before the incremental ones of the same identity,
// after cursor after. more says whether another page follows.
func ReadAlerts(r Reader, f AlertFilter, after string, limit int) (page []StoredAlert, more bool, err error) {
	ff := FindingFilter{Detector: f.Detector, From: f.From, To: f.To, Source: f.Source}
	if err := ff.check(); err != nil {
		return nil, false, err
	}
	var all []StoredAlert
	keep := func(a Alert, source string, h uint32) {
		if f.Detector != "" && !slices.Contains(a.Detectors, f.Detector) || a.Score < f.MinScore || !overlaps(a.FirstTime, a.LastTime, f.From, f.To) {
			return
		}
		all = append(all, StoredAlert{Alert: a, Source: source, RaisedAt: h, Cursor: a.ID + "." + source})
	}
	if f.IDs != nil {
		for _, id := range f.IDs {
			if f.Source != SourceIncremental {
				v, err := r.Alert(id)
				if err == nil {
					a, err := DecodeAlert(v)
					if err != nil {
						return nil, false, err
					}
					keep(a, SourceBatch, 0)
				} else if !errors.Is(err, storage.ErrNotFound) {
					return nil, false, err
				}
			}
			if f.Source != SourceBatch {
				h, v, err := r.IncAlert(id)
				if err == nil {
					a, err := DecodeAlert(v)
					if err != nil {
						return nil, false, err
					}
					keep(a, SourceIncremental, h)
				} else if !errors.Is(err, storage.ErrNotFound) {
					return nil, false, err
				}
			}
		}
	} else {
		if f.Source != SourceIncremental {
			if err := r.ScanAlerts(func(_ storage.AlertID, v []byte) error {
				a, err := DecodeAlert(v)
				if err == nil {
					keep(a, SourceBatch, 0)
				}
				return err
			}); err != nil {
				return nil, false, err
			}
		}
		if f.Source != SourceBatch {
			if err := r.IncAlerts(func(_ storage.AlertID, h uint32, v []byte) (bool, error) {
				a, err := DecodeAlert(v)
				if err == nil {
					keep(a, SourceIncremental, h)
				}
				return err == nil, err
			}); err != nil {
				return nil, false, err
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Cursor < all[j].Cursor })
	for _, a := range all {
		if after != "" && a.Cursor <= after {
			continue
		}
		if len(page) == limit {
			return page, true, nil
		}
		page = append(page, a)
	}
	return page, false, nil
}

// ReviewsOf returns the reviews of alert id, oldest first.
func ReviewsOf(r Reader, id storage.AlertID) ([]Review, error) {
	vs, err := r.ReviewsOf(id)
	if err != nil {
		return nil, fmt.Errorf("detect: reviews of alert %x: %w", id, err)
	}
	out := make([]Review, 0, len(vs))
	for _, v := range vs {
		rv, err := DecodeReview(v)
		if err != nil {
			return nil, fmt.Errorf("detect: review of alert %x: %w", id, err)
		}
		out = append(out, rv)
	}
	return out, nil
}

// ReviewWriter stores reviews. *storage.DB implements it.
type ReviewWriter interface {
	PutReview(k storage.ReviewKey, value []byte) error
}

// ErrUnknownAlert is returned when reviewing an alert that is not stored.
var ErrUnknownAlert = errors.New("detect: no such alert")

// ErrBadReview is returned for a review without a valid verdict or note.
var ErrBadReview = errors.New("detect: bad review")

// Verdicts of a review.
const (
	VerdictConfirmed     = "confirmed"
	VerdictFalsePositive = "false_positive"
)

// MarkAlert stores an analyst's review of the stored alert id (batch or
// incremental) and returns it. nowNano is the review's time.
func MarkAlert(r Reader, w ReviewWriter, id storage.AlertID, verdict, note, reviewer string, nowNano int64) (Review, error) {
	if verdict != VerdictConfirmed && verdict != VerdictFalsePositive {
		return Review{}, fmt.Errorf("%w: verdict %q: want %s or %s", ErrBadReview, verdict, VerdictConfirmed, VerdictFalsePositive)
	}
	if strings.TrimSpace(note) == "" {
		return Review{}, fmt.Errorf("%w: a review needs a note saying why", ErrBadReview)
	}
	page, _, err := ReadAlerts(r, AlertFilter{IDs: []storage.AlertID{id}}, "", 2)
	if err != nil {
		return Review{}, err
	}
	if len(page) == 0 {
		return Review{}, fmt.Errorf("%w: %x", ErrUnknownAlert, id)
	}
	a := page[len(page)-1].Alert
	rv := Review{Alert: a.ID, Verdict: verdict, Note: note, Time: nowNano, Detectors: a.Detectors, Reviewer: reviewer, AlertSubject: a.Subject}
	v, err := EncodeReview(&rv)
	if err != nil {
		return Review{}, err
	}
	if err := w.PutReview(storage.ReviewKey{Alert: id, UnixNano: uint64(nowNano)}, v); err != nil {
		return Review{}, fmt.Errorf("detect: store review of alert %s: %w", a.ID, err)
	}
	return rv, nil
}
