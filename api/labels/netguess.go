package labels

import (
	"errors"

	"github.com/spoorhq/spoor/chains/bitcoin"
)

// guessBitcoinAddress parses a Bitcoin address of a source that does not
// name its network (STIX wallets, MISP btc attributes): the hinted network
// if one is given, else mainnet, else the first (by name) of the networks
// the address's prefix belongs to.
func guessBitcoinAddress(hint, s string) (Subject, string, error) {
	if hint != "" {
		sub, err := ParseAddress(ChainBitcoin, hint, s)
		return sub, hint, err
	}
	sub, err := ParseAddress(ChainBitcoin, "mainnet", s)
	if err == nil {
		return sub, "mainnet", nil
	}
	var wn *bitcoin.WrongNetworkError
	if net, perr := bitcoin.LookupNetwork("mainnet"); perr == nil {
		if _, _, err2 := bitcoin.ParseAddress(net, s); errors.As(err2, &wn) && len(wn.Networks) > 0 {
			sub, err := ParseAddress(ChainBitcoin, wn.Networks[0], s)
			return sub, wn.Networks[0], err
		}
	}
	return Subject{}, "", err
}
