package detect

import (
	"fmt"
	"math"
	"time"
)

// Amount is one amount threshold of a detector, given in the chain's unit
// (Sat, satoshis) or in USD (converted to satoshis at each transaction's
// UTC day with the price table, detect.prices). In a config file it is
// two keys, NAME_sat and NAME_usd, of which at most one may be set; the
// zero Amount is no threshold.
type Amount struct {
	Sat uint64
	USD float64
}

// IsZero reports whether a sets no threshold.
func (a Amount) IsZero() bool { return a.Sat == 0 && a.USD == 0 }

// Check returns an error naming field (for example
// "detect.peel_chain.min_input") when a is impossible: both units given, a
// USD amount that is not a positive finite number, or a USD amount when no
// price table is configured (havePrices false).
func (a Amount) Check(field string, havePrices bool) error {
	switch {
	case a.Sat != 0 && a.USD != 0:
		return fmt.Errorf("%s_sat = %d and %s_usd = %v: give exactly one of them", field, a.Sat, field, a.USD)
	case a.USD == 0:
		return nil
	case !(a.USD > 0) || math.IsInf(a.USD, 0):
		return fmt.Errorf("%s_usd = %v: want a positive amount of USD", field, a.USD)
	case !havePrices:
		return fmt.Errorf("%s_usd = %v: a USD threshold needs a price table (detect.prices: FILE, a CSV of date,usd lines)", field, a.USD)
	}
	return nil
}

// At returns a in satoshis at Unix time t and the UTC day of the price
// used (the zero time for a satoshi amount). A USD amount rounds up to
// the next satoshi, so that a value reaches it only when it is worth at
// least the USD amount. A USD amount with no price table, or at a time
// before the table's first day, is an error naming the date: a threshold
// is never silently dropped.
func (a Amount) At(t int64, p *PriceTable) (sat uint64, day time.Time, err error) {
	if a.USD == 0 {
		return a.Sat, time.Time{}, nil
	}
	if p == nil {
		return 0, time.Time{}, fmt.Errorf("a threshold of %s USD at %s needs a price table (detect.prices)", usdString(a.USD), time.Unix(t, 0).UTC().Format(time.DateOnly))
	}
	price, day, err := p.Price(t)
	if err != nil {
		return 0, time.Time{}, err
	}
	return uint64(math.Ceil(a.USD / price * 1e8)), day, nil
}

// String formats a for notes and errors: "0.01 BTC" or "500.00 USD".
func (a Amount) String() string {
	if a.USD != 0 {
		return usdString(a.USD) + " USD"
	}
	return btc(a.Sat) + " BTC"
}

// namedAmount is one amount threshold of Config with its key.
type namedAmount struct {
	field string
	a     Amount
}

// amounts returns every amount threshold of c, named as in a config file
// without the _sat/_usd suffix.
func (c Config) amounts() []namedAmount {
	return []namedAmount{
		{"deposit_sweep.min_deposit", c.DepositSweep.MinDeposit()},
		{"peel_chain.min_input", c.PeelChain.MinInput()},
		{"fan_in.min_total", c.FanIn.MinTotal()},
		{"fan_out.min_total", c.FanOut.MinTotal()},
		{"pass_through.min_amount", c.PassThrough.MinAmount()},
		{"hawala.min_settlement", c.Hawala.MinSettlement()},
		{"round_amount.min_amount", c.RoundAmount.MinAmount()},
		{"chain_hop.min_amount", c.ChainHop.MinAmount()},
		{"sanctioned_contact.min_amount", c.Sanctioned.MinAmount()},
	}
}

// floor returns amount a of the threshold named field in satoshis at Unix
// time t, with an error naming the field and the date when it cannot be
// converted.
func (c *Context) floor(field string, a Amount, t int64) (uint64, error) {
	if a.USD == 0 {
		return a.Sat, nil
	}
	sat, _, err := a.At(t, c.Prices)
	if err != nil {
		return 0, fmt.Errorf("detect.%s_usd: %w", field, err)
	}
	return sat, nil
}

// below reports whether v, moved in transaction t, is below the threshold
// a named field (at t's day for a USD threshold); never when a is zero.
func (c *Context) below(field string, a Amount, v uint64, t *Tx) (bool, error) {
	if a.IsZero() {
		return false, nil
	}
	min, err := c.floor(field, a, t.Time)
	if err != nil {
		return false, fmt.Errorf("transaction %s at height %d: %w", TxidString(t.Txid), t.Height, err)
	}
	return v < min, nil
}
