package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/coinjoin"
	"github.com/spoorhq/spoor/storage"
)

// Truth is a simulator's ground truth (docs/truth.md): the owner of every
// address and the CoinJoin transactions.
type Truth struct {
	Addrs []TruthAddr
	Txs   []TruthTx
}

// TruthAddr is an address line of truth.jsonl.
type TruthAddr struct {
	Address string `json:"address"`
	Entity  string `json:"entity"`
	Kind    string `json:"kind"`
}

// TruthTx is a transaction line of truth.jsonl.
type TruthTx struct {
	Txid     string `json:"txid"`
	Kind     string `json:"kind"`
	Protocol string `json:"protocol"`
}

// maxTruthVersion is the newest truth format version ReadTruth reads.
// Version 1 files have no header line.
const maxTruthVersion = 2

func clipLine(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// ReadTruth reads truth.jsonl from r; name is used in errors. A line that
// is not a JSON object, or is neither a complete address line nor a
// complete transaction line, is an error naming the line.
func ReadTruth(r io.Reader, name string) (*Truth, error) {
	t := &Truth{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(line) == 0 {
			continue
		}
		var rec struct {
			TruthAddr
			Txid     string `json:"txid"`
			Protocol string `json:"protocol"`
			Format   string `json:"format"`
			Version  *int   `json:"version"`
			Scenario string `json:"scenario"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			return nil, fmt.Errorf("%s line %d: not a truth.jsonl line: %w", name, n, err)
		}
		switch {
		case rec.Format != "" || rec.Version != nil:
			// The header of format version 2 and later.
			if n != 1 || rec.Format != "spoor-truth" || rec.Version == nil {
				return nil, fmt.Errorf("%s line %d: header %s: want {\"format\":\"spoor-truth\",\"version\":N} on the first line", name, n, clipLine(line))
			}
			if *rec.Version > maxTruthVersion {
				return nil, fmt.Errorf("%s: truth format version %d is newer than this spoor reads (up to %d)", name, *rec.Version, maxTruthVersion)
			}
		case rec.Scenario != "":
			// Planted scenarios score detectors, not clusters.
		case rec.Address != "" && rec.Entity != "":
			t.Addrs = append(t.Addrs, rec.TruthAddr)
		case rec.Txid != "" && rec.Kind != "":
			t.Txs = append(t.Txs, TruthTx{Txid: rec.Txid, Kind: rec.Kind, Protocol: rec.Protocol})
		default:
			return nil, fmt.Errorf("%s line %d: neither an address line (address, entity) nor a transaction line (txid, kind)", name, n)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s line %d: %w", name, n+1, err)
	}
	if len(t.Addrs) == 0 {
		return nil, fmt.Errorf("%s holds no address lines: not a truth.jsonl file", name)
	}
	return t, nil
}

// PairScore is pairwise precision and recall: of the address pairs the
// clustering puts together, how many the truth does too, and of the pairs
// the truth puts together, how many the clustering found.
type PairScore struct {
	Addresses      uint64  `json:"addresses"`
	TruePairs      uint64  `json:"true_pairs"`      // pairs with one owner
	PredictedPairs uint64  `json:"predicted_pairs"` // pairs in one cluster
	CorrectPairs   uint64  `json:"correct_pairs"`   // both
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
}

// DetectorScore is a detector's precision and recall against the truth's
// transactions.
type DetectorScore struct {
	Truth     int     `json:"truth"`
	Detected  int     `json:"detected"`
	Correct   int     `json:"correct"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// RecallByProtocol is the recall per protocol of the truth.
	RecallByProtocol map[string]float64 `json:"recall_by_protocol,omitempty"`
}

// Report is the evaluation of one clustering.
type Report struct {
	Generation uint32 `json:"generation"`
	Set        string `json:"heuristic_set"`
	Version    string `json:"heuristic_set_version"`
	// All scores every address of the truth.
	All PairScore `json:"all"`
	// CoSpent scores only addresses spent together with another address
	// of the same owner in a transaction that is not a CoinJoin: the
	// addresses multi-input clustering can reach at all.
	CoSpent PairScore `json:"co_spent"`
	// CoinJoin scores the mixing detectors against the truth's CoinJoins,
	// and Tx0 the Whirlpool Tx0 detector against its Tx0s.
	CoinJoin DetectorScore `json:"coinjoin"`
	Tx0      DetectorScore `json:"tx0"`
	// Bound scores, for reference, multi-input clustering with perfect
	// CoinJoin knowledge (the truth's CoinJoins skipped, nothing else):
	// the most multi-input alone can reach, on all and co-spent addresses.
	Bound        PairScore `json:"bound_all"`
	BoundCoSpent PairScore `json:"bound_co_spent"`
	// ChangeBound scores the bound with, besides, every output paid to the
	// owner of its transaction's inputs joined with them (true change,
	// and transfers between one owner's addresses): the most change
	// detection added to multi-input can reach.
	ChangeBound        PairScore `json:"change_bound_all"`
	ChangeBoundCoSpent PairScore `json:"change_bound_co_spent"`
	// Change scores the change detectors against the truth's change
	// outputs (see changeTruth); change-spend/1 only when the evaluation
	// was given the chain source.
	Change  []ChangeScore `json:"change"`
	Missing int           `json:"missing_addresses"` // truth addresses not in the index
}

// Evaluate scores the active clustering of db against truth. Pair counts
// come from the (cluster, owner) contingency table, so memory grows with
// the addresses, not with the pairs.
func Evaluate(db *storage.DB, net bitcoin.Network, truth *Truth) (*Report, error) {
	return EvaluateFrom(context.Background(), db, net, truth, nil)
}

// EvaluateFrom is Evaluate with the chain source src the index was built
// from, with which change-spend/1 is scored as a change detector too
// whatever the active set; src may be nil.
func EvaluateFrom(ctx context.Context, db *storage.DB, net bitcoin.Network, truth *Truth, src BlockReader) (*Report, error) {
	gen, set, err := Active(db)
	if err != nil {
		return nil, err
	}
	rep := &Report{Generation: gen, Set: set.Spec(), Version: set.Version()}
	entityOf := map[storage.AddrID]int32{}
	entities := map[string]int32{}
	for _, ta := range truth.Addrs {
		class, payload, err := bitcoin.ParseAddress(net, ta.Address)
		if err != nil {
			return nil, fmt.Errorf("truth address %q: %w", ta.Address, err)
		}
		id, err := db.LookupAddr(uint8(class), payload)
		if errors.Is(err, storage.ErrNotFound) {
			rep.Missing++
			continue
		}
		if err != nil {
			return nil, err
		}
		e, ok := entities[ta.Entity]
		if !ok {
			e = int32(len(entities))
			entities[ta.Entity] = e
		}
		entityOf[id] = e
	}

	// CoinJoins of the truth, by transaction number.
	truthCJ := map[storage.TxNum]string{}
	truthTx0 := map[storage.TxNum]string{}
	for _, tt := range truth.Txs {
		h, err := chainhash.NewHashFromStr(tt.Txid)
		if err != nil {
			return nil, fmt.Errorf("truth txid %q: %w", tt.Txid, err)
		}
		n, _, err := db.LookupTxid(*h)
		if err != nil {
			return nil, fmt.Errorf("truth txid %s: %w", tt.Txid, err)
		}
		if tt.Kind == "coinjoin-tx0" {
			truthTx0[n] = tt.Protocol
		} else {
			truthCJ[n] = tt.Protocol
		}
	}
	detCJ := map[storage.TxNum]bool{}
	detTx0 := map[storage.TxNum]bool{}
	if err := db.ClusterTxs(gen, func(n storage.TxNum, t storage.TxHeuristics) bool {
		k := coinjoin.Kinds(t.CoinJoin)
		if k&set.Veto&coinjoin.Mixing != 0 {
			detCJ[n] = true
		}
		if k&coinjoin.WhirlpoolTx0 != 0 {
			detTx0[n] = true
		}
		return true
	}); err != nil {
		return nil, err
	}
	rep.CoinJoin = scoreDetector(truthCJ, detCJ)
	rep.Tx0 = scoreDetector(truthTx0, detTx0)

	// Addresses co-spent with another of their owner's outside CoinJoins.
	coSpent := map[storage.AddrID]bool{}
	parent := map[storage.AddrID]storage.AddrID{}
	var root func(a storage.AddrID) storage.AddrID
	root = func(a storage.AddrID) storage.AddrID {
		p, ok := parent[a]
		if !ok || p == a {
			return a
		}
		r := root(p)
		parent[a] = r
		return r
	}
	st, err := db.State()
	if err != nil {
		return nil, err
	}
	ct := &changeTruth{txs: map[storage.TxNum][]storage.AddrID{}}
	withChange := map[storage.AddrID]storage.AddrID{} // the bound with every true change output joined
	for n := storage.TxNum(0); n < st.NextTxNum; n++ {
		if _, cj := truthCJ[n]; cj {
			continue
		}
		ins, err := db.Inputs(n)
		if err != nil {
			return nil, err
		}
		if len(ins) > 0 && ins[0].AddrID != 0 {
			if _, ok := entityOf[ins[0].AddrID]; ok {
				outs, err := db.Outputs(n)
				if err != nil {
					return nil, err
				}
				for _, a := range ct.observe(n, ins, outs, entityOf) {
					ufUnion(withChange, ins[0].AddrID, a)
				}
			}
			for _, in := range ins[1:] {
				if in.AddrID != 0 {
					ufUnion(withChange, ins[0].AddrID, in.AddrID)
				}
			}
		}
		if len(ins) < 2 {
			continue
		}
		byEntity := map[int32][]storage.AddrID{}
		for _, in := range ins[1:] {
			if in.AddrID != 0 && ins[0].AddrID != 0 {
				if ra, rb := root(ins[0].AddrID), root(in.AddrID); ra != rb {
					parent[ra] = rb
				}
			}
		}
		for _, in := range ins {
			if e, ok := entityOf[in.AddrID]; ok {
				byEntity[e] = append(byEntity[e], in.AddrID)
			}
		}
		for _, as := range byEntity {
			for _, a := range as {
				if a != as[0] {
					for _, x := range as {
						coSpent[x] = true
					}
					break
				}
			}
		}
	}

	type cell struct {
		c storage.AddrID
		e int32
	}
	score := func(clusterOf func(storage.AddrID) (storage.AddrID, error)) (PairScore, PairScore, error) {
		all, co := map[cell]uint64{}, map[cell]uint64{}
		clAll, clCo := map[storage.AddrID]uint64{}, map[storage.AddrID]uint64{}
		enAll, enCo := map[int32]uint64{}, map[int32]uint64{}
		for a, e := range entityOf {
			c, err := clusterOf(a)
			if err != nil {
				return PairScore{}, PairScore{}, err
			}
			all[cell{c, e}]++
			clAll[c]++
			enAll[e]++
			if coSpent[a] {
				co[cell{c, e}]++
				clCo[c]++
				enCo[e]++
			}
		}
		return scorePairs(all, clAll, enAll, uint64(len(entityOf))), scorePairs(co, clCo, enCo, uint64(len(coSpent))), nil
	}
	if rep.All, rep.CoSpent, err = score(func(a storage.AddrID) (storage.AddrID, error) { return db.ClusterOf(gen, a) }); err != nil {
		return nil, err
	}
	if rep.Bound, rep.BoundCoSpent, err = score(func(a storage.AddrID) (storage.AddrID, error) { return root(a), nil }); err != nil {
		return nil, err
	}
	if rep.ChangeBound, rep.ChangeBoundCoSpent, err = score(func(a storage.AddrID) (storage.AddrID, error) { return ufRoot(withChange, a), nil }); err != nil {
		return nil, err
	}
	if rep.Change, err = scoreChange(ctx, db, gen, set, ct, src); err != nil {
		return nil, err
	}
	return rep, nil
}

// ufRoot returns the root of a in the union-find parent, halving the path.
func ufRoot(parent map[storage.AddrID]storage.AddrID, a storage.AddrID) storage.AddrID {
	for {
		p, ok := parent[a]
		if !ok || p == a {
			return a
		}
		if gp, ok := parent[p]; ok {
			parent[a] = gp
		}
		a = p
	}
}

// ufUnion joins the sets of a and b in the union-find parent.
func ufUnion(parent map[storage.AddrID]storage.AddrID, a, b storage.AddrID) {
	if ra, rb := ufRoot(parent, a), ufRoot(parent, b); ra != rb {
		parent[ra] = rb
	}
}

func pairs(n uint64) uint64 { return n * (n - 1) / 2 }

func scorePairs[C comparable, K comparable, E comparable](cells map[C]uint64, clusters map[K]uint64, ents map[E]uint64, n uint64) PairScore {
	s := PairScore{Addresses: n}
	for _, v := range cells {
		s.CorrectPairs += pairs(v)
	}
	for _, v := range clusters {
		s.PredictedPairs += pairs(v)
	}
	for _, v := range ents {
		s.TruePairs += pairs(v)
	}
	s.Precision, s.Recall = ratio(s.CorrectPairs, s.PredictedPairs), ratio(s.CorrectPairs, s.TruePairs)
	return s
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func scoreDetector(truth map[storage.TxNum]string, det map[storage.TxNum]bool) DetectorScore {
	s := DetectorScore{Truth: len(truth), Detected: len(det), RecallByProtocol: map[string]float64{}}
	total, found := map[string]int{}, map[string]int{}
	for n, p := range truth {
		total[p]++
		if det[n] {
			s.Correct++
			found[p]++
		}
	}
	for p, t := range total {
		s.RecallByProtocol[p] = float64(found[p]) / float64(t)
	}
	s.Precision, s.Recall = ratio(uint64(s.Correct), uint64(s.Detected)), ratio(uint64(s.Correct), uint64(len(truth)))
	return s
}
