package ethereum

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the Ethereum indexer's Prometheus metrics. A nil *Metrics
// records nothing.
type Metrics struct {
	blocks       prometheus.Counter
	txs          prometheus.Counter
	transfers    prometheus.Counter
	height       prometheus.Gauge
	sourceHeight prometheus.Gauge
	reorgs       prometheus.Counter
	disconnected prometheus.Counter
	commitTime   prometheus.Histogram
}

// NewMetrics creates the Ethereum indexer's metrics and registers them
// with r, if r is not nil. Their names start spoor_ethereum_index_, so
// they can share a registry with the Bitcoin indexer's.
func NewMetrics(r prometheus.Registerer) *Metrics {
	m := &Metrics{
		blocks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_ethereum_index_blocks_total", Help: "Ethereum blocks connected to the index."}),
		txs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_ethereum_index_txs_total", Help: "Ethereum transactions connected to the index (system transactions not counted)."}),
		transfers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_ethereum_index_transfers_total", Help: "Transfer edges (native, internal, token, fees, mints) connected to the index."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "spoor_ethereum_index_height", Help: "Number of the last committed block."}),
		sourceHeight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "spoor_ethereum_index_source_height", Help: "Number of the node's best block; the lag is this minus spoor_ethereum_index_height."}),
		reorgs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_ethereum_index_reorgs_total", Help: "Reorganizations handled by disconnecting blocks."}),
		disconnected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_ethereum_index_disconnected_blocks_total", Help: "Blocks disconnected by reorganizations."}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "spoor_ethereum_index_commit_duration_seconds", Help: "Time to commit one batch of blocks.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}),
	}
	if r != nil {
		r.MustRegister(m.blocks, m.txs, m.transfers, m.height, m.sourceHeight, m.reorgs, m.disconnected, m.commitTime)
	}
	return m
}
