package sim

import (
	"bufio"
	"fmt"
	"os"
)

// LabelsFile is the name of the public-source labels Generate writes next
// to the block files.
const LabelsFile = "labels.csv"

// labelChain is the chain column of labels.csv.
const labelChain = "bitcoin-regtest"

// label is what an investigator would know about one entity's addresses
// from public sources.
type label struct {
	category, source string
	confidence       int
}

// publicLabel returns the public label of e's addresses, if any: exchange
// hot and cold wallets, the instant exchanger's hot wallet, CoinJoin
// coordinators' fee addresses and every address of a sanctioned entity.
func publicLabel(e *entity) (label, bool) {
	switch {
	case e.kind == kindExchange && (e.role == roleHot || e.role == roleCold):
		return label{"exchange", "sim:exchange-attribution", 90}, true
	case e.kind == kindService && e.role == roleHot:
		return label{"exchange", "sim:service-attribution", 80}, true
	case e.kind == kindCoordinator:
		return label{"coinjoin", "sim:coordinator-fee-address", 95}, true
	case e.kind == kindSanctioned:
		return label{"sanction", "sim:sanctions-list", 100}, true
	}
	return label{}, false
}

// writeLabels writes labels.csv at path from the entities of l. Addresses
// of a block that was never written (l.fresh after a failed block) are
// left out.
func writeLabels(path string, l *ledger) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create labels file: %w", err)
	}
	unwritten := make(map[addrRef]bool, len(l.fresh))
	for _, r := range l.fresh {
		unwritten[r] = true
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "address,chain,entity,category,source,confidence")
	for _, e := range l.entities {
		lb, ok := publicLabel(e)
		if !ok {
			continue
		}
		for i := range e.keys {
			if unwritten[addrRef{e, uint32(i)}] {
				continue
			}
			a, err := encodeAddress(e.fam.script, &e.keys[i], l.params)
			if err != nil {
				f.Close()
				return fmt.Errorf("labels: address %d of %s: %w", i, e.name, err)
			}
			fmt.Fprintf(w, "%s,%s,%s,%s,%s,%d\n", a, labelChain, e.name, lb.category, lb.source, lb.confidence)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}
