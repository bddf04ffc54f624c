package labels

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Target is one chain index that labels go to.
type Target struct {
	Chain   string // ChainBitcoin or ChainEthereum
	Network string
	// Dir is the index's directory and Stamp the chain name it is stamped
	// with: <datadir>/bitcoin/<network> and "bitcoin/<network>", or
	// <datadir>/ethereum and "ethereum".
	Dir   string
	Stamp string
	// Create is set when no index of the chain exists yet and the labels
	// will create it (a Bitcoin index may be labelled before it is built).
	Create  bool
	Entries []Entry
}

// Routing is where the entries of one import go.
type Routing struct {
	Targets []*Target
	// Skipped counts entries that have no index to go to, by reason.
	Skipped map[string]int
	// Invalid lists entries that belong to a network other than the one
	// indexed, when skipping them was asked for.
	Invalid []error
}

// Route assigns entries to the chain indexes of dataDir. Bitcoin labels of
// a network go to that network's index; if the data directory indexes
// only other Bitcoin networks, an entry is an error naming its address,
// its network and the indexed ones (with skipInvalid, it is listed in
// Routing.Invalid instead); if it indexes none, the index is created.
// Ethereum labels go to <dataDir>/ethereum if it exists and are skipped,
// with the reason, if not.
func Route(dataDir string, entries []Entry, skipInvalid bool) (*Routing, error) {
	rt := &Routing{Skipped: map[string]int{}}
	byStamp := map[string]*Target{}
	indexed, err := bitcoinNetworks(dataDir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		var t Target
		switch e.Chain {
		case ChainBitcoin:
			t = Target{Chain: ChainBitcoin, Network: e.Network, Dir: filepath.Join(dataDir, ChainBitcoin, e.Network), Stamp: e.ChainName()}
			if len(indexed) == 0 {
				t.Create = true
			} else if !contains(indexed, e.Network) {
				err := invalidf("label %q: %s is a %s address, but %s indexes bitcoin %s",
					e.Label.Entity, e.Ref, e.Network, dataDir, strings.Join(indexed, ", "))
				if !skipInvalid {
					return nil, err
				}
				rt.Invalid = append(rt.Invalid, err)
				continue
			}
		case ChainEthereum:
			t = Target{Chain: ChainEthereum, Network: EthereumNetwork, Dir: filepath.Join(dataDir, ChainEthereum), Stamp: ChainEthereum}
			if _, err := os.Stat(t.Dir); err != nil {
				rt.Skipped[fmt.Sprintf("ethereum: no Ethereum index at %s", t.Dir)]++
				continue
			}
		default:
			return nil, fmt.Errorf("label %q on %s: unknown chain %q", e.Label.Entity, e.Ref, e.Chain)
		}
		tp := byStamp[t.Stamp]
		if tp == nil {
			tp = &t
			byStamp[t.Stamp] = tp
			rt.Targets = append(rt.Targets, tp)
		}
		tp.Entries = append(tp.Entries, e)
	}
	sort.Slice(rt.Targets, func(i, j int) bool { return rt.Targets[i].Stamp < rt.Targets[j].Stamp })
	return rt, nil
}

// bitcoinNetworks returns the Bitcoin networks dataDir holds an index of.
func bitcoinNetworks(dataDir string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(dataDir, ChainBitcoin))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
