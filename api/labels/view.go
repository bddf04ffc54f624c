package labels

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/storage"
)

// View is a label as spoor shows it to people and programs.
type View struct {
	// Chain is the index the label is in, such as "bitcoin/mainnet".
	Chain string `json:"chain"`
	// Address or Txid names the subject (a txid in display order).
	Address        string   `json:"address,omitempty"`
	Txid           string   `json:"txid,omitempty"`
	Entity         string   `json:"entity"`
	Category       string   `json:"category,omitempty"`
	Concepts       []string `json:"concepts,omitempty"`
	Source         string   `json:"source"`
	Confidence     uint8    `json:"confidence"`
	ConfidenceName string   `json:"confidence_name,omitempty"`
	// Date is the label's own date (RFC 3339, UTC), if known.
	Date           string   `json:"date,omitempty"`
	Pack           string   `json:"pack"`
	ClusterDefiner bool     `json:"cluster_definer,omitempty"`
	ImportedAt     string   `json:"imported_at,omitempty"`
	Actor          string   `json:"actor,omitempty"`
	TagLabel       string   `json:"tag_label,omitempty"`
	Jurisdictions  []string `json:"jurisdictions,omitempty"`
}

// MakeView renders l, stored in the index of chain ("bitcoin/<network>" or
// "ethereum"). For Bitcoin, net renders the address; an address that has
// no rendering is shown as its class and payload in hex.
func MakeView(chain string, net bitcoin.Network, l *storage.Label) View {
	v := View{Chain: chain, Entity: l.Entity, Category: l.Category, Concepts: l.Concepts, Source: l.Source,
		Confidence: l.Confidence, ConfidenceName: l.ConfidenceName, Date: unixDate(l.LastMod), Pack: l.Pack,
		ClusterDefiner: l.ClusterDefiner, ImportedAt: unixDate(l.ImportedAt), Actor: l.Actor, TagLabel: l.TagLabel,
		Jurisdictions: l.Jurisdictions}
	switch {
	case l.Subject == storage.SubjectTx && chain == ChainEthereum:
		v.Txid = "0x" + hex.EncodeToString(l.Txid[:])
	case l.Subject == storage.SubjectTx:
		var r [32]byte
		for i := range r {
			r[i] = l.Txid[31-i]
		}
		v.Txid = hex.EncodeToString(r[:])
	case chain == ChainEthereum && l.AddrClass == EthereumAddrClass && len(l.AddrPayload) == 20:
		v.Address = EIP55([20]byte(l.AddrPayload))
	default:
		s, err := bitcoin.EncodeAddress(net, bitcoin.ScriptClass(l.AddrClass), l.AddrPayload)
		if err != nil || net.Params == nil {
			s = fmt.Sprintf("class%d:%x", l.AddrClass, l.AddrPayload)
		}
		v.Address = s
	}
	return v
}

func unixDate(t int64) string {
	if t == 0 {
		return ""
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}
