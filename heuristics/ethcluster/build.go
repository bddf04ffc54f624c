package ethcluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spoorhq/spoor/heuristics/cluster"
	ethindex "github.com/spoorhq/spoor/indexer/ethereum"
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

// labelledExchanges returns the addresses labelled with the category
// exchange.
func labelledExchanges(db *storage.DB) ([]string, error) {
	var out []string
	err := db.ScanLabels(func(l *storage.Label) error {
		if l.Subject != storage.SubjectAddress || l.AddrClass != 0 || len(l.AddrPayload) != 20 {
			return nil
		}
		if l.Category != "exchange" && !slices.Contains(l.Concepts, "exchange") {
			return nil
		}
		out = append(out, common.Address(l.AddrPayload).Hex())
		return nil
	})
	return out, err
}

// generationSet returns set with the exchanges labelled in db added to
// its configured ones: the set a generation opened now is built with, and
// whose spec it stores, so that labels imported later do not change it.
func generationSet(db *storage.DB, set *Set) (*Set, error) {
	var c Config
	if err := json.Unmarshal([]byte(set.Spec()), &c); err != nil {
		return nil, fmt.Errorf("ethereum heuristic set spec %q: %w", set.Spec(), err)
	}
	labelled, err := labelledExchanges(db)
	if err != nil {
		return nil, err
	}
	c.Exchanges = append(c.Exchanges, labelled...)
	return NewSet(c)
}

// clearGeneration deletes every row of Ethereum generation gen.
func clearGeneration(b *storage.Batch, gen uint32) error {
	if err := b.DeleteGeneration(gen, IndexName(gen)); err != nil {
		return err
	}
	if err := b.DeleteEthRules(gen); err != nil {
		return err
	}
	return b.DeleteEthLinkDetails(gen)
}

// Build clusters the committed Ethereum index db with set as a new
// generation beside the active one: it opens the generation (with the
// exchanges labelled now added to the set's), catches it up block by
// block from the stored blocks exactly as the indexer maintains it, then
// makes it active in one commit and deletes the old one. A failure leaves
// the active generation as it was. log receives a warning for every merge
// the super-cluster guard reports.
func Build(ctx context.Context, db *storage.DB, set *Set, log *slog.Logger) (Summary, error) {
	var sum Summary
	prev, hasPrev, err := db.ActiveGeneration()
	if err != nil {
		return sum, err
	}
	gset, err := generationSet(db, set)
	if err != nil {
		return sum, err
	}
	gen, err := cluster.OpenGeneration(db, gset.Spec(), clearGeneration)
	if err != nil {
		return sum, err
	}
	x, err := NewIndex(db, gen, gset, log)
	if err != nil {
		return sum, err
	}
	if err := ethindex.CatchUp(ctx, db, x, 0, log); err != nil {
		return sum, err
	}
	sum = x.Summary()
	sum.Generation = gen
	tip, _, err := db.Tip(ethindex.ChainIndexName)
	if err != nil {
		return sum, err
	}
	sum.Tip = tip.Height
	roots := map[storage.AddrID]bool{}
	err = db.ClusterRows(gen, func(_, c storage.AddrID) bool {
		roots[c] = true
		sum.Clustered++
		return true
	})
	if err != nil {
		return sum, err
	}
	sum.Clusters, sum.Clustered = len(roots), sum.Clustered+len(roots)
	if err := cluster.SwitchGeneration(db, gen, clearGeneration); err != nil {
		return sum, err
	}
	if hasPrev && prev != gen {
		sum.Previous = prev
	}
	return sum, nil
}

// OpenIndex returns the index of db's active Ethereum generation, for the
// indexer to maintain. Without one it opens generation 1 with set (and the
// exchanges labelled now), empty, and makes it active, so that the
// indexer's catch-up builds it from the stored blocks. The active
// generation keeps the set it was built with, so that its result stays
// reproducible; when that differs from set the index says so in a warning
// on log (rebuild with "spoor cluster build --chain ethereum" to switch).
func OpenIndex(db *storage.DB, set *Set, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gen, active, err := Active(db)
	if errors.Is(err, ErrNoClusters) {
		gset, err := generationSet(db, set)
		if err != nil {
			return nil, err
		}
		if gen, err = cluster.OpenGeneration(db, gset.Spec(), clearGeneration); err != nil {
			return nil, err
		}
		b := db.NewBatch()
		defer b.Close()
		b.PutActiveGeneration(gen)
		if err := b.Commit(true); err != nil {
			return nil, err
		}
		return NewIndex(db, gen, gset, log)
	}
	if err != nil {
		return nil, err
	}
	if gset, err := generationSet(db, set); err == nil && gset.Spec() != active.Spec() {
		log.Warn("the active ethereum clustering was built with another heuristic set or other labelled exchanges; keeping it (run \"spoor cluster build --chain ethereum\" to switch)",
			"generation", gen, "active", active.Spec(), "configured", gset.Spec())
	}
	return NewIndex(db, gen, active, log)
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
