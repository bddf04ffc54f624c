package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spoorhq/spoor/heuristics/change"
	"github.com/spoorhq/spoor/heuristics/coinjoin"
)

// Rule is a clustering heuristic. The values are stored as the evidence of
// every merge and are part of the on-disk format: never renumber them.
type Rule uint8

// The rules.
const (
	// Equivalence joins the forms of one public key: a P2PK output's key
	// and the P2PKH address of the same key (the chain tables' L links).
	// It needs nothing but the chain tables. The forms an input reveals
	// (P2WPKH, P2SH-wrapped P2WPKH) are KeyEquivalence's, which reads the
	// input scripts from the chain source; P2SH addresses wrapping other
	// scripts are not linked.
	Equivalence Rule = 1
	// MultiInput joins the input addresses of a transaction (common input
	// ownership), except in CoinJoins.
	MultiInput Rule = 2
	// Change joins a transaction's change output with its inputs, when the
	// change detector is confident enough.
	Change Rule = 3
	// KeyEquivalence joins the address an input spends with the other
	// forms of the public key the input reveals: P2PKH, P2WPKH and
	// P2SH-wrapped P2WPKH of its hash, and P2PK of the key (keys.go). It
	// reads the input scripts and witnesses from the chain source.
	KeyEquivalence Rule = 4
	// ChangeSpend joins a transaction's change output with its inputs,
	// where the change is told by how the outputs are later spent: the
	// one output spent by a transaction with the creating transaction's
	// wallet fingerprint while every other output is spent by transactions
	// with another (spendchange.go). The merge is made in the block of the
	// spend that decides it. It reads the fingerprints from the chain
	// source.
	ChangeSpend Rule = 5
)

// ruleNames are the versioned names of the rules.
var ruleNames = map[Rule]string{
	Equivalence:    "address-equivalence/1",
	MultiInput:     "multi-input/1",
	Change:         change.Name,
	KeyEquivalence: "key-equivalence/1",
	ChangeSpend:    "change-spend/1",
}

// String returns the rule's versioned name.
func (r Rule) String() string {
	if n, ok := ruleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("rule(%d)", uint8(r))
}

// Confidences of the rules that do not compute their own, in percent.
const (
	// ConfidenceEquivalence: one key, so one owner.
	ConfidenceEquivalence = 100
	// ConfidenceMultiInput: common input ownership fails for PayJoin and
	// undetected CoinJoins.
	ConfidenceMultiInput = 90
)

// Config chooses the heuristics of a clustering. It is the cluster section
// of the configuration file.
type Config struct {
	// Heuristics are the versioned rule names to apply. Empty means
	// address-equivalence/1 and multi-input/1.
	Heuristics []string `yaml:"heuristics" json:"heuristics"`
	// CoinJoin are the versioned detectors whose CoinJoins multi-input
	// skips. Empty means every mixing detector.
	CoinJoin []string `yaml:"coinjoin" json:"coinjoin"`
	// ChangeMinConfidence is the confidence (percent) a change output needs
	// to be joined with the inputs when change/1 is among the heuristics.
	// 0 means 70.
	ChangeMinConfidence int `yaml:"change_min_confidence" json:"change_min_confidence"`
	// MaxClusterSize, when positive, is the size past which a merge is
	// reported with its transaction and rule.
	MaxClusterSize uint64 `yaml:"max_cluster_size" json:"max_cluster_size"`
	// RefuseOversize refuses such merges instead of only reporting them.
	RefuseOversize bool `yaml:"refuse_oversize" json:"refuse_oversize"`
}

// Set is a validated heuristic set.
type Set struct {
	Rules          []Rule
	Veto           coinjoin.Kinds // detectors that stop multi-input
	ChangeMin      uint8
	MaxClusterSize uint64
	RefuseOversize bool
	spec           string
}

// Has reports whether the set applies rule r.
func (s *Set) Has(r Rule) bool { return slices.Contains(s.Rules, r) }

// NeedsBlocks reports whether the set reads the chain source's blocks:
// key-equivalence/1 for input scripts, change-spend/1 for wallet
// fingerprints.
func (s *Set) NeedsBlocks() bool { return s.Has(KeyEquivalence) || s.Has(ChangeSpend) }

// Spec returns the set's canonical JSON: the same set always gives the
// same text, and it is stored with every clustering built with the set.
func (s *Set) Spec() string { return s.spec }

// Version returns a short name of the set derived from its spec, such as
// "hs-1a2b3c4d", written next to cluster ids in exports.
func (s *Set) Version() string {
	sum := sha256.Sum256([]byte(s.spec))
	return "hs-" + hex.EncodeToString(sum[:4])
}

// NewSet validates c and returns its set. An unknown heuristic or detector
// name is an error naming it and the known names.
func NewSet(c Config) (*Set, error) {
	names := c.Heuristics
	if len(names) == 0 {
		names = []string{ruleNames[Equivalence], ruleNames[MultiInput]}
	}
	s := &Set{MaxClusterSize: c.MaxClusterSize, RefuseOversize: c.RefuseOversize}
	for _, n := range names {
		r, ok := parseRule(n)
		if !ok {
			known := make([]string, 0, len(ruleNames))
			for _, k := range ruleNames {
				known = append(known, k)
			}
			slices.Sort(known)
			return nil, fmt.Errorf("unknown heuristic %q (known: %s)", n, strings.Join(known, ", "))
		}
		if !s.Has(r) {
			s.Rules = append(s.Rules, r)
		}
	}
	slices.Sort(s.Rules)
	if len(c.CoinJoin) == 0 {
		s.Veto = coinjoin.Mixing
	}
	for _, n := range c.CoinJoin {
		k, err := coinjoin.Parse(n)
		if err != nil {
			return nil, err
		}
		s.Veto |= k
	}
	switch {
	case c.ChangeMinConfidence == 0:
		s.ChangeMin = change.ConfidencePolicy
	case c.ChangeMinConfidence < 0 || c.ChangeMinConfidence > 100:
		return nil, fmt.Errorf("change_min_confidence %d is outside 1..100", c.ChangeMinConfidence)
	default:
		s.ChangeMin = uint8(c.ChangeMinConfidence)
	}
	if c.RefuseOversize && c.MaxClusterSize == 0 {
		return nil, fmt.Errorf("refuse_oversize needs max_cluster_size")
	}
	canon := Config{CoinJoin: s.Veto.Names(), MaxClusterSize: s.MaxClusterSize, RefuseOversize: s.RefuseOversize}
	for _, r := range s.Rules {
		canon.Heuristics = append(canon.Heuristics, r.String())
	}
	if s.Has(Change) {
		canon.ChangeMinConfidence = int(s.ChangeMin)
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
		return nil, fmt.Errorf("heuristic set spec %q: %w", spec, err)
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
