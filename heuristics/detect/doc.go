// Package detect finds laundering and off-ramp typologies in an indexed
// Bitcoin chain: exchange deposit sweeps, peel chains, structuring below
// thresholds, fan-in aggregation, fan-out smurfing, rapid pass-through,
// hawala-like periodic settlement, round amounts, chain hopping through
// swap services and contact with sanctioned addresses (heuristics
// reference §4).
//
// Each detector is a named, versioned rule (for example "peel_chain/1")
// whose every threshold is configurable (Config, in satoshis and seconds)
// and which emits Findings carrying their evidence: the transactions,
// addresses, amounts and times, and the values the rule measured, in words
// an analyst can check. A finding is an indicator, never a verdict: Alerts
// combine at least two independent indicators on one subject, except a
// direct contact with a sanctioned address, which alerts alone (reference
// §6). Run executes every detector in batch over a World loaded from the
// index; Evaluate scores findings against the simulator's ground truth.
//
// Incremental runs the same detectors as blocks are indexed, over a
// window of recent blocks, storing what each height raised so that a
// reorganisation undoes exactly that; Deliverer posts its new alerts to
// signed, retried webhooks from a persistent outbox. ReadFindings and
// ReadAlerts serve both stores (the API's findings and alerts fields).
// Structuring thresholds may be given in USD with a PriceTable.
package detect
