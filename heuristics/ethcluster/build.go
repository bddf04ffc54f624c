package ethcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/spoorhq/spoor/storage"
)

// IndexName returns the name under which Ethereum generation gen keeps its
// tip.
func IndexName(gen uint32) string { return fmt.Sprintf("ethcluster/%d", gen) }

// Summary describes a build.
type Summary struct {
	Generation uint32 // the new active generation
	Previous   uint32 // the generation it replaced, 0 if none
	Tip        uint32 // height of the index the clustering is at
	Txs        uint64 // transactions read
	Deposits   int    // deposit addresses found
	DepositTx  int    // payments matched with a forward
	Airdrops   int    // airdrop forwards linked
	Links      int    // links the rules produced
	Merges     int    // links that joined two clusters
	Clusters   int    // clusters of two or more addresses
	Clustered  int    // addresses in them
	Guards     []storage.GuardEvent
}

// link is a reason to join two addresses, with its evidence.
type link struct {
	a, b   storage.AddrID
	ev     storage.Evidence
	detail storage.EthLinkDetail
}

// unionFind is a union-find over the addresses the rules link.
type unionFind struct {
	parent map[storage.AddrID]storage.AddrID
	size   map[storage.AddrID]uint64
}

func (u *unionFind) find(a storage.AddrID) storage.AddrID {
	for {
		p, ok := u.parent[a]
		if !ok || p == a {
			return a
		}
		if gp, ok := u.parent[p]; ok {
			u.parent[a] = gp
		}
		a = p
	}
}

func (u *unionFind) sizeOf(r storage.AddrID) uint64 {
	if s, ok := u.size[r]; ok {
		return s
	}
	return 1
}

// exchanges returns the configured hot wallets and those labelled with the
// category exchange, as numbers of addresses the index has seen.
func exchanges(db *storage.DB, set *Set) (map[storage.AddrID]bool, error) {
	out := map[storage.AddrID]bool{}
	add := func(a [20]byte) error {
		id, err := db.LookupEthAddr(a)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out[id] = true
		return nil
	}
	for _, a := range set.Exchanges {
		if err := add(a); err != nil {
			return nil, err
		}
	}
	err := db.ScanLabels(func(l *storage.Label) error {
		if l.Subject != storage.SubjectAddress || l.AddrClass != 0 || len(l.AddrPayload) != 20 {
			return nil
		}
		if l.Category != "exchange" && !slices.Contains(l.Concepts, "exchange") {
			return nil
		}
		return add([20]byte(l.AddrPayload))
	})
	return out, err
}

// Build clusters the committed Ethereum index db with set as a new
// generation beside the active one, then makes it active in one commit and
// deletes the old one. A failure leaves the active generation as it was.
// log receives a warning for every merge the super-cluster guard reports.
func Build(ctx context.Context, db *storage.DB, set *Set, log *slog.Logger) (Summary, error) {
	var sum Summary
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h, err := load(ctx, db)
	if err != nil {
		return sum, err
	}
	sum.Txs, sum.Tip = h.txs, h.tip.Height
	xs, err := exchanges(db, set)
	if err != nil {
		return sum, err
	}
	black := map[storage.AddrID]bool{}
	for _, a := range set.Blacklist {
		id, err := db.LookupEthAddr(a)
		if err == nil {
			black[id] = true
		} else if !errors.Is(err, storage.ErrNotFound) {
			return sum, err
		}
	}

	var links []link
	seen := map[storage.AddrID]bool{}
	addDeposits := func(r Rule, ms []DepositMatch) {
		for _, m := range ms {
			seen[m.Deposit] = true
			links = append(links, link{a: m.Deposit, b: m.User,
				ev: storage.Evidence{TxNum: m.In.tx, Rule: uint8(r), Confidence: m.Confidence},
				detail: storage.EthLinkDetail{Rule: uint8(r), Tx: m.In.tx, Via: m.Out.tx, Hub: m.Exchange, Asset: m.Out.asset,
					In: m.In.amount, Out: m.Out.amount, Gap: m.Gap}})
		}
		sum.DepositTx += len(ms)
	}
	if set.Has(DepositReuse) {
		addDeposits(DepositReuse, findDeposits(h.ether, xs, black, h.miners, set.MaxAmountDiff, set.MaxBlockDiff))
	}
	if set.Has(DepositReuseToken) {
		addDeposits(DepositReuseToken, findTokenDeposits(h.tokens, xs, black, h.miners, h.active, set.MaxBlockDiff))
	}
	sum.Deposits = len(seen)
	if set.Has(Airdrop) {
		as := findAirdrops(h.tokens, h.active, set.MinRecipients, set.MaxMedianGap, set.MinAggregations)
		for _, a := range as {
			links = append(links, link{a: a.Collector, b: a.Claimer,
				ev: storage.Evidence{TxNum: a.Forward.tx, Rule: uint8(Airdrop), Confidence: ConfidenceAirdrop},
				detail: storage.EthLinkDetail{Rule: uint8(Airdrop), Tx: a.Forward.tx, Via: a.Claim.tx, Hub: a.Distributor,
					Asset: a.Forward.asset, In: a.Forward.amount, Out: a.Claim.amount, Gap: uint64(a.Forward.height - a.Claim.height)}})
		}
		sum.Airdrops = len(as)
	}
	sum.Links = len(links)

	// Union in the order the rules found the links; the larger cluster
	// absorbs the smaller, the smaller number on a tie.
	u := &unionFind{parent: map[storage.AddrID]storage.AddrID{}, size: map[storage.AddrID]uint64{}}
	var merged []link
	for _, l := range links {
		ra, rb := u.find(l.a), u.find(l.b)
		if ra == rb {
			continue
		}
		sa, sb := u.sizeOf(ra), u.sizeOf(rb)
		if bound := set.MaxClusterSize; bound > 0 && sa+sb > bound && (set.RefuseOversize || (sa <= bound && sb <= bound)) {
			g := storage.GuardEvent{A: l.a, B: l.b, Rule: l.ev.Rule, SizeA: sa, SizeB: sb, Refused: set.RefuseOversize}
			sum.Guards = append(sum.Guards, g)
			log.Warn("super-cluster guard", "tx", l.ev.TxNum, "rule", Rule(l.ev.Rule).String(), "a", l.a, "b", l.b,
				"size_a", sa, "size_b", sb, "refused", g.Refused)
			if set.RefuseOversize {
				continue
			}
		}
		if sb > sa || (sb == sa && rb < ra) {
			ra, rb = rb, ra
		}
		u.parent[rb] = ra
		u.parent[ra] = ra
		u.size[ra] = sa + sb
		merged = append(merged, l)
	}
	sum.Merges = len(merged)
	return sum, write(ctx, db, set, h, u, merged, &sum)
}

// write stores the clustering as a new generation and switches to it.
func write(ctx context.Context, db *storage.DB, set *Set, h *history, u *unionFind, merged []link, sum *Summary) error {
	prev, hasPrev, err := db.ActiveGeneration()
	if err != nil {
		return err
	}
	gens, err := db.Generations()
	if err != nil {
		return err
	}
	gen := uint32(1)
	if len(gens) > 0 {
		gen = slices.Max(gens) + 1
	}
	if hasPrev && prev >= gen {
		gen = prev + 1
	}
	sum.Generation = gen
	b := db.NewBatch()
	defer func() { _ = b.Close() }()
	if err := deleteGeneration(b, gen); err != nil {
		return err
	}
	members := map[storage.AddrID][]storage.AddrID{}
	for a := range u.parent {
		r := u.find(a)
		members[r] = append(members[r], a)
	}
	roots := make([]storage.AddrID, 0, len(members))
	for r := range members {
		roots = append(roots, r)
	}
	slices.Sort(roots)
	for _, r := range roots {
		if err := ctx.Err(); err != nil {
			return err
		}
		ms := members[r]
		slices.Sort(ms)
		st := storage.ClusterStats{Size: uint64(len(ms))}
		seen := false
		for _, a := range ms {
			b.PutClusterOf(gen, a, r)
			b.PutClusterMember(gen, r, a)
			if t := h.stats[a]; t != nil {
				st.Received += t.recvGwei
				st.Sent += t.sentGwei
				st.Outputs += t.in
				st.Inputs += t.out
				if !seen || t.first < st.FirstSeen {
					st.FirstSeen, seen = t.first, true
				}
				st.LastSeen = max(st.LastSeen, t.last)
			}
		}
		b.PutClusterStats(gen, r, &st)
		sum.Clusters++
		sum.Clustered += len(ms)
	}
	for i := range merged {
		l := &merged[i]
		b.PutClusterLink(gen, l.a, l.b, l.ev)
		b.PutEthLinkDetail(gen, l.a, l.b, &l.detail)
	}
	if h.hasTip {
		b.PutTip(IndexName(gen), h.tip)
	}
	b.PutGeneration(gen, storage.GenerationRecord{Spec: set.Spec()})
	if err := b.Commit(true); err != nil {
		return err
	}
	a := db.NewBatch()
	defer func() { _ = a.Close() }()
	a.PutActiveGeneration(gen)
	if err := a.Commit(true); err != nil {
		return err
	}
	if hasPrev && prev != gen {
		sum.Previous = prev
	}
	for _, g := range gens {
		if g == gen {
			continue
		}
		d := db.NewBatch()
		err := deleteGeneration(d, g)
		if err == nil {
			err = d.Commit(true)
		}
		_ = d.Close()
		if err != nil {
			return fmt.Errorf("delete the old ethereum cluster generation %d: %w", g, err)
		}
	}
	return nil
}

// deleteGeneration deletes every row of generation gen.
func deleteGeneration(b *storage.Batch, gen uint32) error {
	if err := b.DeleteGeneration(gen, IndexName(gen)); err != nil {
		return err
	}
	return b.DeleteEthLinkDetails(gen)
}

// ErrNoClusters reports an Ethereum index where no clustering was built.
var ErrNoClusters = errors.New("no clustering in the ethereum index: run \"spoor cluster build --chain ethereum\"")

// Active returns the active generation of db and the set it was built
// with.
func Active(db *storage.DB) (uint32, *Set, error) {
	gen, ok, err := db.ActiveGeneration()
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, ErrNoClusters
	}
	rec, err := db.Generation(gen)
	if err != nil {
		return 0, nil, err
	}
	set, err := ParseSpec(rec.Spec)
	if err != nil {
		return 0, nil, fmt.Errorf("ethereum cluster generation %d: %w", gen, err)
	}
	return gen, set, nil
}
