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
	seen := map[string]bool{}
	var top func(ss *ast.SelectionSet)
	top = func(ss *ast.SelectionSet) {
		if ss == nil {
			return
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == nil {
					continue
				}
				switch s.Name.Value {
				case "receiving":
					receiving = receiving || selectsEvidence(p, s.SelectionSet)
				case "sending":
					sending = sending || selectsEvidence(p, s.SelectionSet)
				}
			case *ast.InlineFragment:
				top(s.SelectionSet)
			case *ast.FragmentSpread:
				if s.Name == nil || seen[s.Name.Value] {
					continue
				}
				seen[s.Name.Value] = true
				if def, ok := p.Info.Fragments[s.Name.Value].(*ast.FragmentDefinition); ok {
					top(def.SelectionSet)
				}
			}
		}
	}
	for _, f := range p.Info.FieldASTs {
		top(f.SelectionSet)
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
	seen := map[string]bool{}
	var walk func(ss *ast.SelectionSet) bool
	walk = func(ss *ast.SelectionSet) bool {
		if ss == nil {
			return false
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name != nil && evidenceFields[s.Name.Value] {
					return true
				}
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.FragmentSpread:
				if s.Name == nil || seen[s.Name.Value] {
					continue
				}
				seen[s.Name.Value] = true
				if def, ok := p.Info.Fragments[s.Name.Value].(*ast.FragmentDefinition); ok && walk(def.SelectionSet) {
					return true
				}
			}
		}
		return false
	}
	return walk(ss)
}
