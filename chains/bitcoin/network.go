package bitcoin

import (
	"fmt"
	"sort"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Network is one Bitcoin network spoor can index.
type Network struct {
	// Name is the name used on the command line and in the data directory's
	// metadata: mainnet, testnet3, testnet4, signet, regtest or simnet.
	Name string
	// Params are btcd's consensus and encoding parameters for the network.
	Params *chaincfg.Params
}

// Magic returns the four network bytes that start every message and every
// frame of a blk*.dat file on this network.
func (n Network) Magic() wire.BitcoinNet { return n.Params.Net }

// networks lists every supported network by name. It is built by a function,
// not stored in a package variable, so that nothing outside can change it.
func networks() map[string]Network {
	return map[string]Network{
		"mainnet":  {Name: "mainnet", Params: &chaincfg.MainNetParams},
		"testnet3": {Name: "testnet3", Params: &chaincfg.TestNet3Params},
		"testnet4": {Name: "testnet4", Params: &chaincfg.TestNet4Params},
		"signet":   {Name: "signet", Params: &chaincfg.SigNetParams},
		"regtest":  {Name: "regtest", Params: &chaincfg.RegressionNetParams},
		"simnet":   {Name: "simnet", Params: &chaincfg.SimNetParams},
	}
}

// NetworkNames returns the names of all supported networks in sorted order.
func NetworkNames() []string {
	var names []string
	for name := range networks() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// LookupNetwork returns the network with the given name. "testnet" is
// accepted as an alias of testnet3.
func LookupNetwork(name string) (Network, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "testnet" {
		name = "testnet3"
	}
	n, ok := networks()[name]
	if !ok {
		return Network{}, fmt.Errorf("unknown bitcoin network %q (known: %s)", name, strings.Join(NetworkNames(), ", "))
	}
	return n, nil
}

// NetworkByMagic returns the network whose message start bytes equal magic.
// Regtest and signet share no magic with the others, so the answer is
// unique.
func NetworkByMagic(magic wire.BitcoinNet) (Network, bool) {
	for _, n := range networks() {
		if n.Magic() == magic {
			return n, true
		}
	}
	return Network{}, false
}
