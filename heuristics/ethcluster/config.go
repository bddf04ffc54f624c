package ethcluster

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
)

// Rule is an Ethereum clustering heuristic. The values are stored as the
// evidence of every merge in the Ethereum index and are part of its file
// format: never renumber them. They do not overlap the Bitcoin rules of
// heuristics/cluster, so that a rule number alone names a rule.
type Rule uint8

// The rules.
const (
	// DepositReuse joins the users of one exchange deposit address.
	DepositReuse Rule = 16
	// Airdrop joins the addresses that claimed one airdrop and forwarded
	// it to one collector.
	Airdrop Rule = 17
	// DepositReuseToken joins the users of one exchange deposit address
	// that forwarded exactly the token amounts it received.
	DepositReuseToken Rule = 18
)

var ruleNames = map[Rule]string{
	DepositReuse:      "deposit-reuse/1",
	Airdrop:           "airdrop/1",
	DepositReuseToken: "deposit-reuse-token/1",
}

// String returns the rule's versioned name.
func (r Rule) String() string {
	if n, ok := ruleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("rule(%d)", uint8(r))
}

// Defaults of the parameters. α and τ are Victor's (FC 2020), which
// Tutela uses too; the airdrop ones are etherclust's config.py.
const (
	DefaultMaxAmountDiff          = "0.01" // α, in ether
	DefaultMaxBlockDiff           = 3200   // τ, in blocks
	DefaultAirdropMinRecipients   = 1000
	DefaultAirdropMaxMedianGap    = 2
	DefaultAirdropMinAggregations = 2
	// ConfidenceAirdrop is the confidence (percent) of an airdrop merge.
	// The paper gives none; this is ours: one collector gathering the same
	// airdrop from several claimers is strong, but a service could do it.
	ConfidenceAirdrop = 60
)

// Config chooses the Ethereum heuristics and their parameters. It is the
// ethereum_cluster section of the configuration file.
type Config struct {
	// Heuristics are the versioned rule names to apply. Empty means all
	// three.
	Heuristics []string `yaml:"heuristics" json:"heuristics"`
	// Exchanges are exchange hot wallets (0x addresses), in addition to
	// the addresses labelled with the category "exchange" in the index.
	Exchanges []string `yaml:"exchanges" json:"exchanges,omitempty"`
	// Blacklist are known entities (exchanges, DEXes, bridges) that are
	// neither deposit addresses nor users. Exchanges and the blocks' fee
	// recipients are always in it.
	Blacklist []string `yaml:"blacklist" json:"blacklist,omitempty"`
	// MaxAmountDiff is α: how much less than it received (in ether, a
	// decimal) a deposit address may forward. Empty means 0.01.
	MaxAmountDiff string `yaml:"max_amount_diff" json:"max_amount_diff"`
	// MaxBlockDiff is τ: the most blocks between a payment into a deposit
	// address and its forward. 0 means 3200.
	MaxBlockDiff uint64 `yaml:"max_block_diff" json:"max_block_diff"`
	// AirdropMinRecipients is how many transfers of one amount of one
	// token one sender must make to be an airdrop. 0 means 1000.
	AirdropMinRecipients int `yaml:"airdrop_min_recipients" json:"airdrop_min_recipients"`
	// AirdropMaxMedianGap bounds the median block gap between an
	// airdrop's consecutive transfers. 0 means 2.
	AirdropMaxMedianGap uint64 `yaml:"airdrop_max_median_gap" json:"airdrop_max_median_gap"`
	// AirdropMinAggregations is how many distinct claimers must forward
	// the airdropped amount to one collector. 0 means 2.
	AirdropMinAggregations int `yaml:"airdrop_min_aggregations" json:"airdrop_min_aggregations"`
	// MaxClusterSize, when positive, is the size past which a merge is
	// reported with its transaction and rule.
	MaxClusterSize uint64 `yaml:"max_cluster_size" json:"max_cluster_size"`
	// RefuseOversize refuses such merges instead of only reporting them.
	RefuseOversize bool `yaml:"refuse_oversize" json:"refuse_oversize"`
	// Index has "spoor index ethereum" open a clustering with this set
	// when the index has none, and maintain it block by block. An active
	// clustering is maintained whatever Index says. It is not part of the
	// set.
	Index bool `yaml:"index" json:"-"`
}

// Set is a validated Ethereum heuristic set.
type Set struct {
	Rules            []Rule
	Exchanges        [][20]byte
	Blacklist        [][20]byte
	MaxAmountDiff    *big.Int // α in wei
	MaxBlockDiff     uint64
	MinRecipients    int
	MaxMedianGap     uint64
	MinAggregations  int
	MaxClusterSize   uint64
	RefuseOversize   bool
	spec             string
	maxAmountDiffEth string
}

// Has reports whether the set applies rule r.
func (s *Set) Has(r Rule) bool { return slices.Contains(s.Rules, r) }

// Spec returns the set's canonical JSON, stored with every clustering
// built with it so that the clustering is reproducible.
func (s *Set) Spec() string { return s.spec }

// Version returns a short name of the set derived from its spec.
func (s *Set) Version() string {
	sum := sha256.Sum256([]byte(s.spec))
	return "eth-hs-" + hex.EncodeToString(sum[:4])
}

var weiPerEther = new(big.Rat).SetInt(big.NewInt(1e18))

// parseEther parses a non-negative decimal amount of ether into wei.
func parseEther(field, s string) (*big.Int, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() < 0 {
		return nil, fmt.Errorf("%s %q is not a non-negative decimal amount of ether", field, s)
	}
	r.Mul(r, weiPerEther)
	if !r.IsInt() {
		return nil, fmt.Errorf("%s %q has more than 18 decimals", field, s)
	}
	return new(big.Int).Set(r.Num()), nil
}

func parseAddrs(field string, in []string) ([][20]byte, []string, error) {
	var out [][20]byte
	for _, s := range in {
		if !common.IsHexAddress(s) || !strings.HasPrefix(strings.ToLower(s), "0x") {
			return nil, nil, fmt.Errorf("%s: %q is not a 0x address", field, s)
		}
		out = append(out, common.HexToAddress(s))
	}
	slices.SortFunc(out, func(a, b [20]byte) int { return strings.Compare(string(a[:]), string(b[:])) })
	out = slices.Compact(out)
	canon := make([]string, len(out))
	for i, a := range out {
		canon[i] = strings.ToLower(common.Address(a).Hex())
	}
	return out, canon, nil
}

// NewSet validates c and returns its set. An unknown heuristic, a bad
// address or amount is an error naming it.
func NewSet(c Config) (*Set, error) {
	names := c.Heuristics
	if len(names) == 0 {
		names = []string{ruleNames[DepositReuse], ruleNames[Airdrop], ruleNames[DepositReuseToken]}
	}
	s := &Set{MaxBlockDiff: c.MaxBlockDiff, MinRecipients: c.AirdropMinRecipients, MaxMedianGap: c.AirdropMaxMedianGap,
		MinAggregations: c.AirdropMinAggregations, MaxClusterSize: c.MaxClusterSize, RefuseOversize: c.RefuseOversize}
	for _, n := range names {
		r, ok := parseRule(n)
		if !ok {
			return nil, fmt.Errorf("unknown ethereum heuristic %q (known: %s, %s, %s)", n, ruleNames[Airdrop], ruleNames[DepositReuse], ruleNames[DepositReuseToken])
		}
		if !s.Has(r) {
			s.Rules = append(s.Rules, r)
		}
	}
	slices.Sort(s.Rules)
	var err error
	canon := Config{MaxClusterSize: c.MaxClusterSize, RefuseOversize: c.RefuseOversize}
	if s.Exchanges, canon.Exchanges, err = parseAddrs("exchanges", c.Exchanges); err != nil {
		return nil, err
	}
	if s.Blacklist, canon.Blacklist, err = parseAddrs("blacklist", c.Blacklist); err != nil {
		return nil, err
	}
	s.maxAmountDiffEth = c.MaxAmountDiff
	if s.maxAmountDiffEth == "" {
		s.maxAmountDiffEth = DefaultMaxAmountDiff
	}
	if s.MaxAmountDiff, err = parseEther("max_amount_diff", s.maxAmountDiffEth); err != nil {
		return nil, err
	}
	if s.MaxBlockDiff == 0 {
		s.MaxBlockDiff = DefaultMaxBlockDiff
	}
	switch {
	case s.MinRecipients == 0:
		s.MinRecipients = DefaultAirdropMinRecipients
	case s.MinRecipients < 2:
		return nil, fmt.Errorf("airdrop_min_recipients %d: an airdrop has at least 2 recipients", s.MinRecipients)
	}
	if s.MaxMedianGap == 0 {
		s.MaxMedianGap = DefaultAirdropMaxMedianGap
	}
	switch {
	case s.MinAggregations == 0:
		s.MinAggregations = DefaultAirdropMinAggregations
	case s.MinAggregations < 2:
		return nil, fmt.Errorf("airdrop_min_aggregations %d: a collector must gather from at least 2 claimers", s.MinAggregations)
	}
	if c.RefuseOversize && c.MaxClusterSize == 0 {
		return nil, fmt.Errorf("refuse_oversize needs max_cluster_size")
	}
	for _, r := range s.Rules {
		canon.Heuristics = append(canon.Heuristics, r.String())
	}
	canon.MaxBlockDiff = s.MaxBlockDiff
	if s.Has(DepositReuse) {
		canon.MaxAmountDiff = new(big.Rat).SetFrac(s.MaxAmountDiff, weiPerEther.Num()).FloatString(18)
		canon.MaxAmountDiff = strings.TrimRight(strings.TrimRight(canon.MaxAmountDiff, "0"), ".")
	} else if !s.Has(DepositReuseToken) {
		canon.MaxBlockDiff = 0
	}
	if s.Has(Airdrop) {
		canon.AirdropMinRecipients, canon.AirdropMaxMedianGap, canon.AirdropMinAggregations = s.MinRecipients, s.MaxMedianGap, s.MinAggregations
	}
	b, err := json.Marshal(canon)
	if err != nil {
		return nil, err
	}
	s.spec = string(b)
	return s, nil
}

// ParseSpec returns the set a clustering was built with from its stored
// spec.
func ParseSpec(spec string) (*Set, error) {
	var c Config
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		return nil, fmt.Errorf("ethereum heuristic set spec %q: %w", spec, err)
	}
	return NewSet(c)
}

func parseRule(n string) (Rule, bool) {
	for r, name := range ruleNames {
		if name == n {
			return r, true
		}
	}
	return 0, false
}
