package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoorhq/spoor/api/audit"
	"github.com/spoorhq/spoor/api/labels"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

func (c *cli) registerLabels(cmds map[string]func(context.Context, Config) error) {
	cmd := c.app.Command("labels", "Import and list address and transaction labels.")

	imp := cmd.Command("import", "Import label files: GraphSense TagPacks and ActorPacks (YAML), the OFAC SDN list (sdn.xml or sdn_advanced.xml) or CSV. Re-importing a pack replaces its earlier labels.")
	files := imp.Arg("file", "Label files; ActorPacks among them resolve the actors of the TagPacks.").Required().Strings()
	var format string
	var skipInvalid bool
	imp.Flag("format", "Format of every file: auto (by extension and root element), tagpack, actorpack, ofac, csv, stix (STIX 2.1 bundle) or misp (MISP event JSON).").Default("auto").StringVar(&format)
	imp.Flag("skip-invalid", "Count and report bad rows (malformed addresses, unknown concepts, wrong network) instead of stopping at the first.").BoolVar(&skipInvalid)
	cmds[imp.FullCommand()] = func(ctx context.Context, cfg Config) error {
		f, err := labels.ParseFormat(format)
		if err != nil {
			return err
		}
		return c.importLabels(ctx, cfg, *files, f, skipInvalid)
	}

	list := cmd.Command("list", "List labels: of one address or transaction, or all of them.")
	subject := list.Arg("subject", "An address or a txid (Bitcoin txid in hex, Ethereum 0x…); none lists every label.").String()
	var asJSON bool
	var network string
	list.Flag("json", "Print JSON.").BoolVar(&asJSON)
	list.Flag("network", "Bitcoin network (default: every indexed network).").StringVar(&network)
	cmds[list.FullCommand()] = func(ctx context.Context, cfg Config) error {
		views, err := listLabels(cfg, *subject, network)
		if err != nil {
			return err
		}
		if asJSON {
			if views == nil {
				views = []labels.View{}
			}
			return writeJSON(c.stdout, views)
		}
		if len(views) == 0 {
			fmt.Fprintln(c.stdout, "no labels")
			return nil
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "chain\tsubject\tentity\tcategory\tconfidence\tsource\tpack")
		for _, v := range views {
			subj := v.Address
			if subj == "" {
				subj = "tx " + v.Txid
			}
			cat := v.Category
			if len(v.Concepts) > 0 {
				cat += " (" + strings.Join(v.Concepts, ", ") + ")"
			}
			conf := fmt.Sprint(v.Confidence)
			if v.ConfidenceName != "" {
				conf += " " + v.ConfidenceName
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Chain, subj, v.Entity, orNone(cat), conf, v.Source, v.Pack)
		}
		return tw.Flush()
	}
}

// importLabels parses every file, then writes the labels to the chain
// indexes of the data directory, one batch per index. Nothing is written
// if any file fails to parse.
func (c *cli) importLabels(ctx context.Context, cfg Config, files []string, format labels.Format, skipInvalid bool) error {
	opts := labels.Options{SkipInvalid: skipInvalid, Now: time.Now()}
	formats := make([]labels.Format, len(files))
	for i, f := range files {
		formats[i] = format
		if format == labels.FormatAuto {
			var err error
			if formats[i], err = labels.DetectFile(f); err != nil {
				return err
			}
		}
	}
	// ActorPacks first, so that tags resolve their actors whatever the
	// order of the files.
	for i, f := range files {
		if formats[i] != labels.FormatActorPack {
			continue
		}
		_, ap, err := labels.ParseFile(ctx, f, formats[i], opts)
		if err != nil {
			return err
		}
		if opts.Actors == nil {
			opts.Actors = map[string]*labels.Actor{}
		}
		for id, a := range ap.Actors {
			if _, dup := opts.Actors[id]; dup {
				return fmt.Errorf("%s: actor %q is also defined in another ActorPack", f, id)
			}
			opts.Actors[id] = a
		}
		fmt.Fprintf(c.stdout, "%s: actorpack %q: %d actors\n", f, ap.Title, len(ap.Actors))
	}
	var (
		entries []labels.Entry
		skipped = map[string]int{}
		invalid []error
	)
	for i, f := range files {
		if formats[i] == labels.FormatActorPack {
			continue
		}
		set, _, err := labels.ParseFile(ctx, f, formats[i], opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s: %s %q: %d labels", f, set.Format, set.Pack, len(set.Entries))
		if n := total(set.Skipped); n > 0 {
			fmt.Fprintf(c.stdout, ", %d skipped", n)
		}
		if len(set.Invalid) > 0 {
			fmt.Fprintf(c.stdout, ", %d invalid", len(set.Invalid))
		}
		fmt.Fprintln(c.stdout)
		entries = append(entries, set.Entries...)
		for r, n := range set.Skipped {
			skipped[r] += n
		}
		invalid = append(invalid, set.Invalid...)
	}
	rt, err := labels.Route(cfg.DataDir, entries, skipInvalid)
	if err != nil {
		return err
	}
	for r, n := range rt.Skipped {
		skipped[r] += n
	}
	invalid = append(invalid, rt.Invalid...)

	stored := 0
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	for _, t := range rt.Targets {
		if err := ctx.Err(); err != nil {
			return err
		}
		res, err := storeTarget(ctx, cfg, t)
		if err != nil {
			return err
		}
		stored += res.Stored
		note := fmt.Sprintf("%d replaced from earlier imports of the same packs", res.Replaced)
		if res.Duplicates > 0 {
			note += fmt.Sprintf(", %d repeated entries", res.Duplicates)
		}
		if t.Create {
			note += ", new index " + t.Dir
		}
		fmt.Fprintf(tw, "%s\tstored %d\t(%s)\n", t.Stamp, res.Stored, note)
	}
	for _, r := range labels.SkipReasons(skipped) {
		fmt.Fprintf(tw, "skipped\t%s\n", r)
	}
	if len(invalid) > 0 {
		fmt.Fprintf(tw, "invalid\t%d rows skipped (--skip-invalid)\n", len(invalid))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, e := range invalid {
		if i == 20 {
			fmt.Fprintf(c.stdout, "  … and %d more\n", len(invalid)-i)
			break
		}
		fmt.Fprintf(c.stdout, "  %v\n", e)
	}

	detail := map[string]any{"files": files, "format": string(format), "stored": stored, "skipped": total(skipped), "invalid": len(invalid)}
	if err := auditCLI(ctx, cfg, audit.OpLabelImport, detail, 0); err != nil {
		return fmt.Errorf("labels stored, but the audit log failed: %w", err)
	}
	return nil
}

// storeTarget opens one chain index for writing and stores its labels.
func storeTarget(ctx context.Context, cfg Config, t *labels.Target) (labels.StoreResult, error) {
	if t.Create {
		if err := os.MkdirAll(t.Dir, 0o755); err != nil {
			return labels.StoreResult{}, err
		}
	}
	db, err := storage.Open(t.Dir, t.Stamp, storageOptions(cfg, false))
	if err != nil {
		return labels.StoreResult{}, err
	}
	res, err := labels.Store(ctx, db, t.Entries)
	return res, errors.Join(err, db.Close())
}

func storageOptions(cfg Config, readOnly bool) *storage.Options {
	return &storage.Options{CacheSize: cfg.Storage.CacheBytes, MemTableSize: cfg.Storage.MemTableBytes,
		BloomBitsPerKey: cfg.Storage.BloomBitsPerKey, ReadOnly: readOnly}
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// labelIndex is one chain index of the data directory that labels are
// read from.
type labelIndex struct {
	stamp string // "bitcoin/<network>" or "ethereum"
	dir   string
	net   bitcoin.Network
}

// labelIndexes returns the chain indexes of the data directory, limited to
// the Bitcoin network if one is given.
func labelIndexes(cfg Config, network string) ([]labelIndex, error) {
	var out []labelIndex
	var nets []string
	if network != "" {
		net, err := bitcoin.LookupNetwork(network)
		if err != nil {
			return nil, err
		}
		nets = []string{net.Name}
	} else {
		ents, err := os.ReadDir(filepath.Join(cfg.DataDir, labels.ChainBitcoin))
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		for _, e := range ents {
			if e.IsDir() {
				nets = append(nets, e.Name())
			}
		}
	}
	sort.Strings(nets)
	for _, n := range nets {
		net, err := bitcoin.LookupNetwork(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(cfg.DataDir, labels.ChainBitcoin, n), err)
		}
		out = append(out, labelIndex{stamp: labels.ChainBitcoin + "/" + net.Name, dir: chainDir(cfg.DataDir, net.Name), net: net})
	}
	eth := filepath.Join(cfg.DataDir, labels.ChainEthereum)
	if _, err := os.Stat(eth); err == nil && network == "" {
		out = append(out, labelIndex{stamp: labels.ChainEthereum, dir: eth})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no index in %s", cfg.DataDir)
	}
	return out, nil
}

// listLabels returns the labels of subject (an address or a transaction
// hash), or every label if subject is empty, from every index it can be
// in.
func listLabels(cfg Config, subject, network string) ([]labels.View, error) {
	idxs, err := labelIndexes(cfg, network)
	if err != nil {
		return nil, err
	}
	subject = strings.TrimSpace(subject)
	isEthTx := len(subject) == 66 && strings.HasPrefix(strings.ToLower(subject), "0x")
	isEthAddr := len(subject) == 42 && strings.HasPrefix(strings.ToLower(subject), "0x")
	_, hexErr := hex.DecodeString(subject)
	isBtcTx := len(subject) == 64 && hexErr == nil
	if isEthTx || isEthAddr {
		hasEth := false
		for _, ix := range idxs {
			hasEth = hasEth || ix.stamp == labels.ChainEthereum
		}
		if !hasEth {
			return nil, fmt.Errorf("%s is an Ethereum subject, but %s has no Ethereum index", subject, cfg.DataDir)
		}
	}
	var views []labels.View
	var misses []string
	for _, ix := range idxs {
		isEth := ix.stamp == labels.ChainEthereum
		if subject != "" && isEth != (isEthTx || isEthAddr) {
			continue
		}
		var sub labels.Subject
		switch {
		case subject == "":
		case isEthTx:
			sub, err = labels.ParseTxHash(labels.ChainEthereum, subject)
		case isEthAddr:
			sub, err = labels.ParseAddress(labels.ChainEthereum, labels.EthereumNetwork, subject)
		case isBtcTx:
			sub, err = labels.ParseTxHash(labels.ChainBitcoin, subject)
		default:
			sub, err = labels.ParseAddress(labels.ChainBitcoin, ix.net.Name, subject)
		}
		if err != nil {
			misses = append(misses, err.Error())
			continue
		}
		db, err := storage.Open(ix.dir, ix.stamp, storageOptions(cfg, true))
		if err != nil {
			return nil, err
		}
		var ls []storage.Label
		switch {
		case subject == "":
			err = db.ScanLabels(func(l *storage.Label) error { ls = append(ls, *l); return nil })
		case sub.IsTx:
			ls, err = db.TxLabels(sub.Txid)
		default:
			ls, err = db.AddressLabels(sub.Class, sub.Payload)
		}
		err = errors.Join(err, db.Close())
		if err != nil {
			return nil, err
		}
		for i := range ls {
			views = append(views, labels.MakeView(ix.stamp, ix.net, &ls[i]))
		}
	}
	if subject != "" && views == nil && len(misses) > 0 {
		return nil, errors.New(strings.Join(misses, "; "))
	}
	return views, nil
}
