package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"github.com/spoorhq/spoor/api"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/heuristics/ethcluster"
	"gopkg.in/yaml.v3"
)

// Config is everything spoor can be told in its YAML configuration file.
// config.example.yaml documents every field; command-line flags override
// the file.
type Config struct {
	DataDir string        `yaml:"datadir"`
	Log     LogConfig     `yaml:"log"`
	Metrics MetricsConfig `yaml:"metrics"`
	Bitcoin BitcoinConfig `yaml:"bitcoin"`
	Index   IndexConfig   `yaml:"index"`
	Storage StorageConfig `yaml:"storage"`
	Trace   TraceConfig   `yaml:"trace"`
	Serve   ServeConfig   `yaml:"serve"`
	// Simulate configures the simulated worlds of spoor simulate.
	Simulate SimulateConfig `yaml:"simulate"`
	// Ethereum is documented in ethereum.go.
	Ethereum EthereumConfig `yaml:"ethereum"`
	Cluster  ClusterConfig  `yaml:"cluster"`
	// Export is documented in export.go.
	Export ExportConfig `yaml:"export"`
	// Detect holds the thresholds of the laundering detectors (spoor
	// detect); heuristics/detect documents every field.
	Detect detect.Config `yaml:"detect"`
	// EthereumCluster chooses the Ethereum clustering heuristics and
	// their parameters (spoor cluster build --chain ethereum);
	// heuristics/ethcluster documents every field.
	EthereumCluster ethcluster.Config `yaml:"ethereum_cluster"`
}

// SimulateConfig configures spoor simulate: the world of each chain
// (docs/truth.md documents every field).
type SimulateConfig struct {
	Bitcoin sim.World `yaml:"bitcoin"`
}

// LogConfig configures structured logging.
type LogConfig struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// MetricsConfig configures the Prometheus endpoint.
type MetricsConfig struct {
	Listen string `yaml:"listen"`
}

// BitcoinConfig says which Bitcoin network to index and where to read it.
type BitcoinConfig struct {
	Network string    `yaml:"network"`
	Blocks  []string  `yaml:"blocks"`
	RPC     RPCConfig `yaml:"rpc"`
}

// RPCConfig says how to reach a node.
type RPCConfig struct {
	URL     string        `yaml:"url"`
	User    string        `yaml:"user"`
	Pass    string        `yaml:"pass"`
	Cookie  string        `yaml:"cookie"`
	Timeout time.Duration `yaml:"timeout"`
	Retries int           `yaml:"retries"`
}

// IndexConfig tunes the indexer.
type IndexConfig struct {
	Workers            int           `yaml:"workers"`
	Window             int           `yaml:"window"`
	FinalityDepth      int32         `yaml:"finality_depth"`
	Lag                int32         `yaml:"lag"`
	StopHeight         int32         `yaml:"stop_height"`
	Follow             bool          `yaml:"follow"`
	PollInterval       time.Duration `yaml:"poll_interval"`
	MaxReorgDepth      int32         `yaml:"max_reorg_depth"`
	BulkBatchBytes     int           `yaml:"bulk_batch_bytes"`
	BulkCommitInterval time.Duration `yaml:"bulk_commit_interval"`
	UTXOCacheTxs       int           `yaml:"utxo_cache_txs"`
	AddrCacheEntries   int           `yaml:"addr_cache_entries"`
	Progress           string        `yaml:"progress"`
}

// StorageConfig tunes Pebble.
type StorageConfig struct {
	CacheBytes      int64  `yaml:"cache_bytes"`
	MemTableBytes   uint64 `yaml:"memtable_bytes"`
	BloomBitsPerKey int    `yaml:"bloom_bits_per_key"`
}

// DefaultConfig returns the configuration used when neither a file nor a
// flag says otherwise. Zero values in the index and storage sections mean
// the packages' own defaults.
func DefaultConfig() Config {
	return Config{
		DataDir: "spoor-data",
		Log:     LogConfig{Level: "info", Format: "text"},
		Bitcoin: BitcoinConfig{Network: "mainnet", RPC: RPCConfig{Timeout: 60 * time.Second, Retries: 5}},
		Index:   IndexConfig{Progress: "auto"},
		Cluster: ClusterConfig{Enabled: true},
	}
}

// LoadConfig reads a YAML configuration file over the defaults. Unknown
// fields are errors, so a misspelt option is not silently ignored.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// ServeConfig configures spoor serve: where it listens, who may use it
// and the limits every request is held to. Zero values mean the defaults
// given in config.example.yaml.
type ServeConfig struct {
	Listen           string          `yaml:"listen"`
	Keys             []api.KeyConfig `yaml:"keys"`
	MaxDepth         int             `yaml:"max_depth"`
	MaxCost          int64           `yaml:"max_cost"`
	MaxPageSize      int             `yaml:"max_page_size"`
	MaxBodyBytes     int64           `yaml:"max_body_bytes"`
	MaxResponseBytes int64           `yaml:"max_response_bytes"`
	Timeout          time.Duration   `yaml:"timeout"`
	RatePerSecond    float64         `yaml:"rate_per_second"`
	RateBurst        int             `yaml:"rate_burst"`
	BadKeysPerSecond float64         `yaml:"bad_keys_per_second"`
	BadKeysBurst     int             `yaml:"bad_keys_burst"`
	MaxConcurrent    int             `yaml:"max_concurrent"`
	AuditSync        string          `yaml:"audit_sync"`
	// TraceCacheEntries sizes the shared read cache of traces and
	// screenings, in rows per table (default 262144).
	TraceCacheEntries int `yaml:"trace_cache_entries"`
	// MaxBulkScreen bounds the addresses of one bulk screening (default
	// 10000).
	MaxBulkScreen int `yaml:"max_bulk_screen"`
	// GCPercent is the Go GC target of the server (default 400; $GOGC
	// overrides it).
	GCPercent int `yaml:"gc_percent"`
	// Procs is how many threads run the server's Go code at once
	// (GOMAXPROCS; default one per core; $GOMAXPROCS overrides it).
	Procs int `yaml:"procs"`
}
