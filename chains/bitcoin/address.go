package bitcoin

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/address/v2/bech32"
)

// multisigPrefix starts the address form of a bare multisig script.
const multisigPrefix = "multisig:"

// maxBase58Len is the most characters ParseAddress tries to decode as
// base58check; P2PKH and P2SH addresses (25 bytes) have at most 35.
const maxBase58Len = 50

// maxQuotedInput bounds how much of a rejected input an error message quotes.
const maxQuotedInput = 120

// ErrInvalidAddress is wrapped by every error ParseAddress returns for input
// that is not a well-formed address of any supported network.
var ErrInvalidAddress = errors.New("invalid address")

// ErrNoAddress is wrapped by the errors EncodeAddress returns for classes
// that have no address and ParseAddress returns for the pay-to-anchor
// address, which spoor does not treat as an address.
var ErrNoAddress = errors.New("output has no address")

// WrongNetworkError is the error ParseAddress returns for a well-formed
// address that belongs to another network than the one asked for.
type WrongNetworkError struct {
	// Address is the input, possibly shortened.
	Address string
	// Networks are the names of the networks the address is valid on, in
	// sorted order. Networks that share an encoding (testnet3, testnet4,
	// signet and, for base58, regtest) cannot be told apart, so all of
	// them are listed.
	Networks []string
	// Want is the name of the network the address was parsed for.
	Want string
}

// Error implements error, e.g. "tb1q...: a signet/testnet3/testnet4 address,
// not mainnet".
func (e *WrongNetworkError) Error() string {
	return fmt.Sprintf("%s: a %s address, not %s", e.Address, strings.Join(e.Networks, "/"), e.Want)
}

// EncodeAddress renders the address of a classified script on network net.
// payload must be what ClassifyScript returns with class. The forms, stable
// because they are shown to users and accepted back by ParseAddress, are:
//
//	p2pkh            base58check with the network's pubkey-hash version byte (1..., m.../n...)
//	p2sh             base58check with the network's script-hash version byte (3..., 2...)
//	p2wpkh, p2wsh    bech32, witness version 0 (bc1q...)
//	p2tr             bech32m, witness version 1 (bc1p...)
//	witness_unknown  bech32m with the script's witness version (bc1z..., bc1s...)
//	p2pk             the public key in lower-case hex (66 or 130 digits), the
//	                 same on every network; it is kept apart from the P2PKH
//	                 address of the same key because the scripts differ
//	multisig         "multisig:<m>-of-<n>:<script in lower-case hex>", the same
//	                 on every network; the whole script is spelled out so that
//	                 the form can be parsed back into the payload
//
// Nonstandard, null data and pay-to-anchor outputs have no address: for them
// the error wraps ErrNoAddress. A payload that does not fit its class is an
// error too.
func EncodeAddress(net Network, class ScriptClass, payload []byte) (string, error) {
	if net.Params == nil {
		return "", fmt.Errorf("encode %s address: network %q has no parameters", class, net.Name)
	}
	switch class {
	case ClassP2PK:
		if !isPubKeyShape(payload) {
			return "", fmt.Errorf("encode p2pk address: %d-byte payload %x is not a serialized public key", len(payload), addrClip(payload))
		}
		return hex.EncodeToString(payload), nil
	case ClassP2PKH, ClassP2SH:
		if len(payload) != 20 {
			return "", fmt.Errorf("encode %s address: payload is %d bytes, want 20", class, len(payload))
		}
		version := net.Params.PubKeyHashAddrID
		if class == ClassP2SH {
			version = net.Params.ScriptHashAddrID
		}
		return base58.CheckEncode(payload, version), nil
	case ClassP2WPKH, ClassP2WSH, ClassP2TR:
		want, version := 20, byte(0)
		switch class {
		case ClassP2WSH:
			want = 32
		case ClassP2TR:
			want, version = 32, 1
		}
		if len(payload) != want {
			return "", fmt.Errorf("encode %s address: payload is %d bytes, want %d", class, len(payload), want)
		}
		return encodeSegwit(net, class, version, payload)
	case ClassWitnessUnknown:
		if c, _ := ClassifyScript(payload); c != ClassWitnessUnknown {
			return "", fmt.Errorf("encode witness_unknown address: payload %x is not a witness program of version 1..16", addrClip(payload))
		}
		return encodeSegwit(net, class, byte(smallIntValue(payload[0])), payload[2:])
	case ClassMultisig:
		if c, _ := ClassifyScript(payload); c != ClassMultisig {
			return "", fmt.Errorf("encode multisig address: payload %x is not a bare multisig script", addrClip(payload))
		}
		m, n := multisigCounts(payload)
		return multisigPrefix + strconv.Itoa(m) + "-of-" + strconv.Itoa(n) + ":" + hex.EncodeToString(payload), nil
	case ClassNonStandard, ClassNullData, ClassP2A:
		return "", fmt.Errorf("encode address: %s: %w", class, ErrNoAddress)
	}
	return "", fmt.Errorf("encode address: unknown script class %d", uint8(class))
}

// encodeSegwit renders a witness program as bech32 (version 0) or bech32m
// (later versions) with net's human-readable part.
func encodeSegwit(net Network, class ScriptClass, version byte, program []byte) (string, error) {
	groups, err := bech32.ConvertBits(program, 8, 5, true)
	if err != nil {
		return "", fmt.Errorf("encode %s address: %w", class, err)
	}
	data := make([]byte, 0, 1+len(groups))
	data = append(data, version)
	data = append(data, groups...)
	var s string
	if version == 0 {
		s, err = bech32.Encode(net.Params.Bech32HRPSegwit, data)
	} else {
		s, err = bech32.EncodeM(net.Params.Bech32HRPSegwit, data)
	}
	if err != nil {
		return "", fmt.Errorf("encode %s address: %w", class, err)
	}
	return s, nil
}

// ParseAddress is the inverse of EncodeAddress: it accepts every string
// EncodeAddress produces for net (bech32 addresses also in upper case, hex
// public keys in either case) and returns the class and payload. The payload
// does not alias s.
//
// A well-formed address of another network yields a *WrongNetworkError that
// names the networks it belongs to. Addresses of testnet3, testnet4 and
// signet share their encodings (and regtest shares their base58 forms), so
// such an address is accepted for each of them. The pay-to-anchor address
// (bc1pfeessrawgf on mainnet) yields an error wrapping ErrNoAddress, and any
// other malformed input an error wrapping ErrInvalidAddress.
func ParseAddress(net Network, s string) (ScriptClass, []byte, error) {
	if net.Params == nil {
		return ClassNonStandard, nil, fmt.Errorf("parse address %s: network %q has no parameters", addrQuote(s), net.Name)
	}
	switch {
	case s == "":
		return ClassNonStandard, nil, fmt.Errorf("empty string: %w", ErrInvalidAddress)
	case strings.HasPrefix(s, multisigPrefix):
		return parseMultisig(s)
	case (len(s) == 66 || len(s) == 130) && s[0] == '0' && isHexString(s):
		// Every serialized public key starts 0x0_, so its hex cannot be
		// taken for a bech32 address (which starts with its
		// human-readable part) or base58 (which has no '0').
		return parsePubKey(s)
	case isSegwitCandidate(s):
		return parseSegwit(net, s)
	}
	return parseBase58(net, s)
}

// parseMultisig parses "multisig:<m>-of-<n>:<hex script>".
func parseMultisig(s string) (ScriptClass, []byte, error) {
	counts, scriptHex, ok := strings.Cut(s[len(multisigPrefix):], ":")
	if !ok {
		return addrInvalid(s, `multisig form is "multisig:<m>-of-<n>:<hex script>"`)
	}
	mStr, nStr, ok := strings.Cut(counts, "-of-")
	if !ok {
		return addrInvalid(s, `multisig form is "multisig:<m>-of-<n>:<hex script>"`)
	}
	m, errM := strconv.Atoi(mStr)
	n, errN := strconv.Atoi(nStr)
	// Only the canonical decimal spelling is accepted, so that every
	// accepted string is the one EncodeAddress produces (up to case).
	if errM != nil || errN != nil || strconv.Itoa(m) != mStr || strconv.Itoa(n) != nStr {
		return addrInvalid(s, fmt.Sprintf("bad multisig counts %q", counts))
	}
	script, err := hex.DecodeString(scriptHex)
	if err != nil {
		return addrInvalid(s, fmt.Sprintf("multisig script is not hex: %v", err))
	}
	if c, _ := ClassifyScript(script); c != ClassMultisig {
		return addrInvalid(s, "script is not a bare multisig script")
	}
	if gotM, gotN := multisigCounts(script); gotM != m || gotN != n {
		return addrInvalid(s, fmt.Sprintf("script is %d-of-%d, not %d-of-%d", gotM, gotN, m, n))
	}
	return ClassMultisig, script, nil
}

// parsePubKey parses a hex-encoded public key (the P2PK form).
func parsePubKey(s string) (ScriptClass, []byte, error) {
	key, err := hex.DecodeString(s)
	if err != nil {
		return addrInvalid(s, err.Error())
	}
	if !isPubKeyShape(key) {
		return addrInvalid(s, fmt.Sprintf("%d-byte key starting 0x%02x is not a serialized public key", len(key), key[0]))
	}
	return ClassP2PK, key, nil
}

// parseSegwit parses a bech32 or bech32m witness address.
func parseSegwit(net Network, s string) (ScriptClass, []byte, error) {
	hrp, data, encoding, err := bech32.DecodeGeneric(s)
	if err != nil {
		return addrInvalid(s, "bech32: "+err.Error())
	}
	if len(data) == 0 {
		return addrInvalid(s, "no witness version")
	}
	version := data[0]
	if version > 16 {
		return addrInvalid(s, fmt.Sprintf("witness version %d is above 16", version))
	}
	program, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return addrInvalid(s, "bech32 padding: "+err.Error())
	}
	if len(program) < 2 || len(program) > 40 {
		return addrInvalid(s, fmt.Sprintf("witness program is %d bytes, want 2 to 40", len(program)))
	}
	if version == 0 && len(program) != 20 && len(program) != 32 {
		return addrInvalid(s, fmt.Sprintf("version 0 witness program is %d bytes, want 20 or 32", len(program)))
	}
	if version == 0 && encoding != bech32.Version0 {
		return addrInvalid(s, "witness version 0 needs a bech32 checksum, not bech32m")
	}
	if version != 0 && encoding != bech32.VersionM {
		return addrInvalid(s, fmt.Sprintf("witness version %d needs a bech32m checksum, not bech32", version))
	}
	// Rebuild the output script so that the payload is what ClassifyScript
	// would return for it.
	script := make([]byte, 0, 2+len(program))
	script = append(script, witnessVersionOp(version), byte(len(program)))
	script = append(script, program...)
	class, payload := ClassifyScript(script)
	switch class {
	case ClassP2WPKH, ClassP2WSH, ClassP2TR, ClassWitnessUnknown:
	case ClassP2A:
		// Checked before the network: the anchor has no address on any.
		return ClassNonStandard, nil, fmt.Errorf("%s: pay-to-anchor: %w", addrQuote(s), ErrNoAddress)
	default:
		return addrInvalid(s, fmt.Sprintf("witness version %d program of %d bytes is not a known output", version, len(program)))
	}
	if hrp != net.Params.Bech32HRPSegwit {
		owners := networksMatching(func(p Network) bool { return p.Params.Bech32HRPSegwit == hrp })
		if len(owners) == 0 {
			return addrInvalid(s, fmt.Sprintf("human-readable part %q belongs to no bitcoin network", hrp))
		}
		return ClassNonStandard, nil, &WrongNetworkError{Address: addrShorten(s), Networks: owners, Want: net.Name}
	}
	return class, payload, nil
}

// parseBase58 parses a base58check P2PKH or P2SH address.
func parseBase58(net Network, s string) (ScriptClass, []byte, error) {
	// Base58 decoding takes time quadratic in the length; no P2PKH or
	// P2SH address is longer than 35 characters.
	if len(s) > maxBase58Len {
		return addrInvalid(s, fmt.Sprintf("%d characters is too long for any address form", len(s)))
	}
	hash, version, err := base58.CheckDecode(s)
	switch {
	case errors.Is(err, base58.ErrChecksum):
		return addrInvalid(s, "bad base58check checksum")
	case err != nil:
		return addrInvalid(s, "neither base58check nor bech32")
	case len(hash) != 20:
		return addrInvalid(s, fmt.Sprintf("base58check payload is %d bytes, want 20", len(hash)))
	case version == net.Params.PubKeyHashAddrID:
		return ClassP2PKH, hash, nil
	case version == net.Params.ScriptHashAddrID:
		return ClassP2SH, hash, nil
	}
	owners := networksMatching(func(p Network) bool {
		return p.Params.PubKeyHashAddrID == version || p.Params.ScriptHashAddrID == version
	})
	if len(owners) == 0 {
		return addrInvalid(s, fmt.Sprintf("base58check version byte 0x%02x belongs to no bitcoin network", version))
	}
	return ClassNonStandard, nil, &WrongNetworkError{Address: addrShorten(s), Networks: owners, Want: net.Name}
}

// isSegwitCandidate reports whether s should be decoded as bech32: its part
// before the last '1' is, ignoring case, the human-readable part of some
// supported network, or it is a valid bech32 string of some other
// human-readable part (reported as such rather than as bad base58).
func isSegwitCandidate(s string) bool {
	one := strings.LastIndexByte(s, '1')
	if one < 1 {
		return false
	}
	hrp := strings.ToLower(s[:one])
	if len(networksMatching(func(p Network) bool { return p.Params.Bech32HRPSegwit == hrp })) > 0 {
		return true
	}
	_, _, _, err := bech32.DecodeGeneric(s)
	return err == nil
}

// networksMatching returns the sorted names of the supported networks for
// which match is true.
func networksMatching(match func(Network) bool) []string {
	var names []string
	for name, n := range networks() {
		if match(n) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// isPubKeyShape reports whether b has the shape of a serialized public key as
// ClassifyScript accepts it in a P2PK script.
func isPubKeyShape(b []byte) bool {
	switch len(b) {
	case 33:
		return b[0] == 0x02 || b[0] == 0x03
	case 65:
		return b[0] == 0x04 || b[0] == 0x06 || b[0] == 0x07
	}
	return false
}

// witnessVersionOp returns the opcode that pushes witness version v (0..16).
func witnessVersionOp(v byte) byte {
	if v == 0 {
		return op0
	}
	return op1 + v - 1
}

// isHexString reports whether s consists of hexadecimal digits only.
func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// addrInvalid returns the error for malformed input s.
func addrInvalid(s, why string) (ScriptClass, []byte, error) {
	return ClassNonStandard, nil, fmt.Errorf("%s: %w: %s", addrQuote(s), ErrInvalidAddress, why)
}

// addrShorten cuts s to at most maxQuotedInput bytes for use in a message.
func addrShorten(s string) string {
	if len(s) <= maxQuotedInput {
		return s
	}
	return s[:maxQuotedInput] + "..."
}

// addrQuote quotes s, shortened, for use in an error message.
func addrQuote(s string) string {
	return strconv.Quote(addrShorten(s))
}

// addrClip cuts a payload to a length worth printing in a message.
func addrClip(b []byte) []byte {
	if len(b) > maxQuotedInput/2 {
		return b[:maxQuotedInput/2]
	}
	return b
}
