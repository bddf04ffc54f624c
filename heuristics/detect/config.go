package detect

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Config holds every detector's thresholds. Amounts are in satoshis,
// durations in seconds, shares between 0 and 1. The zero value of a field
// takes its default (Defaults); Validate rejects impossible values.
type Config struct {
	DepositSweep DepositSweepConfig `yaml:"deposit_sweep"`
	PeelChain    PeelChainConfig    `yaml:"peel_chain"`
	Structuring  StructuringConfig  `yaml:"structuring"`
	FanIn        FanInConfig        `yaml:"fan_in"`
	FanOut       FanOutConfig       `yaml:"fan_out"`
	PassThrough  PassThroughConfig  `yaml:"pass_through"`
	Hawala       HawalaConfig       `yaml:"hawala"`
	RoundAmount  RoundAmountConfig  `yaml:"round_amount"`
	ChainHop     ChainHopConfig     `yaml:"chain_hop"`
	Sanctioned   SanctionedConfig   `yaml:"sanctioned_contact"`
	// MinIndicators is how many independent indicators an alert needs
	// (direct sanctioned contact alerts alone). Default 2.
	MinIndicators int `yaml:"min_indicators"`
	// Incremental configures detection as blocks are indexed.
	Incremental IncrementalConfig `yaml:"incremental"`
	// Webhooks receive every new alert of incremental detection.
	Webhooks []WebhookConfig `yaml:"webhooks"`
	// Prices names a CSV file of "date,usd" lines: the USD price of one
	// coin per UTC day (PriceTable documents the format and the fallback
	// for a missing day). Thresholds given in USD need it.
	Prices string `yaml:"prices"`

	// prices is the loaded table, once loaded (NewIncremental loads it
	// once; Run loads it when it is nil).
	prices *PriceTable
}

// IncrementalConfig configures detection as blocks are indexed (spoor
// index): after a block is committed, the detectors run over the window
// of the latest WindowBlocks blocks, and what they find that no earlier
// run raised is stored with the height that raised it.
type IncrementalConfig struct {
	// Enabled turns incremental detection on. Default off.
	Enabled bool `yaml:"enabled"`
	// WindowBlocks is how many blocks, up to the new one, a run reads.
	// A pattern longer than the window is never seen whole. Default 1008
	// (a week of Bitcoin blocks).
	WindowBlocks uint32 `yaml:"window_blocks"`
	// EveryBlocks runs detection once this many new blocks are committed.
	// Default 1 (every block). When more blocks than half a window arrive
	// at once (catching up), runs step by half a window so that no span
	// of blocks is skipped.
	EveryBlocks uint32 `yaml:"every_blocks"`
}

// WebhookConfig is one receiver of alerts.
type WebhookConfig struct {
	// URL receives a POST of each event (JSON).
	URL string `yaml:"url"`
	// Secret signs the events (HMAC-SHA256); SecretEnv names an
	// environment variable holding it instead. One of them is required.
	Secret    string `yaml:"secret"`
	SecretEnv string `yaml:"secret_env"`
	// Timeout bounds one delivery attempt, in seconds. Default 10.
	Timeout int64 `yaml:"timeout_seconds"`
	// MaxAttempts bounds the attempts of one event; 0: retry forever.
	MaxAttempts int `yaml:"max_attempts"`
	// BackoffSeconds is the first retry delay, doubled after each failed
	// attempt up to MaxBackoffSeconds. Defaults 1 and 3600.
	BackoffSeconds    int64 `yaml:"backoff_seconds"`
	MaxBackoffSeconds int64 `yaml:"max_backoff_seconds"`
}

// DepositSweepConfig configures deposit_sweep (§4.1).
type DepositSweepConfig struct {
	// MinInputs is the least number of distinct unlabelled input addresses
	// of a sweep. Default 2.
	MinInputs int `yaml:"min_inputs"`
	// MinExchangeShare is the least share of a sweep's output value that
	// goes to labelled exchange addresses. Default 0.9.
	MinExchangeShare float64 `yaml:"min_exchange_share"`
	// MaxDelay is the longest time between a deposit and its sweep.
	// Default 172800 (48 h).
	MaxDelay int64 `yaml:"max_delay_seconds"`
	// MinDepositSat or MinDepositUSD (at most one) is the least customer
	// payment into a deposit address that counts. Default none.
	MinDepositSat uint64  `yaml:"min_deposit_sat"`
	MinDepositUSD float64 `yaml:"min_deposit_usd"`
}

// MinDeposit returns the deposit floor: a customer payment into a
// deposit address below it (at its day, for USD) is not counted.
func (c DepositSweepConfig) MinDeposit() Amount {
	return Amount{c.MinDepositSat, c.MinDepositUSD}
}

// PeelChainConfig configures peel_chain (§1.5, §4.5).
type PeelChainConfig struct {
	// MinHops is the least number of hops of a flagged chain. Default 3.
	MinHops int `yaml:"min_hops"`
	// MaxPeelShare is the largest share of a hop's input its peel may
	// take. Default 0.5.
	MaxPeelShare float64 `yaml:"max_peel_share"`
	// MinPeelsToExchange is how many peels must reach exchange deposit
	// addresses to flag the chain as ending at an exchange. Default 2.
	MinPeelsToExchange int `yaml:"min_peels_to_exchange"`
	// MinInputSat or MinInputUSD (at most one) is the floor of a hop: a
	// transaction whose largest input is worth less (at its day, for USD)
	// is not a hop, so that dust-sized two-output spends do not make
	// chains. Compared with the largest input, not with an output: the
	// peel is small by definition, and the continuation shrinks along the
	// chain while the money moved is what entered the hop. Default none.
	MinInputSat uint64  `yaml:"min_input_sat"`
	MinInputUSD float64 `yaml:"min_input_usd"`
}

// MinInput returns the hop floor.
func (c PeelChainConfig) MinInput() Amount { return Amount{c.MinInputSat, c.MinInputUSD} }

// StructuringConfig configures structuring (§4.2).
type StructuringConfig struct {
	// ThresholdsSat are the reporting thresholds, in satoshis. Default,
	// when neither list is given: 10,000,000 (0.1 BTC: the simulator has
	// no exchange rate).
	ThresholdsSat []uint64 `yaml:"thresholds_sat"`
	// ThresholdsUSD are reporting thresholds in USD (for example 10000,
	// 3000, 1000: reference §4.2), converted to satoshis at each
	// transaction's day with the price table (Config.Prices), which they
	// require.
	ThresholdsUSD []float64 `yaml:"thresholds_usd"`
	// Margin is δ: transfers in [T·(1−δ), T) count. Default 0.10.
	Margin float64 `yaml:"margin"`
	// MinTransfers is the least count in one window. Default 3.
	MinTransfers int `yaml:"min_transfers"`
	// Window is the rolling window. Default 604800 (7 days).
	Window int64 `yaml:"window_seconds"`
}

// FanInConfig configures fan_in (§4.3).
type FanInConfig struct {
	// MinSources is the least number of distinct paying clusters. Default 20.
	MinSources int `yaml:"min_sources"`
	// MaxMedianShare bounds the median inflow as a share of the sum. Default 0.05.
	MaxMedianShare float64 `yaml:"max_median_share"`
	// MinOutShare is the least share of the inflow forwarded. Default 0.8.
	MinOutShare float64 `yaml:"min_out_share"`
	// MaxCounterparties bounds where the forwarded money goes. Default 3.
	MaxCounterparties int `yaml:"max_counterparties"`
	// Window bounds the collection, OutWindow the forwarding after it.
	// Defaults 604800 each (7 days).
	Window    int64 `yaml:"window_seconds"`
	OutWindow int64 `yaml:"out_window_seconds"`
	// MinTotalSat or MinTotalUSD (at most one) is the least sum of the
	// collected inflows (USD at the collecting transaction's day).
	// Default none.
	MinTotalSat uint64  `yaml:"min_total_sat"`
	MinTotalUSD float64 `yaml:"min_total_usd"`
}

// MinTotal returns the floor of the collected sum.
func (c FanInConfig) MinTotal() Amount { return Amount{c.MinTotalSat, c.MinTotalUSD} }

// FanOutConfig configures fan_out (§4.3).
type FanOutConfig struct {
	// MinOutputs is the least number of fresh outputs. Default 10.
	MinOutputs int `yaml:"min_outputs"`
	// MaxCV bounds the coefficient of variation of their amounts. Default 0.2.
	MaxCV float64 `yaml:"max_cv"`
	// MinForwardShare is the least share of recipients that forward to a
	// common cluster or exchange deposits within Forward. Default 0.5.
	MinForwardShare float64 `yaml:"min_forward_share"`
	// Forward is the forwarding window. Default 259200 (72 h).
	Forward int64 `yaml:"forward_seconds"`
	// MinTotalSat or MinTotalUSD (at most one) is the least sum paid to
	// the fresh outputs (USD at the fan-out's day). Default none.
	MinTotalSat uint64  `yaml:"min_total_sat"`
	MinTotalUSD float64 `yaml:"min_total_usd"`
}

// MinTotal returns the floor of the distributed sum.
func (c FanOutConfig) MinTotal() Amount { return Amount{c.MinTotalSat, c.MinTotalUSD} }

// PassThroughConfig configures pass_through (§4.4).
type PassThroughConfig struct {
	// MaxDelayBlocks bounds the time an inflow stays. Default 6.
	MaxDelayBlocks uint32 `yaml:"max_delay_blocks"`
	// MaxResidual is ε: the share of the inflow that may stay. Default 0.02.
	MaxResidual float64 `yaml:"max_residual"`
	// MinCycles in Window flag the address. Defaults 3 and 2592000 (30 days).
	MinCycles int   `yaml:"min_cycles"`
	Window    int64 `yaml:"window_seconds"`
	// MinAmountSat or MinAmountUSD (at most one) is the least inflow of a
	// cycle (USD at the inflow's day). Default none.
	MinAmountSat uint64  `yaml:"min_amount_sat"`
	MinAmountUSD float64 `yaml:"min_amount_usd"`
}

// MinAmount returns the floor of a cycle's inflow.
func (c PassThroughConfig) MinAmount() Amount { return Amount{c.MinAmountSat, c.MinAmountUSD} }

// HawalaConfig configures hawala (§4.8).
type HawalaConfig struct {
	// MinInflows is the least number of inflow transactions. Default 30.
	MinInflows int `yaml:"min_inflows"`
	// MaxOutShare bounds settlements as a share of inflows. Default 0.1.
	MaxOutShare float64 `yaml:"max_out_share"`
	// MinSettlements is the least number of settlements. Default 3.
	MinSettlements int `yaml:"min_settlements"`
	// MinMedianRatio: median settlement ≥ this × median inflow. Default 10.
	MinMedianRatio float64 `yaml:"min_median_ratio"`
	// MaxIntervalCV bounds the CV of the settlement intervals. Default 0.3.
	MaxIntervalCV float64 `yaml:"max_interval_cv"`
	// MaxCounterparties bounds the settlement counterparties. Default 3.
	MaxCounterparties int `yaml:"max_counterparties"`
	// MaxResidual bounds the balance left after each settlement as a share
	// of the accumulation before it. Default 0.1.
	MaxResidual float64 `yaml:"max_residual"`
	// MinSettlementSat or MinSettlementUSD (at most one) is the least
	// amount every settlement pays (USD at the settlement's day); one
	// smaller settlement fails the pattern. Default none.
	MinSettlementSat uint64  `yaml:"min_settlement_sat"`
	MinSettlementUSD float64 `yaml:"min_settlement_usd"`
}

// MinSettlement returns the floor of a settlement.
func (c HawalaConfig) MinSettlement() Amount {
	return Amount{c.MinSettlementSat, c.MinSettlementUSD}
}

// RoundAmountConfig configures round_amount (§4.6).
type RoundAmountConfig struct {
	// UnitSat is the power-of-ten unit a round payment is a multiple of.
	// Default 1,000,000 (0.01 BTC).
	UnitSat uint64 `yaml:"unit_sat"`
	// MinPayments is the least number of round payments an address
	// receives, from distinct payers, to be reported. Default 10.
	MinPayments int `yaml:"min_payments"`
	// MinAmountSat or MinAmountUSD (at most one) is the least round
	// payment that counts (USD at the payment's day). UnitSat stays in
	// satoshis: it is the roundness of the coin amount. Default none.
	MinAmountSat uint64  `yaml:"min_amount_sat"`
	MinAmountUSD float64 `yaml:"min_amount_usd"`
	// USDUnit, when set, also counts a payment as round when its USD
	// value at the payment's day is within USDTolerance·USDUnit of a
	// multiple of USDUnit (§4.6 fiat roundness: unit 100, tolerance
	// 0.5 %, so within 0.50 USD of a multiple of 100 USD): a payment
	// agreed in dollars is rarely a round number of satoshis. It needs a
	// price table. Default 0 (satoshi roundness only).
	USDUnit float64 `yaml:"usd_unit"`
	// USDTolerance is the largest distance to the nearest multiple of
	// USDUnit, as a share of USDUnit (not of the payment, which would make
	// every large payment round). Default 0.005.
	USDTolerance float64 `yaml:"usd_tolerance"`
}

// MinAmount returns the floor of a round payment.
func (c RoundAmountConfig) MinAmount() Amount { return Amount{c.MinAmountSat, c.MinAmountUSD} }

// ChainHopConfig configures chain_hop (§4.7).
type ChainHopConfig struct {
	// Categories and Sources name the labels of swap services: a label
	// with one of the categories, or from one of the sources, marks a swap
	// service. Defaults: categories defi_bridge and defi_dex; source
	// sim:service-attribution (the simulator's instant exchanger).
	Categories []string `yaml:"categories"`
	Sources    []string `yaml:"sources"`
	// MinAmountSat or MinAmountUSD (at most one) is the least payment into
	// a swap service that is reported (USD at its day). Default none.
	MinAmountSat uint64  `yaml:"min_amount_sat"`
	MinAmountUSD float64 `yaml:"min_amount_usd"`
}

// MinAmount returns the floor of a swap payment.
func (c ChainHopConfig) MinAmount() Amount { return Amount{c.MinAmountSat, c.MinAmountUSD} }

// SanctionedConfig configures sanctioned_contact (§4.10).
type SanctionedConfig struct {
	// Categories name the labels of designated entities. Default sanction.
	Categories []string `yaml:"categories"`
	// MaxHops is how far indirect contact is followed. Default 2.
	MaxHops int `yaml:"max_hops"`
	// MinAmountSat or MinAmountUSD (at most one) is the least amount of a
	// contact (USD at its day): smaller transfers, such as dust sent to
	// or from a designated address, are not contact (§6.7). Default none.
	MinAmountSat uint64  `yaml:"min_amount_sat"`
	MinAmountUSD float64 `yaml:"min_amount_usd"`
}

// MinAmount returns the floor of a contact.
func (c SanctionedConfig) MinAmount() Amount { return Amount{c.MinAmountSat, c.MinAmountUSD} }

// Defaults returns c with every zero field set to its default.
func (c Config) Defaults() Config {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def64 := func(p *int64, v int64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&c.DepositSweep.MinInputs, 2)
	deff(&c.DepositSweep.MinExchangeShare, 0.9)
	def64(&c.DepositSweep.MaxDelay, 48*3600)
	def(&c.PeelChain.MinHops, 3)
	deff(&c.PeelChain.MaxPeelShare, 0.5)
	def(&c.PeelChain.MinPeelsToExchange, 2)
	if len(c.Structuring.ThresholdsSat) == 0 && len(c.Structuring.ThresholdsUSD) == 0 {
		c.Structuring.ThresholdsSat = []uint64{10_000_000}
	}
	deff(&c.Structuring.Margin, 0.10)
	def(&c.Structuring.MinTransfers, 3)
	def64(&c.Structuring.Window, 7*86400)
	def(&c.FanIn.MinSources, 20)
	deff(&c.FanIn.MaxMedianShare, 0.05)
	deff(&c.FanIn.MinOutShare, 0.8)
	def(&c.FanIn.MaxCounterparties, 3)
	def64(&c.FanIn.Window, 7*86400)
	def64(&c.FanIn.OutWindow, 7*86400)
	def(&c.FanOut.MinOutputs, 10)
	deff(&c.FanOut.MaxCV, 0.2)
	deff(&c.FanOut.MinForwardShare, 0.5)
	def64(&c.FanOut.Forward, 72*3600)
	if c.PassThrough.MaxDelayBlocks == 0 {
		c.PassThrough.MaxDelayBlocks = 6
	}
	deff(&c.PassThrough.MaxResidual, 0.02)
	def(&c.PassThrough.MinCycles, 3)
	def64(&c.PassThrough.Window, 30*86400)
	def(&c.Hawala.MinInflows, 30)
	deff(&c.Hawala.MaxOutShare, 0.1)
	def(&c.Hawala.MinSettlements, 3)
	deff(&c.Hawala.MinMedianRatio, 10)
	deff(&c.Hawala.MaxIntervalCV, 0.3)
	def(&c.Hawala.MaxCounterparties, 3)
	deff(&c.Hawala.MaxResidual, 0.1)
	if c.RoundAmount.UnitSat == 0 {
		c.RoundAmount.UnitSat = 1_000_000
	}
	def(&c.RoundAmount.MinPayments, 10)
	if c.RoundAmount.USDTolerance == 0 {
		c.RoundAmount.USDTolerance = 0.005
	}
	if len(c.ChainHop.Categories) == 0 && len(c.ChainHop.Sources) == 0 {
		c.ChainHop.Categories = []string{"defi_bridge", "defi_dex"}
		c.ChainHop.Sources = []string{"sim:service-attribution"}
	}
	if len(c.Sanctioned.Categories) == 0 {
		c.Sanctioned.Categories = []string{"sanction"}
	}
	def(&c.Sanctioned.MaxHops, 2)
	def(&c.MinIndicators, 2)
	if c.Incremental.WindowBlocks == 0 {
		c.Incremental.WindowBlocks = 1008
	}
	if c.Incremental.EveryBlocks == 0 {
		c.Incremental.EveryBlocks = 1
	}
	hooks := make([]WebhookConfig, len(c.Webhooks))
	for i, h := range c.Webhooks {
		def64(&h.Timeout, 10)
		def64(&h.BackoffSeconds, 1)
		def64(&h.MaxBackoffSeconds, 3600)
		hooks[i] = h
	}
	c.Webhooks = hooks
	if len(hooks) == 0 {
		c.Webhooks = nil // an empty list in a file is no list
	}
	if len(c.Structuring.ThresholdsUSD) == 0 {
		c.Structuring.ThresholdsUSD = nil
	}
	return c
}

// Validate returns an error naming every impossible threshold of c (after
// Defaults).
func (c Config) Validate() error {
	var errs []error
	share := func(name string, v float64, allowOne bool) {
		if v < 0 || v > 1 || (!allowOne && v == 1) {
			errs = append(errs, fmt.Errorf("detect.%s = %v: want a share between 0 and 1", name, v))
		}
	}
	pos := func(name string, v int64) {
		if v < 0 {
			errs = append(errs, fmt.Errorf("detect.%s = %d: must not be negative", name, v))
		}
	}
	share("deposit_sweep.min_exchange_share", c.DepositSweep.MinExchangeShare, true)
	pos("deposit_sweep.min_inputs", int64(c.DepositSweep.MinInputs))
	pos("deposit_sweep.max_delay_seconds", c.DepositSweep.MaxDelay)
	share("peel_chain.max_peel_share", c.PeelChain.MaxPeelShare, false)
	if c.PeelChain.MinHops < 2 {
		errs = append(errs, fmt.Errorf("detect.peel_chain.min_hops = %d: a chain needs at least 2 hops", c.PeelChain.MinHops))
	}
	share("structuring.margin", c.Structuring.Margin, false)
	for _, t := range c.Structuring.ThresholdsSat {
		if t == 0 {
			errs = append(errs, errors.New("detect.structuring.thresholds_sat: a threshold of 0 satoshis cannot be structured under"))
		}
	}
	pos("structuring.window_seconds", c.Structuring.Window)
	havePrices := c.Prices != "" || c.prices != nil
	for _, u := range c.Structuring.ThresholdsUSD {
		if !(u > 0) || math.IsInf(u, 0) {
			errs = append(errs, fmt.Errorf("detect.structuring.thresholds_usd: %v is not a positive amount of USD", u))
		}
	}
	if len(c.Structuring.ThresholdsUSD) > 0 && !havePrices {
		errs = append(errs, fmt.Errorf("detect.structuring.thresholds_usd %v: USD thresholds need a price table (detect.prices: FILE)", c.Structuring.ThresholdsUSD))
	}
	for _, na := range c.amounts() {
		if err := na.a.Check("detect."+na.field, havePrices); err != nil {
			errs = append(errs, err)
		}
	}
	switch ru := c.RoundAmount.USDUnit; {
	case ru == 0:
	case !(ru > 0) || math.IsInf(ru, 0):
		errs = append(errs, fmt.Errorf("detect.round_amount.usd_unit = %v: want a positive amount of USD", ru))
	case !havePrices:
		errs = append(errs, fmt.Errorf("detect.round_amount.usd_unit = %v: USD roundness needs a price table (detect.prices: FILE)", ru))
	}
	share("round_amount.usd_tolerance", c.RoundAmount.USDTolerance, true)
	share("fan_in.max_median_share", c.FanIn.MaxMedianShare, true)
	share("fan_in.min_out_share", c.FanIn.MinOutShare, true)
	pos("fan_in.min_sources", int64(c.FanIn.MinSources))
	pos("fan_in.max_counterparties", int64(c.FanIn.MaxCounterparties))
	pos("fan_out.min_outputs", int64(c.FanOut.MinOutputs))
	share("fan_out.min_forward_share", c.FanOut.MinForwardShare, true)
	if c.FanOut.MaxCV < 0 {
		errs = append(errs, fmt.Errorf("detect.fan_out.max_cv = %v: must not be negative", c.FanOut.MaxCV))
	}
	share("pass_through.max_residual", c.PassThrough.MaxResidual, false)
	pos("pass_through.min_cycles", int64(c.PassThrough.MinCycles))
	share("hawala.max_out_share", c.Hawala.MaxOutShare, true)
	share("hawala.max_residual", c.Hawala.MaxResidual, true)
	pos("hawala.min_inflows", int64(c.Hawala.MinInflows))
	if c.Sanctioned.MaxHops < 1 {
		errs = append(errs, fmt.Errorf("detect.sanctioned_contact.max_hops = %d: at least 1", c.Sanctioned.MaxHops))
	}
	if c.MinIndicators < 1 {
		errs = append(errs, fmt.Errorf("detect.min_indicators = %d: at least 1", c.MinIndicators))
	}
	if c.Incremental.WindowBlocks < 2 {
		errs = append(errs, fmt.Errorf("detect.incremental.window_blocks = %d: at least 2", c.Incremental.WindowBlocks))
	}
	for i, h := range c.Webhooks {
		if !strings.HasPrefix(h.URL, "http://") && !strings.HasPrefix(h.URL, "https://") {
			errs = append(errs, fmt.Errorf("detect.webhooks[%d].url = %q: want an http:// or https:// URL", i, h.URL))
		}
		if (h.Secret == "") == (h.SecretEnv == "") {
			errs = append(errs, fmt.Errorf("detect.webhooks[%d]: give exactly one of secret and secret_env", i))
		}
		if h.Timeout < 0 || h.BackoffSeconds < 0 || h.MaxBackoffSeconds < h.BackoffSeconds || h.MaxAttempts < 0 {
			errs = append(errs, fmt.Errorf("detect.webhooks[%d]: timeout, backoff and attempts must not be negative, and max_backoff_seconds at least backoff_seconds", i))
		}
	}
	return errors.Join(errs...)
}

// WithPrices returns c with the price table p, used instead of loading
// c.Prices (tests, and callers that load the table once).
func (c Config) WithPrices(p *PriceTable) Config {
	c.prices = p
	return c
}

// loadPrices returns the price table of c, loading it when needed; nil
// when none is configured.
func (c *Config) loadPrices() (*PriceTable, error) {
	if c.prices != nil || c.Prices == "" {
		return c.prices, nil
	}
	p, err := LoadPrices(c.Prices)
	if err != nil {
		return nil, err
	}
	c.prices = p
	return p, nil
}
