package sim

import "fmt"

// World configures the parts of the simulated economy beyond ordinary
// wallets, miners, exchanges and CoinJoins: merchants and payment
// processors, and the planted scenarios. Its YAML form is the
// simulate.bitcoin section of spoor's configuration file
// (docs/truth.md documents every field; docs/world.example.yaml is an
// example). The zero World means the defaults.
type World struct {
	// Merchants is the number of merchants. Zero means the default: 20
	// when Txs is at least 10,000, otherwise none. Negative means none.
	Merchants int `yaml:"merchants"`
	// Processors is the number of payment processors. Zero means the
	// default: 2 when there are merchants. Negative means none.
	Processors int `yaml:"processors"`
	// Scenarios are the planted scenarios and decoys.
	Scenarios Scenarios `yaml:"scenarios"`
}

// Scenarios configures each planted scenario kind and each decoy kind.
// Each field is named after its kind in truth.jsonl.
type Scenarios struct {
	// Recruitment sizes the recruitment collections (size: payments).
	Recruitment Scenario `yaml:"recruitment"`
	// FanIn sizes the fan-in aggregations (size: distinct sources).
	FanIn Scenario `yaml:"fan_in"`
	// Hawala sizes the hawala-like brokers (size: settlement cycles).
	Hawala Scenario `yaml:"hawala"`
	// Structuring sizes the structuring sources (size: transfers).
	Structuring Scenario `yaml:"structuring"`
	// PeelChain sizes the peel chains (size: hops).
	PeelChain Scenario `yaml:"peel_chain"`
	// PassThrough sizes the rapid pass-through mules (size: cycles).
	PassThrough Scenario `yaml:"pass_through"`
	// FanOut sizes the fan-out smurfing (size: outputs).
	FanOut Scenario `yaml:"fan_out"`
	// ChainHop sizes the transfers to the instant exchanger (size:
	// transfers).
	ChainHop Scenario `yaml:"chain_hop"`
	// Sanctioned sizes the sanctioned entities (size: direct
	// counterparties).
	Sanctioned Scenario `yaml:"sanctioned"`
	// Payroll sizes the payroll decoys (size: employees).
	Payroll Scenario `yaml:"payroll"`
	// ExchangeBatch records exchange withdrawal batches as decoys (size:
	// least customers per batch).
	ExchangeBatch Scenario `yaml:"exchange_batch"`
	// MerchantAggregation records merchant consolidations as decoys
	// (size: least sales consolidated).
	MerchantAggregation Scenario `yaml:"merchant_aggregation"`
	// ProcessorPassThrough records payment processor cycles as decoys
	// (size: least merchants paid).
	ProcessorPassThrough Scenario `yaml:"processor_pass_through"`
}

// Scenario switches one scenario kind on or off and sizes it.
type Scenario struct {
	// Enabled switches the kind on or off. Unset means on when Txs is
	// at least 10,000, otherwise off.
	Enabled *bool `yaml:"enabled"`
	// Instances is the number of instances planted (or, for decoys that
	// exist anyway, recorded). Zero means 2.
	Instances int `yaml:"instances"`
	// Size is the kind's main size (payments, hops, cycles, outputs;
	// docs/truth.md says which per kind). Zero means the kind's default.
	Size int `yaml:"size"`
	// ThresholdSat is the reporting threshold that structuring stays
	// under, in satoshis. Zero means 10,000,000 (0.1 BTC). Structuring
	// only.
	ThresholdSat int64 `yaml:"threshold_sat"`
}

// scenarioKind describes one kind of scenario: its name in the truth file,
// whether it is a decoy, the detectors expected to fire, its default and
// smallest size.
type scenarioKind struct {
	name      string
	decoy     bool
	detectors []string
	size, min int
	cfg       func(*Scenarios) *Scenario
	// blocks estimates how many blocks an instance of the given size
	// takes, to start it early enough to finish; nil for decoys that
	// other actors record.
	blocks func(size int) int
}

// scenarioKinds lists every kind in the order instances are planted.
var scenarioKinds = [...]scenarioKind{
	{"recruitment", false, []string{"fan_in", "round_amount"}, 30, 20, func(s *Scenarios) *Scenario { return &s.Recruitment }, func(n int) int { return n/4 + 3 }},
	{"fan_in", false, []string{"fan_in"}, 25, 20, func(s *Scenarios) *Scenario { return &s.FanIn }, func(n int) int { return n/4 + 3 }},
	{"hawala", false, []string{"hawala"}, 4, 3, func(s *Scenarios) *Scenario { return &s.Hawala }, func(n int) int { return n*hawalaPeriod + 2 }},
	{"structuring", false, []string{"structuring"}, 8, 3, func(s *Scenarios) *Scenario { return &s.Structuring }, func(n int) int { return n*2/3 + 3 }},
	{"peel_chain", false, []string{"peel_chain"}, 8, 5, func(s *Scenarios) *Scenario { return &s.PeelChain }, func(n int) int { return n + 3 }},
	{"pass_through", false, []string{"pass_through"}, 4, 3, func(s *Scenarios) *Scenario { return &s.PassThrough }, func(n int) int { return n*5 + 3 }},
	{"fan_out", false, []string{"fan_out"}, 15, 10, func(s *Scenarios) *Scenario { return &s.FanOut }, func(int) int { return 6 }},
	{"chain_hop", false, []string{"chain_hop"}, 3, 1, func(s *Scenarios) *Scenario { return &s.ChainHop }, func(n int) int { return n + 3 }},
	{"sanctioned", false, []string{"sanctioned_contact"}, 6, 4, func(s *Scenarios) *Scenario { return &s.Sanctioned }, func(int) int { return 6 }},
	{"payroll", true, nil, 15, 10, func(s *Scenarios) *Scenario { return &s.Payroll }, func(int) int { return payrollCycles*payrollPeriod + 4 }},
	{"exchange_batch", true, nil, 10, 5, func(s *Scenarios) *Scenario { return &s.ExchangeBatch }, nil},
	{"merchant_aggregation", true, nil, 10, 5, func(s *Scenarios) *Scenario { return &s.MerchantAggregation }, nil},
	{"processor_pass_through", true, nil, 3, 1, func(s *Scenarios) *Scenario { return &s.ProcessorPassThrough }, nil},
}

// Defaults of the world.
const (
	defaultMerchants    = 20
	defaultProcessors   = 2
	defaultInstances    = 2
	defaultThresholdSat = 10_000_000
	// maxScenarioSize bounds every size so that one transaction always
	// fits a block.
	maxScenarioSize = 90
)

// withDefaults fills in the world's defaults for a chain of txs
// transactions and validates it.
func (w World) withDefaults(txs int) (World, error) {
	large := txs >= 10_000
	switch {
	case w.Merchants == 0 && large:
		w.Merchants = defaultMerchants
	case w.Merchants < 0:
		w.Merchants = 0
	}
	switch {
	case w.Processors == 0 && w.Merchants > 0:
		w.Processors = defaultProcessors
	case w.Processors < 0 || w.Merchants == 0:
		w.Processors = 0
	}
	for _, k := range scenarioKinds {
		sc := k.cfg(&w.Scenarios)
		if sc.Enabled == nil {
			on := large
			sc.Enabled = &on
		}
		if sc.Instances == 0 {
			sc.Instances = defaultInstances
		}
		if sc.Size == 0 {
			sc.Size = k.size
		}
		if sc.Instances < 0 {
			return w, fmt.Errorf("world: scenarios.%s.instances is %d, want at least 0", k.name, sc.Instances)
		}
		if k.min > 0 && (sc.Size < k.min || sc.Size > maxScenarioSize) {
			return w, fmt.Errorf("world: scenarios.%s.size is %d, want %d to %d", k.name, sc.Size, k.min, maxScenarioSize)
		}
		if sc.ThresholdSat != 0 && k.name != "structuring" {
			return w, fmt.Errorf("world: scenarios.%s.threshold_sat is set; only structuring has a threshold", k.name)
		}
	}
	if t := &w.Scenarios.Structuring.ThresholdSat; *t == 0 {
		*t = defaultThresholdSat
	} else if *t < 100_000 {
		return w, fmt.Errorf("world: scenarios.structuring.threshold_sat is %d, want at least 100000", *t)
	}
	return w, nil
}

// AllScenarios returns a World with every scenario and decoy kind switched
// on at n instances each and default sizes.
func AllScenarios(n int) World {
	var w World
	for _, k := range scenarioKinds {
		on := true
		sc := k.cfg(&w.Scenarios)
		sc.Enabled, sc.Instances = &on, n
	}
	return w
}
