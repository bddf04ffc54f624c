package labels

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"golang.org/x/crypto/sha3"
)

// Chain names as the data directory and the label sources spell them.
const (
	ChainBitcoin  = "bitcoin"
	ChainEthereum = "ethereum"
)

// EthereumNetwork is the only Ethereum network labels are routed to.
const EthereumNetwork = "mainnet"

// EthereumAddrClass is the address class under which Ethereum labels are
// keyed, with the 20-byte address as the payload.
//
// NB: it must agree with how the Ethereum index keys its address table.
// That index is being written now; 0 with the raw 20 bytes is the
// assumption until it is settled.
const EthereumAddrClass uint8 = 0

// ErrInvalid is wrapped by every error about a malformed or misplaced
// address, transaction hash or field value in a label source, so that
// callers can tell bad rows from I/O failures.
var ErrInvalid = errors.New("invalid label")

// invalidError marks an error as one about bad input without changing its
// message.
type invalidError struct{ err error }

func (e *invalidError) Error() string        { return e.err.Error() }
func (e *invalidError) Unwrap() error        { return e.err }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// invalidf formats an error that wraps ErrInvalid.
func invalidf(format string, args ...any) error {
	return &invalidError{err: fmt.Errorf(format, args...)}
}

// Subject is a parsed label subject: an address (class and payload) or a
// transaction hash in internal byte order.
type Subject struct {
	IsTx    bool
	Class   uint8
	Payload []byte
	Txid    [32]byte
}

// ParseChain reads a chain name of the CSV format: bitcoin (mainnet),
// bitcoin-<network> for another Bitcoin network, or ethereum.
func ParseChain(s string) (chain, network string, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == ChainEthereum || s == "ethereum-mainnet":
		return ChainEthereum, EthereumNetwork, nil
	case s == ChainBitcoin:
		return ChainBitcoin, "mainnet", nil
	case strings.HasPrefix(s, ChainBitcoin+"-"):
		net, err := bitcoin.LookupNetwork(s[len(ChainBitcoin)+1:])
		if err != nil {
			return "", "", invalidf("chain %q: %w", s, err)
		}
		return ChainBitcoin, net.Name, nil
	}
	return "", "", invalidf("unknown chain %q (want bitcoin, bitcoin-<network> with network one of %s, or ethereum)",
		s, strings.Join(bitcoin.NetworkNames(), ", "))
}

// ParseAddress checks that s is an address of chain and network and
// returns it as the index keys it.
func ParseAddress(chain, network, s string) (Subject, error) {
	switch chain {
	case ChainBitcoin:
		net, err := bitcoin.LookupNetwork(network)
		if err != nil {
			return Subject{}, invalidf("%w", err)
		}
		class, payload, err := bitcoin.ParseAddress(net, s)
		if err != nil {
			var wn *bitcoin.WrongNetworkError
			if errors.As(err, &wn) {
				return Subject{}, invalidf("address %s is a %s address, not %s", s, strings.Join(wn.Networks, "/"), net.Name)
			}
			return Subject{}, invalidf("not a valid bitcoin %s address: %w", net.Name, err)
		}
		return Subject{Class: uint8(class), Payload: payload}, nil
	case ChainEthereum:
		a, err := ParseEthereumAddress(s)
		if err != nil {
			return Subject{}, err
		}
		return Subject{Class: EthereumAddrClass, Payload: a[:]}, nil
	}
	return Subject{}, invalidf("unknown chain %q", chain)
}

// ParseTxHash reads a transaction hash of chain: for Bitcoin 64 hex digits
// in the usual display order (reversed into internal order), for Ethereum
// 0x and 64 hex digits.
func ParseTxHash(chain, s string) (Subject, error) {
	h := s
	if chain == ChainEthereum {
		if !strings.HasPrefix(h, "0x") && !strings.HasPrefix(h, "0X") {
			return Subject{}, invalidf("ethereum tx hash %q does not start with 0x", clip(s))
		}
		h = h[2:]
	}
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return Subject{}, invalidf("%s tx hash %q is not 64 hex digits", chain, clip(s))
	}
	sub := Subject{IsTx: true}
	copy(sub.Txid[:], b)
	if chain == ChainBitcoin {
		for i := range 16 {
			sub.Txid[i], sub.Txid[31-i] = sub.Txid[31-i], sub.Txid[i]
		}
	}
	return sub, nil
}

// ParseEthereumAddress reads 0x and 40 hex digits. An address in mixed
// case must carry a valid EIP-55 checksum; all-lower and all-upper case
// addresses carry none and are accepted as they are.
func ParseEthereumAddress(s string) ([20]byte, error) {
	var a [20]byte
	if len(s) != 42 || (s[:2] != "0x" && s[:2] != "0X") {
		return a, invalidf("ethereum address %q is not 0x and 40 hex digits", clip(s))
	}
	digits := s[2:]
	if _, err := hex.Decode(a[:], []byte(digits)); err != nil {
		return a, invalidf("ethereum address %q is not 0x and 40 hex digits", clip(s))
	}
	if digits != strings.ToLower(digits) && digits != strings.ToUpper(digits) {
		if want := EIP55(a); want[2:] != digits {
			return a, invalidf("ethereum address %s has a bad EIP-55 checksum (want %s)", s, want)
		}
	}
	return a, nil
}

// EIP55 renders an Ethereum address with the EIP-55 mixed-case checksum:
// a hex letter is upper case when the matching nibble of the Keccak-256
// hash of the lower-case hex is 8 or more.
func EIP55(a [20]byte) string {
	lower := hex.EncodeToString(a[:])
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte(lower))
	sum := h.Sum(nil)
	out := []byte(lower)
	for i, c := range out {
		nibble := sum[i/2] >> 4
		if i%2 == 1 {
			nibble = sum[i/2] & 0x0f
		}
		if c >= 'a' && nibble >= 8 {
			out[i] = c - 'a' + 'A'
		}
	}
	return "0x" + string(out)
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 100
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
