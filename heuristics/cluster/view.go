package cluster

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// Views answers questions about the active clustering of one index.
type Views struct {
	DB  *storage.DB
	Net bitcoin.Network
	gen uint32
	set *Set
}

// NewViews returns the views of db's active clustering.
func NewViews(db *storage.DB, net bitcoin.Network) (*Views, error) {
	gen, set, err := Active(db)
	if err != nil {
		return nil, err
	}
	return &Views{DB: db, Net: net, gen: gen, set: set}, nil
}

// ClusterView is a cluster with one page of its members.
type ClusterView struct {
	Address    string         `json:"address"`
	Cluster    string         `json:"cluster"` // the address naming the cluster
	ClusterID  uint64         `json:"cluster_id"`
	Generation uint32         `json:"generation"`
	Set        string         `json:"heuristic_set"`
	Version    string         `json:"heuristic_set_version"`
	Size       uint64         `json:"size"`
	Received   uint64         `json:"received_sat"`
	Sent       uint64         `json:"sent_sat"`
	Outputs    uint64         `json:"outputs"`
	Inputs     uint64         `json:"inputs"`
	FirstSeen  uint32         `json:"first_seen"`
	LastSeen   uint32         `json:"last_seen"`
	Types      map[string]int `json:"script_types"`
	Members    []string       `json:"members"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// resolve returns the number of an address string.
func (v *Views) resolve(addr string) (storage.AddrID, error) {
	class, payload, err := bitcoin.ParseAddress(v.Net, addr)
	if err != nil {
		return 0, err
	}
	id, err := v.DB.LookupAddr(uint8(class), payload)
	if errors.Is(err, storage.ErrNotFound) {
		return 0, fmt.Errorf("address %s: never seen on %s: %w", addr, v.Net.Name, err)
	}
	return id, err
}

// AddressString renders address number id.
func (v *Views) AddressString(id storage.AddrID) (string, error) {
	rec, err := v.DB.Address(id)
	if err != nil {
		return "", err
	}
	return bitcoin.EncodeAddress(v.Net, bitcoin.ScriptClass(rec.Class), rec.Payload)
}

// Cluster returns the cluster of addr with up to limit members, starting
// after cursor (a previous page's NextCursor, or "").
func (v *Views) Cluster(addr string, limit int, cursor string) (*ClusterView, error) {
	if limit <= 0 || limit > 10000 {
		return nil, fmt.Errorf("limit %d is outside 1..10000", limit)
	}
	var after uint64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseUint(cursor, 10, 64); err != nil {
			return nil, fmt.Errorf("cursor %q is not one this command gave out", cursor)
		}
	}
	id, err := v.resolve(addr)
	if err != nil {
		return nil, err
	}
	c, err := v.DB.ClusterOf(v.gen, id)
	if err != nil {
		return nil, err
	}
	st, ok, err := v.DB.ClusterStats(v.gen, c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("address %s has no cluster yet: the clustering is behind the chain tables", addr)
	}
	name, err := v.AddressString(c)
	if err != nil {
		return nil, err
	}
	view := &ClusterView{Address: addr, Cluster: name, ClusterID: uint64(c), Generation: v.gen, Set: v.set.Spec(), Version: v.set.Version(),
		Size: st.Size, Received: st.Received, Sent: st.Sent, Outputs: st.Outputs, Inputs: st.Inputs,
		FirstSeen: st.FirstSeen, LastSeen: st.LastSeen, Types: map[string]int{}, Members: []string{}}
	for i, n := range st.Classes {
		if n > 0 {
			view.Types[bitcoin.ScriptClass(i).String()] = int(n)
		}
	}
	ids, next, err := v.DB.ClusterMemberPage(v.gen, c, st.Size, storage.AddrID(after), limit)
	if err != nil {
		return nil, err
	}
	if next != 0 {
		view.NextCursor = strconv.FormatUint(uint64(next), 10)
	}
	for _, a := range ids {
		s, err := v.AddressString(a)
		if err != nil {
			return nil, err
		}
		view.Members = append(view.Members, s)
	}
	return view, nil
}

// WhyView answers whether two addresses share a cluster and how.
type WhyView struct {
	Address1   string    `json:"address1"`
	Address2   string    `json:"address2"`
	Same       bool      `json:"same_cluster"`
	Cluster    string    `json:"cluster,omitempty"`
	Generation uint32    `json:"generation"`
	Set        string    `json:"heuristic_set"`
	Steps      []WhyStep `json:"steps"`
}

// WhyStep is one merge on the chain between the two addresses.
type WhyStep struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Txid       string `json:"txid"`
	Height     uint32 `json:"height"`
	Rule       string `json:"rule"`
	Confidence uint8  `json:"confidence"`
	// SpenderTxid and SpenderHeight name, for change-spend/1, the
	// transaction whose spend of Txid's outputs decided the merge.
	SpenderTxid   string `json:"spender_txid,omitempty"`
	SpenderHeight uint32 `json:"spender_height,omitempty"`
}

// Why explains whether a and b share a cluster.
func (v *Views) Why(a, b string, maxVisit int) (*WhyView, error) {
	ia, err := v.resolve(a)
	if err != nil {
		return nil, err
	}
	ib, err := v.resolve(b)
	if err != nil {
		return nil, err
	}
	same, path, err := Why(v.DB, v.gen, ia, ib, maxVisit)
	if err != nil {
		return nil, err
	}
	view := &WhyView{Address1: a, Address2: b, Same: same, Generation: v.gen, Set: v.set.Spec(), Steps: []WhyStep{}}
	if same {
		c, err := v.DB.ClusterOf(v.gen, ia)
		if err != nil {
			return nil, err
		}
		if view.Cluster, err = v.AddressString(c); err != nil {
			return nil, err
		}
	}
	for _, s := range path {
		tx, err := v.DB.Tx(s.TxNum)
		if err != nil {
			return nil, err
		}
		from, err := v.AddressString(s.From)
		if err != nil {
			return nil, err
		}
		to, err := v.AddressString(s.To)
		if err != nil {
			return nil, err
		}
		step := WhyStep{From: from, To: to, Txid: chainhash.Hash(tx.Txid).String(), Height: tx.Height,
			Rule: Rule(s.Rule).String(), Confidence: s.Confidence}
		if s.Spender != 0 {
			sp, err := v.DB.Tx(s.Spender)
			if err != nil {
				return nil, fmt.Errorf("spender %d of tx %s: %w", s.Spender, step.Txid, err)
			}
			step.SpenderTxid, step.SpenderHeight = chainhash.Hash(sp.Txid).String(), sp.Height
		}
		view.Steps = append(view.Steps, step)
	}
	return view, nil
}

// Export calls fn for every address of the clustering in address order
// with the address naming its cluster, until fn returns an error.
func (v *Views) Export(fn func(addr string, cluster storage.AddrID) error) error {
	st, err := v.DB.State()
	if err != nil {
		return err
	}
	type row struct{ a, c storage.AddrID }
	var rows []row
	if err := v.DB.ClusterRows(v.gen, func(a, c storage.AddrID) bool {
		rows = append(rows, row{a, c})
		return true
	}); err != nil {
		return err
	}
	for id := storage.AddrID(1); id < st.NextAddrID; id++ {
		c := id
		if len(rows) > 0 && rows[0].a == id {
			c = rows[0].c
			rows = rows[1:]
		}
		s, err := v.AddressString(id)
		if err != nil {
			return err
		}
		if err := fn(s, c); err != nil {
			return err
		}
	}
	return nil
}

// Set returns the heuristic set of the active clustering.
func (v *Views) Set() *Set { return v.set }

// Generation returns the active generation.
func (v *Views) Generation() uint32 { return v.gen }

// GuardView is one merge the super-cluster guard reported.
type GuardView struct {
	Txid    string `json:"txid"`
	Height  uint32 `json:"height"`
	Rule    string `json:"rule"`
	A       string `json:"address1"`
	B       string `json:"address2"`
	SizeA   uint64 `json:"size1"`
	SizeB   uint64 `json:"size2"`
	Refused bool   `json:"refused"`
}

// Guards returns up to limit merges the super-cluster guard reported, in
// chain order.
func (v *Views) Guards(limit int) ([]GuardView, error) {
	var out []GuardView
	var err error
	scanErr := v.DB.ClusterTxs(v.gen, func(n storage.TxNum, t storage.TxHeuristics) bool {
		for _, g := range t.Guards {
			var tx storage.TxRecord
			if tx, err = v.DB.Tx(n); err != nil {
				return false
			}
			gv := GuardView{Txid: chainhash.Hash(tx.Txid).String(), Height: tx.Height, Rule: Rule(g.Rule).String(),
				SizeA: g.SizeA, SizeB: g.SizeB, Refused: g.Refused}
			if gv.A, err = v.AddressString(g.A); err != nil {
				return false
			}
			if gv.B, err = v.AddressString(g.B); err != nil {
				return false
			}
			out = append(out, gv)
			if len(out) >= limit {
				return false
			}
		}
		return true
	})
	if scanErr != nil {
		return nil, scanErr
	}
	return out, err
}
