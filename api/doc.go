// Package api builds what spoor shows to people and programs: views of
// blocks, transactions and addresses read from the index (views.go,
// blocks.go), which the command line prints, and the GraphQL server that
// serves them (spoor serve).
//
// # Schema
//
// The schema is assembled from areas (Area): each file contributes its
// root fields (schema_bitcoin.go: stats, block, transaction, address;
// schema_audit.go: auditHead) and NewSchema joins them. A root field's
// resolver is wrapped in Builder.RequireRole, which checks the caller's
// role (viewer < analyst < admin), stops at the deadline, recovers panics
// and turns errors into client-safe GraphQL errors with a code and the
// field's name. Every type, field and argument carries a description, so
// GraphiQL's documentation explorer is the API reference.
//
// # Requests
//
// Server (server.go) serves POST /graphql, GraphiQL at / (built from npm
// packages into api/web and embedded) and GET /healthz. A request must
// carry an API key (KeyRing: SHA-256 hashes from the config, compared in
// constant time); is rate limited per key; has its body and response
// capped; runs under a time limit; and is checked against Limits (depth,
// cost weighted by page sizes, page size) on the parsed query before it is
// validated or run (Schema.Execute). Every authenticated request is
// appended to the audit log (package audit) before its answer is sent; if
// that fails the answer is withheld.
package api
