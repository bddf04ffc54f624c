package api

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/spoorhq/spoor/trace"
)

// evidenceFields are the screening fields the exposure index cannot
// answer: asking for any of them makes the screening walk.
var evidenceFields = map[string]bool{"entities": true, "paths": true}

// wantsEvidence reports whether the query selects, anywhere below the
// field being resolved, the entities or paths of an exposure category
// (through fragments too).
func wantsEvidence(p graphql.ResolveParams) bool {
	for _, f := range p.Info.FieldASTs {
		if selectsEvidence(p, f.SelectionSet) {
			return true
		}
	}
	return false
}

// evidenceSides reports which sides of the screening being resolved the
// query asks evidence of: the entities or paths below its receiving
// field, its sending field, or both.
func evidenceSides(p graphql.ResolveParams) (receiving, sending bool) {
	for _, f := range p.Info.FieldASTs {
		eachField(p, f.SelectionSet, false, func(s *ast.Field) bool {
			switch s.Name.Value {
			case "receiving":
				receiving = receiving || selectsEvidence(p, s.SelectionSet)
			case "sending":
				sending = sending || selectsEvidence(p, s.SelectionSet)
			}
			return false
		})
	}
	return receiving, sending
}

// evidenceLimits sets lim to ask for the evidence the query selects, and
// only for the sides it selects it on.
func evidenceLimits(p graphql.ResolveParams, lim trace.ExposureLimits) trace.ExposureLimits {
	r, s := evidenceSides(p)
	lim.Evidence, lim.EvidenceOnly = r || s, 0
	switch {
	case r && !s:
		lim.EvidenceOnly = trace.Receiving
	case s && !r:
		lim.EvidenceOnly = trace.Sending
	}
	return lim
}

// selectsEvidence reports whether ss selects, anywhere below it, the
// entities or paths of an exposure category (through fragments too).
func selectsEvidence(p graphql.ResolveParams, ss *ast.SelectionSet) bool {
	return selects(p, ss, true, func(n string) bool { return evidenceFields[n] })
}
