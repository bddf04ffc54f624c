// Package export writes trace graphs and flagged addresses in the formats
// investigators already use: GraphML, GEXF 1.3 (with time), Cytoscape
// JSON, CSV, i2 Analyst's Notebook ANX and Maltego table CSV for graphs,
// and STIX 2.1 bundles and MISP events for indicator sharing. Every writer
// streams to an io.Writer and checks the graph's size against its limit
// before writing the first byte, so an export is either whole or an error.
//
// The reverse direction, STIX bundles and MISP events read as labels, lives
// in package api/labels.
package export
