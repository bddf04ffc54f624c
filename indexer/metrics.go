package indexer

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the indexer's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	blocks       prometheus.Counter
	txs          prometheus.Counter
	height       prometheus.Gauge
	sourceHeight prometheus.Gauge
	reorgs       prometheus.Counter
	disconnected prometheus.Counter
	commitTime   prometheus.Histogram
	cacheHits    prometheus.Counter
	cacheMisses  prometheus.Counter
}

// NewMetrics creates the indexer's metrics and registers them with r, if r
// is not nil.
func NewMetrics(r prometheus.Registerer) *Metrics {
	m := &Metrics{
		blocks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_index_blocks_total", Help: "Blocks connected to the index."}),
		txs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_index_txs_total", Help: "Transactions connected to the index."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "spoor_index_height", Help: "Height of the last committed block."}),
		sourceHeight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "spoor_index_source_height", Help: "Height of the source's best block; the lag is this minus spoor_index_height."}),
		reorgs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_index_reorgs_total", Help: "Reorganizations handled by disconnecting blocks."}),
		disconnected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_index_disconnected_blocks_total", Help: "Blocks disconnected by reorganizations."}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "spoor_index_commit_duration_seconds", Help: "Time to commit one batch of blocks.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10)}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_index_utxo_cache_hits_total", Help: "Inputs resolved from the output cache."}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spoor_index_utxo_cache_misses_total", Help: "Inputs resolved by reading the index."}),
	}
	if r != nil {
		r.MustRegister(m.blocks, m.txs, m.height, m.sourceHeight, m.reorgs, m.disconnected, m.commitTime, m.cacheHits, m.cacheMisses)
	}
	return m
}
