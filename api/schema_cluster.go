package api

import (
	"errors"
	"fmt"
	"sort"

	"github.com/graphql-go/graphql"
	"github.com/spoorhq/spoor/chains/bitcoin"
	"github.com/spoorhq/spoor/heuristics/cluster"
	"github.com/spoorhq/spoor/storage"
)

// ClusterArea serves the active clustering of one Bitcoin index to
// viewers: an address's cluster with its members paged, and why two
// addresses share a cluster. views is nil when the index has no
// clustering; the fields then say so.
func ClusterArea(views *cluster.Views) Area {
	return func(b *Builder) (graphql.Fields, error) {
		return clusterFields(b, views), nil
	}
}

type scriptCount struct {
	class string
	n     int
}

func clusterFields(b *Builder, views *cluster.Views) graphql.Fields {
	long := b.Long()
	nn := graphql.NewNonNull
	list := func(t graphql.Type) graphql.Output { return nn(graphql.NewList(nn(t))) }
	typeCount := graphql.NewObject(graphql.ObjectConfig{Name: "ScriptTypeCount", Description: "How many of a cluster's addresses have one script type.", Fields: graphql.Fields{
		"type":  field(nn(graphql.String), "The script type (p2pkh, p2wpkh, p2tr, …).", func(s any) any { return s.(scriptCount).class }),
		"count": field(nn(graphql.Int), "Addresses of that type.", func(s any) any { return s.(scriptCount).n }),
	}})
	clusterT := graphql.NewObject(graphql.ObjectConfig{Name: "Cluster", Description: "The addresses the active clustering groups with one address, as one wallet.", Fields: graphql.Fields{
		"address":             field(nn(graphql.String), "The address asked about.", func(s any) any { return s.(*cluster.ClusterView).Address }),
		"cluster":             field(nn(graphql.String), "The address naming the cluster (its first-numbered member).", func(s any) any { return s.(*cluster.ClusterView).Cluster }),
		"generation":          field(nn(graphql.Int), "The clustering generation answering.", func(s any) any { return int(s.(*cluster.ClusterView).Generation) }),
		"heuristicSet":        field(nn(graphql.String), "The heuristics of that clustering.", func(s any) any { return s.(*cluster.ClusterView).Set }),
		"heuristicSetVersion": field(nn(graphql.String), "Their version.", func(s any) any { return s.(*cluster.ClusterView).Version }),
		"size":                field(nn(long), "Addresses in the cluster.", func(s any) any { return s.(*cluster.ClusterView).Size }),
		"receivedSat":         field(nn(long), "Value the cluster's addresses received, in satoshi.", func(s any) any { return s.(*cluster.ClusterView).Received }),
		"sentSat":             field(nn(long), "Value they spent, in satoshi.", func(s any) any { return s.(*cluster.ClusterView).Sent }),
		"outputs":             field(nn(long), "Outputs paid to them.", func(s any) any { return s.(*cluster.ClusterView).Outputs }),
		"inputs":              field(nn(long), "Inputs spending them.", func(s any) any { return s.(*cluster.ClusterView).Inputs }),
		"firstSeen":           field(nn(graphql.Int), "Height the cluster was first seen at.", func(s any) any { return int(s.(*cluster.ClusterView).FirstSeen) }),
		"lastSeen":            field(nn(graphql.Int), "Height it was last seen at.", func(s any) any { return int(s.(*cluster.ClusterView).LastSeen) }),
		"scriptTypes": field(list(typeCount), "The mix of script types, by type name.", func(s any) any {
			var out []scriptCount
			for k, n := range s.(*cluster.ClusterView).Types {
				out = append(out, scriptCount{k, n})
			}
			sort.Slice(out, func(i, j int) bool { return out[i].class < out[j].class })
			return out
		}),
		"members":    field(list(graphql.String), "One page of members, in address-number order.", func(s any) any { return s.(*cluster.ClusterView).Members }),
		"nextCursor": field(graphql.String, "Pass as after for the next page; null on the last.", func(s any) any { return nilIfEmpty(s.(*cluster.ClusterView).NextCursor) }),
	}})
	step := graphql.NewObject(graphql.ObjectConfig{Name: "ClusterMerge", Description: "One merge on the chain linking two addresses: the transaction and the rule that joined them.", Fields: graphql.Fields{
		"from":       field(nn(graphql.String), "One address merged.", func(s any) any { return s.(cluster.WhyStep).From }),
		"to":         field(nn(graphql.String), "The other.", func(s any) any { return s.(cluster.WhyStep).To }),
		"txid":       field(nn(graphql.String), "The transaction that is the evidence.", func(s any) any { return s.(cluster.WhyStep).Txid }),
		"height":     field(nn(graphql.Int), "Its block height.", func(s any) any { return int(s.(cluster.WhyStep).Height) }),
		"rule":       field(nn(graphql.String), "The heuristic rule (multi-input, …).", func(s any) any { return s.(cluster.WhyStep).Rule }),
		"confidence": field(nn(graphql.Int), "The rule's confidence, 0 to 100.", func(s any) any { return int(s.(cluster.WhyStep).Confidence) }),
	}})
	why := graphql.NewObject(graphql.ObjectConfig{Name: "ClusterWhy", Description: "Whether two addresses share a cluster, and the merges that link them.", Fields: graphql.Fields{
		"address1":     field(nn(graphql.String), "The first address.", func(s any) any { return s.(*cluster.WhyView).Address1 }),
		"address2":     field(nn(graphql.String), "The second address.", func(s any) any { return s.(*cluster.WhyView).Address2 }),
		"sameCluster":  field(nn(graphql.Boolean), "Whether they share a cluster.", func(s any) any { return s.(*cluster.WhyView).Same }),
		"cluster":      field(graphql.String, "The cluster they share, named by its first member; null if none.", func(s any) any { return nilIfEmpty(s.(*cluster.WhyView).Cluster) }),
		"generation":   field(nn(graphql.Int), "The clustering generation answering.", func(s any) any { return int(s.(*cluster.WhyView).Generation) }),
		"heuristicSet": field(nn(graphql.String), "The heuristics of that clustering.", func(s any) any { return s.(*cluster.WhyView).Set }),
		"merges":       field(list(step), "The chain of merges from the first address to the second; empty when they are apart.", func(s any) any { return s.(*cluster.WhyView).Steps }),
	}})
	b.SetListSize("Cluster.scriptTypes", 10)
	b.SetListSize("Cluster.members", 1) // the page size counts through "first"
	b.SetListSize("ClusterWhy.merges", 20)
	noViews := func(field string) error {
		return Errorf(CodeNotFound, "%s: the index has no clustering (spoor index clusters by default; spoor cluster build makes one)", field)
	}
	viewErr := func(field, arg, addr string, err error) error {
		if errors.Is(err, storage.ErrNotFound) {
			return Errorf(CodeNotFound, "%s: %s: %s is not indexed: never seen on %s", field, arg, clip(addr, 100), views.Net.Name)
		}
		return err
	}
	parse := func(field, arg, addr string) error {
		if _, _, err := bitcoin.ParseAddress(views.Net, addr); err != nil {
			return Errorf(CodeBadInput, "%s: %s: %s is not a %s address: %s", field, arg, clip(addr, 100), views.Net.Name, clip(errorTail(err), 200))
		}
		return nil
	}
	return graphql.Fields{
		"cluster": {
			Type:        nn(clusterT),
			Description: "The cluster (wallet) of an address in the active clustering, with a page of its members.",
			Args: graphql.FieldConfigArgument{
				"address": {Type: nn(graphql.String), Description: "The address."},
				"first":   {Type: graphql.Int, DefaultValue: 20, Description: fmt.Sprintf("How many members to return, at most %d.", b.MaxPageSize)},
				"after":   {Type: graphql.String, Description: "Continue after this cursor (nextCursor of the page before)."},
			},
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				if views == nil {
					return nil, noViews("cluster")
				}
				n, err := b.pageSize(p, "cluster")
				if err != nil {
					return nil, err
				}
				addr := p.Args["address"].(string)
				after, _ := p.Args["after"].(string)
				if err := parse("cluster", "address", addr); err != nil {
					return nil, err
				}
				v, err := views.Cluster(addr, max(n, 1), after)
				if err != nil {
					return nil, viewErr("cluster", "address", addr, err)
				}
				if n == 0 {
					v.Members, v.NextCursor = []string{}, ""
				}
				return v, nil
			}),
		},
		"why": {
			Type:        nn(why),
			Description: "Whether two addresses share a cluster in the active clustering, and the chain of merges (transaction, rule, confidence) that links them.",
			Args: graphql.FieldConfigArgument{
				"address1": {Type: nn(graphql.String), Description: "One address."},
				"address2": {Type: nn(graphql.String), Description: "The other."},
			},
			Resolve: b.RequireRole(RoleViewer, func(p graphql.ResolveParams) (any, error) {
				if views == nil {
					return nil, noViews("why")
				}
				a, c := p.Args["address1"].(string), p.Args["address2"].(string)
				for _, x := range []struct{ arg, addr string }{{"address1", a}, {"address2", c}} {
					if err := parse("why", x.arg, x.addr); err != nil {
						return nil, err
					}
				}
				v, err := views.Why(a, c, 1<<20)
				if err != nil {
					return nil, viewErr("why", "address1", a, err)
				}
				return v, nil
			}),
		},
	}
}
