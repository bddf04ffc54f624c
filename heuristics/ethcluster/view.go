package ethcluster

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spoorhq/spoor/heuristics/cluster"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
	"github.com/spoorhq/spoor/storage"
)

// Views answers questions about the active clustering of an Ethereum
// index.
type Views struct {
	DB  *storage.DB
	gen uint32
	set *Set
}

// NewViews returns the views of db's active Ethereum clustering.
func NewViews(db *storage.DB) (*Views, error) {
	gen, set, err := Active(db)
	if err != nil {
		return nil, err
	}
	return &Views{DB: db, gen: gen, set: set}, nil
}

// Generation returns the active generation.
func (v *Views) Generation() uint32 { return v.gen }

// Set returns the heuristic set of the active clustering.
func (v *Views) Set() *Set { return v.set }

// IsAddress reports whether s is written as an Ethereum address.
func IsAddress(s string) bool {
	return len(s) == 42 && (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")) && common.IsHexAddress(s)
}

func (v *Views) resolve(s string) (storage.AddrID, error) {
	if !IsAddress(s) {
		return 0, fmt.Errorf("%q is not a 0x Ethereum address", s)
	}
	id, err := v.DB.LookupEthAddr(common.HexToAddress(s))
	if errors.Is(err, storage.ErrNotFound) {
		return 0, fmt.Errorf("address %s: never seen by the ethereum index: %w", s, err)
	}
	return id, err
}

// AddressString renders address number id with its EIP-55 checksum.
func (v *Views) AddressString(id storage.AddrID) (string, error) {
	a, err := v.DB.EthAddress(id)
	if err != nil {
		return "", err
	}
	return common.Address(a).Hex(), nil
}

// Stale reports whether the index has moved past the block the clustering
// was built at (or was reorganized below it); then the clustering misses
// what followed until the next build.
func (v *Views) Stale() (bool, error) {
	at, ok, err := v.DB.Tip(IndexName(v.gen))
	if err != nil || !ok {
		return ok, err
	}
	tip, _, err := v.DB.Tip(ethindex.ChainIndexName)
	if err != nil {
		return false, err
	}
	return tip != at, nil
}

// ClusterView is an Ethereum cluster with one page of its members.
type ClusterView struct {
	Address    string   `json:"address"`
	Cluster    string   `json:"cluster"` // the address naming the cluster
	ClusterID  uint64   `json:"cluster_id"`
	Generation uint32   `json:"generation"`
	Set        string   `json:"heuristic_set"`
	Version    string   `json:"heuristic_set_version"`
	Size       uint64   `json:"size"`
	Received   string   `json:"received_eth"` // ether received by members, to the gwei
	Sent       string   `json:"sent_eth"`
	Incoming   uint64   `json:"incoming_transfers"`
	Outgoing   uint64   `json:"outgoing_transfers"`
	FirstSeen  uint32   `json:"first_seen"`
	LastSeen   uint32   `json:"last_seen"`
	Stale      bool     `json:"stale"`
	Members    []string `json:"members"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

func gweiString(g uint64) string {
	return strings.TrimRight(strings.TrimRight(new(big.Rat).SetFrac(new(big.Int).SetUint64(g), big.NewInt(1e9)).FloatString(9), "0"), ".")
}

// Cluster returns the cluster of addr with up to limit members, starting
// after cursor (a previous page's NextCursor, or ""). An address no rule
// linked is a cluster of its own, without stats.
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
		st = storage.ClusterStats{Size: 1}
	}
	name, err := v.AddressString(c)
	if err != nil {
		return nil, err
	}
	stale, err := v.Stale()
	if err != nil {
		return nil, err
	}
	view := &ClusterView{Address: addr, Cluster: name, ClusterID: uint64(c), Generation: v.gen, Set: v.set.Spec(), Version: v.set.Version(),
		Size: st.Size, Received: gweiString(st.Received), Sent: gweiString(st.Sent), Incoming: st.Outputs, Outgoing: st.Inputs,
		FirstSeen: st.FirstSeen, LastSeen: st.LastSeen, Stale: stale, Members: []string{}}
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

// WhyView answers whether two Ethereum addresses share a cluster and how.
type WhyView struct {
	Address1   string    `json:"address1"`
	Address2   string    `json:"address2"`
	Same       bool      `json:"same_cluster"`
	Cluster    string    `json:"cluster,omitempty"`
	Generation uint32    `json:"generation"`
	Set        string    `json:"heuristic_set"`
	Steps      []WhyStep `json:"steps"`
}

// WhyStep is one merge on the chain between the two addresses, with its
// evidence: for deposit-reuse/1 the payment into the deposit address (Tx),
// its forward to the exchange (ViaTx, Hub), both amounts and the blocks
// between them; for airdrop/1 the forward to the collector (Tx), the
// distributor's claim transfer (ViaTx, Hub), the token and its amounts.
type WhyStep struct {
	From       string `json:"from"`
	To         string `json:"to"`
	Rule       string `json:"rule"`
	Confidence uint8  `json:"confidence"`
	Tx         string `json:"tx"`
	Height     uint32 `json:"height"`
	ViaTx      string `json:"via_tx"`
	ViaHeight  uint32 `json:"via_height"`
	Hub        string `json:"hub"`             // the exchange or the distributor
	Token      string `json:"token,omitempty"` // the airdropped token
	Amount     string `json:"amount"`          // of Tx: wei, or token units
	ViaAmount  string `json:"via_amount"`      // of ViaTx
	BlockGap   uint64 `json:"block_gap"`
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
	same, path, err := cluster.Why(v.DB, v.gen, ia, ib, maxVisit)
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
		st, err := v.step(s)
		if err != nil {
			return nil, err
		}
		view.Steps = append(view.Steps, st)
	}
	return view, nil
}

func (v *Views) step(s cluster.Step) (WhyStep, error) {
	d, err := v.DB.EthLinkDetail(v.gen, s.From, s.To)
	if err != nil {
		return WhyStep{}, err
	}
	tx, err := v.DB.EthTx(d.Tx)
	if err != nil {
		return WhyStep{}, err
	}
	via, err := v.DB.EthTx(d.Via)
	if err != nil {
		return WhyStep{}, err
	}
	w := WhyStep{Rule: Rule(s.Rule).String(), Confidence: s.Confidence, Tx: common.Hash(tx.Hash).Hex(), Height: tx.Height,
		ViaTx: common.Hash(via.Hash).Hex(), ViaHeight: via.Height, Amount: d.In.String(), ViaAmount: d.Out.String(), BlockGap: d.Gap}
	if w.From, err = v.AddressString(s.From); err != nil {
		return w, err
	}
	if w.To, err = v.AddressString(s.To); err != nil {
		return w, err
	}
	if w.Hub, err = v.AddressString(d.Hub); err != nil {
		return w, err
	}
	if d.Asset != 0 {
		if w.Token, err = v.AddressString(d.Asset); err != nil {
			return w, err
		}
	}
	return w, nil
}

// Export calls fn for every clustered address (in a cluster of two or
// more) with the address naming its cluster, in cluster order.
func (v *Views) Export(fn func(addr, cluster string) error) error {
	type row struct{ a, c storage.AddrID }
	var rows []row
	if err := v.DB.ClusterRows(v.gen, func(a, c storage.AddrID) bool {
		rows = append(rows, row{a, c})
		return true
	}); err != nil {
		return err
	}
	names := map[storage.AddrID]string{}
	for _, r := range rows {
		if _, ok := names[r.c]; !ok {
			s, err := v.AddressString(r.c)
			if err != nil {
				return err
			}
			names[r.c] = s
			if err := fn(s, s); err != nil {
				return err
			}
		}
		s, err := v.AddressString(r.a)
		if err != nil {
			return err
		}
		if err := fn(s, names[r.c]); err != nil {
			return err
		}
	}
	return nil
}
