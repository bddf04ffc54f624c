// Package trace follows value through a Bitcoin index: forward to where
// coins went and backward to where they came from, under a chosen taint
// model; it finds paths between two addresses and measures an address's
// exposure to labelled categories of counterparties for screening.
//
// The engine reads only committed chain tables (outputs, inputs, spends and
// the address index) through the small Chain interface, so it runs over a
// live index without locking the writer. Every walk is bounded: hops, a
// time window, a minimum value, node, edge and time budgets. A walk that
// hits a budget returns what it found so far, marked partial with the reason,
// never a silently shortened answer.
//
// Amounts are integer satoshi throughout; taint models split them with
// exact integer arithmetic, so a traced amount can be checked by hand
// against the transactions it names.
package trace
