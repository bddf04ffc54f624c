package api

import (
	"github.com/graphql-go/graphql"
	"github.com/spoorhq/spoor/api/audit"
)

// AuditArea serves the audit log's head to admins, so that an outside
// system can record it regularly (an anchor that "spoor audit verify
// --anchor" checks later).
func AuditArea(log *audit.Log) Area {
	return func(b *Builder) (graphql.Fields, error) {
		head := graphql.NewObject(graphql.ObjectConfig{
			Name:        "AuditHead",
			Description: "The last entry of the audit log: every query, export and label import is an entry, each chained to the one before by its hash.",
			Fields: graphql.Fields{
				"seq": {Type: graphql.NewNonNull(b.Long()), Description: "Sequence number of the last entry (entries count from 1).",
					Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(audit.Head).Seq, nil }},
				"hash": {Type: graphql.NewNonNull(graphql.String), Description: "Its hash (SHA-256, hex). Record seq:hash elsewhere and check it later with spoor audit verify --anchor.",
					Resolve: func(p graphql.ResolveParams) (any, error) { return p.Source.(audit.Head).Hash, nil }},
			},
		})
		return graphql.Fields{
			"auditHead": {Type: graphql.NewNonNull(head), Description: "The audit log's last entry, including the one recording this query's predecessor. Role: admin.",
				Resolve: b.RequireRole(RoleAdmin, func(p graphql.ResolveParams) (any, error) { return log.Head(), nil })},
		}, nil
	}
}
