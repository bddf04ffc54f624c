package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/chains/bitcoin/sim"
	"github.com/spoorhq/spoor/heuristics/detect"
	"github.com/spoorhq/spoor/indexer"
	"github.com/spoorhq/spoor/storage"
)

// openDetectDB opens the index of network (the only one when empty) and
// returns it with its network.
func (c *cli) openDetectDB(cfg Config, network string, readOnly bool) (*storage.DB, bitcoin.Network, error) {
	if network == "" {
		var err error
		if network, err = onlyNetwork(cfg.DataDir); err != nil {
			return nil, bitcoin.Network{}, err
		}
	}
	net, err := bitcoin.LookupNetwork(network)
	if err != nil {
		return nil, net, err
	}
	log := slog.New(slog.DiscardHandler)
	db, err := openBitcoinDB(cfg, net, readOnly, log)
	return db, net, err
}

// loadWorld loads the detection world of db.
func loadWorld(ctx context.Context, db *storage.DB, net bitcoin.Network) (*detect.World, error) {
	return detect.Load(ctx, db, func(id storage.AddrID) (string, error) {
		rec, err := db.Address(id)
		if err != nil {
			return "", err
		}
		return bitcoin.EncodeAddress(net, bitcoin.ScriptClass(rec.Class), rec.Payload)
	})
}

func (c *cli) registerDetect(cmds map[string]func(context.Context, Config) error) {
	var network, chainName string
	netFlag := "Bitcoin network of the index (default: the only one in the data directory)."
	chainFlag := "Chain of the index: bitcoin, or ethereum (the index of spoor index ethereum)."

	det := c.app.Command("detect", "Run every laundering and off-ramp detector over the index and store findings and alerts (replacing the previous run).")
	det.Flag("network", netFlag).StringVar(&network)
	det.Flag("chain", chainFlag).Default("bitcoin").EnumVar(&chainName, "bitcoin", "ethereum")
	var only []string
	det.Flag("detector", "Run only this detector (repeatable); deposit sweeps always run first.").StringsVar(&only)
	var dropInc bool
	var notify bool
	notifyWait := 30 * time.Second
	det.Flag("notify", "Post the alerts this run raises that no earlier run raised (not in the previous batch run, not raised by incremental detection) to the webhooks of detect.webhooks, signed as spoor index signs them.").BoolVar(&notify)
	det.Flag("notify-wait", "With --notify, how long to wait for the webhooks to acknowledge; events still unacknowledged stay in the outbox, and spoor index delivers them at its next start.").DurationVar(&notifyWait)
	det.Flag("drop-incremental", "Instead, delete what incremental detection stored (findings, alert versions, its tip; not the webhook outbox), so that the next spoor index runs it again from the first block, for example with another window.").BoolVar(&dropInc)
	cmds[det.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if chainName == "ethereum" {
			if notify || dropInc {
				return errors.New("detect --chain ethereum: --notify and --drop-incremental apply to Bitcoin only")
			}
			return c.detectEthereum(ctx, cfg, only)
		}
		db, net, err := c.openDetectDB(cfg, network, false)
		if err != nil {
			return err
		}
		defer db.Close()
		if dropInc {
			if err := db.DropIncDetection(detect.IncrementalIndexName); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, "incremental detection dropped; spoor index with detect.incremental.enabled runs it again from the first block")
			return nil
		}
		var deliver *detect.Deliverer
		if notify {
			if len(cfg.Detect.Webhooks) == 0 {
				return errors.New("detect --notify: no webhooks configured (detect.webhooks in the config file)")
			}
			// Before the run: a missing secret fails now, not after it.
			if deliver, err = detect.NewDeliverer(db, cfg.Detect, os.Getenv, slog.New(slog.DiscardHandler)); err != nil {
				return fmt.Errorf("config detect: %w", err)
			}
		}
		start := time.Now()
		w, err := loadWorld(ctx, db, net)
		if err != nil {
			return err
		}
		res, err := detect.Run(ctx, w, cfg.Detect, only)
		if err != nil {
			return err
		}
		var fresh []*detect.Alert
		if notify {
			// Queued before the run is stored: a crash in between sends
			// these alerts again at the next run (receivers drop repeats
			// by alert id), never loses them.
			if fresh, err = detect.NewAlerts(db, res); err != nil {
				return err
			}
			var tip uint32
			if len(w.Txs) > 0 {
				tip = w.Txs[len(w.Txs)-1].Height
			}
			if err := detect.QueueAlerts(db, tip, fresh); err != nil {
				return err
			}
		}
		if err := detect.Store(db, res); err != nil {
			return err
		}
		c.printDetectRun(res, fmt.Sprintf("%d transactions", len(w.Txs)), start)
		if notify {
			wctx, cancel := context.WithTimeout(ctx, notifyWait)
			pending, err := deliver.Drain(wctx)
			cancel()
			if err != nil {
				fmt.Fprintf(c.stderr, "warning: webhook delivery: %v\n", err)
			}
			fmt.Fprintf(c.stdout, "%d new alerts queued for %d webhook(s)\n", len(fresh), len(cfg.Detect.Webhooks))
			for i, n := range pending {
				if n > 0 {
					fmt.Fprintf(c.stderr, "warning: webhook %s has %d events not acknowledged after %s; they stay in the outbox and spoor index delivers them at its next start\n",
						cfg.Detect.Webhooks[i].URL, n, notifyWait)
				}
			}
		}
		return nil
	}

	fnd := c.app.Command("findings", "List stored findings, of one address or all.")
	fndAddr := fnd.Arg("address", "Only findings naming this address.").String()
	var fndDet, fndSource string
	var fndJSON bool
	fnd.Flag("detector", "Only this detector's findings.").StringVar(&fndDet)
	fnd.Flag("source", "Only the latest batch run's findings (batch) or those raised as blocks were indexed (incremental); default both.").EnumVar(&fndSource, detect.SourceBatch, detect.SourceIncremental)
	fnd.Flag("json", "Print JSON.").BoolVar(&fndJSON)
	fnd.Flag("network", netFlag).StringVar(&network)
	fnd.Flag("chain", chainFlag).Default("bitcoin").EnumVar(&chainName, "bitcoin", "ethereum")
	cmds[fnd.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if fndDet != "" {
			if err := detect.CheckName(fndDet); err != nil {
				return err
			}
		}
		db, lookup, err := c.openFindingsDB(cfg, chainName, network)
		if err != nil {
			return err
		}
		defer db.Close()
		filter := detect.FindingFilter{Detector: fndDet, Source: fndSource}
		if *fndAddr != "" {
			id, err := lookup(*fndAddr)
			if errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("address %s is not in the index", *fndAddr)
			} else if err != nil {
				return err
			}
			filter.Addrs = []storage.AddrID{id}
		}
		var fs []detect.Finding
		var raised []string
		for after := ""; ; {
			page, more, err := detect.ReadFindings(db, filter, after, 1000)
			if err != nil {
				return err
			}
			for _, f := range page {
				fs = append(fs, f.Finding)
				where := ""
				if f.Source == detect.SourceIncremental {
					where = fmt.Sprintf(" (raised at height %d)", f.RaisedAt)
				}
				raised = append(raised, where)
			}
			if !more || len(page) == 0 {
				break
			}
			after = page[len(page)-1].Cursor
		}
		if fndJSON {
			if fs == nil {
				fs = []detect.Finding{}
			}
			return writeJSON(c.stdout, fs)
		}
		for i, f := range fs {
			fmt.Fprintf(c.stdout, "%s %s %s%s: %s\n", f.Detector, f.Reason, f.Subject, raised[i], f.Summary)
			for _, e := range f.Evidence {
				usd := ""
				if e.PriceDay != "" {
					usd = fmt.Sprintf(" (%.2f USD at the %s price)", e.USD, e.PriceDay)
				}
				if e.Asset != "" {
					fmt.Fprintf(c.stdout, "  %s height %d %s -> %s %s %s: %s\n", e.Txid, e.Height, e.From, e.To, e.Value, e.Asset, e.Note)
					continue
				}
				fmt.Fprintf(c.stdout, "  %s height %d %s %s BTC%s %s\n", e.Txid, e.Height, e.Address, btc(e.Amount), usd, e.Note)
			}
		}
		fmt.Fprintf(c.stdout, "%d findings\n", len(fs))
		return nil
	}

	al := c.app.Command("alerts", "Alerts: list them (the default), or review one.")
	list := al.Command("list", "List stored alerts and the false-positive rate per detector from reviews.").Default()
	var alJSON bool
	list.Flag("json", "Print JSON.").BoolVar(&alJSON)
	var alSource string
	list.Flag("source", "Only the latest batch run's alerts (batch) or incremental detection's (incremental); default both.").EnumVar(&alSource, detect.SourceBatch, detect.SourceIncremental)
	list.Flag("network", netFlag).StringVar(&network)
	list.Flag("chain", chainFlag).Default("bitcoin").EnumVar(&chainName, "bitcoin", "ethereum")
	cmds[list.FullCommand()] = func(ctx context.Context, cfg Config) error {
		db, _, err := c.openFindingsDB(cfg, chainName, network)
		if err != nil {
			return err
		}
		defer db.Close()
		stored, _, err := detect.ReadAlerts(db, detect.AlertFilter{Source: alSource}, "", 1<<30)
		if err != nil {
			return err
		}
		sort.SliceStable(stored, func(i, j int) bool { return stored[i].Score > stored[j].Score })
		var alerts []detect.Alert
		var where []string
		for _, sa := range stored {
			alerts = append(alerts, sa.Alert)
			w := ""
			if sa.Source == detect.SourceIncremental {
				w = fmt.Sprintf(" (incremental, raised at height %d)", sa.RaisedAt)
			}
			where = append(where, w)
		}
		var reviews []detect.Review
		if err := db.ScanReviews(func(_ storage.ReviewKey, v []byte) error {
			r, err := detect.DecodeReview(v)
			reviews = append(reviews, r)
			return err
		}); err != nil {
			return err
		}
		reviewed, fp := detect.FalsePositiveRates(reviews)
		if alJSON {
			type rate struct {
				Reviewed       int     `json:"reviewed"`
				FalsePositives int     `json:"false_positives"`
				Rate           float64 `json:"false_positive_rate"`
			}
			rates := map[string]rate{}
			for d, n := range reviewed {
				rates[d] = rate{n, fp[d], float64(fp[d]) / float64(n)}
			}
			if alerts == nil {
				alerts = []detect.Alert{}
			}
			return writeJSON(c.stdout, map[string]any{"alerts": alerts, "false_positive_rates": rates})
		}
		for i, a := range alerts {
			fmt.Fprintf(c.stdout, "%s score %.2f %s [%s]%s\n  %s\n", a.ID, a.Score, a.Subject, strings.Join(a.Reasons, ","), where[i], a.Description)
			for _, ind := range a.Indicators {
				fmt.Fprintf(c.stdout, "  - %s %s: %s\n", ind.Detector, ind.Reason, ind.Summary)
			}
			for _, ind := range a.Supporting {
				fmt.Fprintf(c.stdout, "  + supporting %s: %s\n", ind.Detector, ind.Summary)
			}
		}
		fmt.Fprintf(c.stdout, "%d alerts\n", len(alerts))
		ds := make([]string, 0, len(reviewed))
		for d := range reviewed {
			ds = append(ds, d)
		}
		sort.Strings(ds)
		for _, d := range ds {
			fmt.Fprintf(c.stdout, "false positives of %s: %d of %d reviewed alerts (%.1f%%)\n", d, fp[d], reviewed[d], 100*float64(fp[d])/float64(reviewed[d]))
		}
		return nil
	}

	rev := al.Command("review", "Mark an alert confirmed or a false positive, with a note; the mark is stored and audited.")
	revID := rev.Arg("id", "The alert's id, as spoor alerts prints it.").Required().String()
	var confirm, falsePos bool
	var note string
	rev.Flag("confirm", "The alert is right.").BoolVar(&confirm)
	rev.Flag("false-positive", "The alert is wrong.").BoolVar(&falsePos)
	rev.Flag("note", "Why.").Required().StringVar(&note)
	rev.Flag("network", netFlag).StringVar(&network)
	cmds[rev.FullCommand()] = func(ctx context.Context, cfg Config) error {
		if confirm == falsePos {
			return errors.New("alerts review: give exactly one of --confirm and --false-positive")
		}
		id, err := detect.ParseAlertID(*revID)
		if err != nil {
			return err
		}
		db, _, err := c.openDetectDB(cfg, network, false)
		if err != nil {
			return err
		}
		defer db.Close()
		verdict := detect.VerdictConfirmed
		if falsePos {
			verdict = detect.VerdictFalsePositive
		}
		who := ""
		if u, err := user.Current(); err == nil {
			who = u.Username
		}
		r, err := detect.MarkAlert(db, db, id, verdict, note, who, time.Now().UnixNano())
		if errors.Is(err, detect.ErrUnknownAlert) {
			return fmt.Errorf("alerts review: no alert %s in the latest detection run or incremental detection (spoor alerts lists them)", *revID)
		} else if err != nil {
			return err
		}
		if err := auditCLI(ctx, cfg, "alerts.review", map[string]any{"alert": r.Alert, "verdict": r.Verdict, "note": note, "detectors": r.Detectors}, 0); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "alert %s marked %s\n", r.Alert, r.Verdict)
		return nil
	}

	ev := c.app.GetCommand("eval").Command("detect", "Precision, recall and F1 per detector of the stored findings against a simulator's truth.jsonl, and the false-positive rate on decoys.")
	truthPath := ev.Flag("truth", "The truth.jsonl written by spoor simulate.").Required().String()
	var evJSON bool
	ev.Flag("json", "Print JSON.").BoolVar(&evJSON)
	evSource := detect.SourceBatch
	ev.Flag("source", "Score the latest batch run (batch, the default) or what incremental detection raised (incremental).").EnumVar(&evSource, detect.SourceBatch, detect.SourceIncremental)
	ev.Flag("network", netFlag).StringVar(&network)
	cmds[ev.FullCommand()] = func(ctx context.Context, cfg Config) error {
		truth, err := sim.ReadTruthFile(*truthPath)
		if err != nil {
			return err
		}
		db, net, err := c.openDetectDB(cfg, network, true)
		if err != nil {
			return err
		}
		defer db.Close()
		var fs []detect.Finding
		for after := ""; ; {
			page, more, err := detect.ReadFindings(db, detect.FindingFilter{Source: evSource}, after, 1000)
			if err != nil {
				return err
			}
			for _, f := range page {
				fs = append(fs, f.Finding)
			}
			if !more || len(page) == 0 {
				break
			}
			after = page[len(page)-1].Cursor
		}
		if len(fs) == 0 {
			return fmt.Errorf("eval detect: no stored %s findings: run spoor detect first (or index with detect.incremental.enabled)", evSource)
		}
		swept := func(addr string) bool {
			class, payload, err := bitcoin.ParseAddress(net, addr)
			if err != nil {
				return false
			}
			id, err := db.LookupAddr(uint8(class), payload)
			if err != nil {
				return false
			}
			spent := false
			_ = db.Postings(id, nil, func(p storage.Posting) bool {
				spent = p.Role == storage.RoleSpend
				return !spent
			})
			return spent
		}
		var alerts []detect.Alert
		stored, _, err := detect.ReadAlerts(db, detect.AlertFilter{Source: evSource}, "", 1<<30)
		if err != nil {
			return err
		}
		for _, a := range stored {
			alerts = append(alerts, a.Alert)
		}
		rep, err := detect.Evaluate(truth, fs, alerts, swept)
		if err != nil {
			return err
		}
		if evJSON {
			return writeJSON(c.stdout, rep)
		}
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "detector\tplanted\tfound\tdecoy hits\tcross hits\tbackground\tfindings\tprecision\trecall\tF1")
		for _, s := range rep.Scores {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\n", s.Detector, s.Planted, s.Found, s.DecoyHits, s.CrossHits, s.Background, s.Findings, s.Precision, s.Recall, s.F1)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "decoys: %d, hit by a detector: %d (false-positive rate %.1f%%)\n", rep.Decoys, rep.DecoysHit, 100*rep.DecoyFPRate)
		fmt.Fprintf(c.stdout, "alerts: %d, naming a planted instance: %d, on a decoy's entity: %d\n", rep.Alerts, rep.AlertsOnPlanted, rep.AlertsOnDecoys)
		for _, m := range rep.MissedDetail {
			fmt.Fprintln(c.stdout, m)
		}
		return nil
	}
}

// detectIndexes returns the incremental detection index when the detect
// section enables it, after running any detection a crash left undone,
// and starts delivering webhook events when webhooks are configured. With
// webhooks but incremental detection off, it warns on stderr and only
// delivers what the outbox holds (events queued by spoor detect
// --notify). The returned function stops the deliverer; undelivered
// events stay in the outbox for the next start.
func detectIndexes(ctx context.Context, cfg Config, db *storage.DB, net bitcoin.Network, log *slog.Logger, stderr io.Writer) ([]indexer.Index, func(), error) {
	var x *detect.Incremental
	if cfg.Detect.Incremental.Enabled {
		var err error
		if x, err = detect.NewIncremental(ctx, db, cfg.Detect, addressNamer(db, net), log); err != nil {
			return nil, nil, fmt.Errorf("config detect: %w", err)
		}
	} else if len(cfg.Detect.Webhooks) > 0 {
		fmt.Fprintln(stderr, "warning: config detect.webhooks without detect.incremental.enabled: spoor index raises no alerts; it only delivers the events left in the outbox (by spoor detect --notify)")
	}
	stop := func() {}
	if len(cfg.Detect.Webhooks) > 0 {
		d, err := detect.NewDeliverer(db, cfg.Detect, os.Getenv, log)
		if err != nil {
			return nil, nil, fmt.Errorf("config detect: %w", err)
		}
		if x != nil {
			x.Notify = d.Wake
		}
		dctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = d.Run(dctx, 30*time.Second)
		}()
		stop = func() {
			cancel()
			<-done
			// One last pass for what the final blocks raised, bounded.
			fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if _, err := d.DeliverDue(fctx); err != nil {
				log.Warn("webhook delivery at exit", "err", err)
			}
			fcancel()
			if p, err := d.Pending(); err == nil {
				for i, n := range p {
					if n > 0 {
						log.Warn("webhook events not yet acknowledged; they are delivered at the next start", "url", cfg.Detect.Webhooks[i].URL, "events", n)
					}
				}
			}
		}
	}
	if x == nil {
		return nil, stop, nil
	}
	if err := x.Detect(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return []indexer.Index{x}, stop, nil
}
