// Package api builds what spoor shows to people and programs: views of
// blocks, transactions and addresses read from the index. The command line
// prints them as text or JSON; the GraphQL server will serve the same
// views.
package api
