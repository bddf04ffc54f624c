// read.js loads an export with an independent reader and prints what it
// found as JSON: graphology's GEXF or GraphML parser, or Cytoscape.js
// (headless) for Cytoscape JSON. Usage: node read.js gexf|graphml|cytoscape FILE
'use strict';
const fs = require('fs');
const [kind, file] = process.argv.slice(2);
const text = fs.readFileSync(file, 'utf8');
const out = { nodes: 0, edges: 0, amount: 0, labelled: [], clusters: 0, nodeStarts: 0, edgeStarts: 0 };
const clusters = new Set();

function node(id, a) {
  out.nodes++;
  if (a.labels) out.labelled.push(id);
  if (a.cluster !== undefined && a.cluster !== null && a.cluster !== '') clusters.add(String(a.cluster));
  if (a.start || a.first_time) out.nodeStarts++;
}
function edge(a) {
  out.edges++;
  out.amount += Number(a.amount_sat !== undefined ? a.amount_sat : a.amount); // graphology-gexf keys by attribute id
  if (a.start || a.time) out.edgeStarts++;
}

if (kind === 'cytoscape') {
  const cytoscape = require('cytoscape');
  const cy = cytoscape({ headless: true, elements: JSON.parse(text).elements });
  cy.nodes().forEach((n) => node(n.id(), n.data()));
  cy.edges().forEach((e) => {
    if (e.source().empty() || e.target().empty()) throw new Error('edge ' + e.id() + ' without its nodes');
    edge(e.data());
  });
} else {
  const { MultiDirectedGraph } = require('graphology');
  const parser = kind === 'gexf' ? require('graphology-gexf') : require('graphology-graphml');
  const g = parser.parse(MultiDirectedGraph, text);
  if (g.type !== 'directed') throw new Error('graph type ' + g.type);
  g.forEachNode((id, a) => node(id, a));
  g.forEachEdge((id, a) => edge(a));
}
out.clusters = clusters.size;
out.labelled.sort();
process.stdout.write(JSON.stringify(out));
