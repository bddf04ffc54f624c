// The spoor graph explorer: a Cytoscape.js graph of addresses and
// transactions fed by spoor's GraphQL API. The API key is kept in the
// browser's session storage (never in a cookie or the URL) and sent as
// "Authorization: Bearer <key>". Everything shown comes from the server
// and is written into the page as text, never as HTML.
import cytoscape from 'cytoscape';

const keyName = 'spoor-api-key';
const formats = ['gexf', 'graphml', 'cytoscape', 'csv', 'anx', 'maltego', 'stix', 'misp'];
const extensions = { gexf: '.gexf', graphml: '.graphml', cytoscape: '.cyjs', csv: '.zip', anx: '.anx', maltego: '.csv', stix: '.json', misp: '.json' };
const pageSize = 20; // transactions per expansion

const $ = (id) => document.getElementById(id);

// h builds an element: h('td', {class: 'x'}, 'text', child, ...).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick') el.addEventListener('click', v);
    else el.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function btc(sat) {
  if (sat === null || sat === undefined) return '';
  const neg = sat < 0;
  const v = Math.abs(sat);
  const frac = String(v % 1e8).padStart(8, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + Math.floor(v / 1e8) + (frac ? '.' + frac : '') + ' BTC';
}

function short(s) {
  return s && s.length > 16 ? s.slice(0, 8) + '…' + s.slice(-6) : s || '';
}

// ---- status and the API ----

function status(msg, kind) {
  const el = $('status');
  el.textContent = msg || '';
  el.className = kind || '';
}

class APIError extends Error {}

async function gql(query, variables) {
  const key = sessionStorage.getItem(keyName) || '';
  if (!key) throw new APIError('enter an API key first');
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + key },
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await res.json();
  } catch (e) {
    throw new APIError('the server answered ' + res.status + ' without JSON');
  }
  return body;
}

// run returns data, throwing the first error unless partial answers are
// welcome (then errors come back beside the data).
async function run(query, variables, partial) {
  const body = await gql(query, variables);
  if (body.errors && body.errors.length && (!partial || !body.data)) {
    throw new APIError(body.errors.map((e) => e.message).join('; '));
  }
  return partial ? { data: body.data || {}, errors: body.errors || [] } : body.data;
}

// busy runs fn with the status showing what is going on; the page's body
// is aria-busy while anything runs (the browser tests wait on it). A step
// that returns no message leaves the last one standing.
let pending = 0;
async function busy(what, fn) {
  status(what + '…', 'busy');
  pending++;
  document.body.setAttribute('aria-busy', 'true');
  try {
    const msg = await fn();
    if (msg) status(msg, '');
    else if ($('status').className === 'busy') status('', '');
  } catch (e) {
    status(e.message, 'error');
  } finally {
    if (--pending === 0) document.body.removeAttribute('aria-busy');
  }
}

// ---- the graph ----

const cy = cytoscape({
  container: $('cy'),
  wheelSensitivity: 0.3,
  minZoom: 0.05,
  maxZoom: 4,
  style: [
    { selector: 'node', style: { label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 3, color: '#1d2430',
      'min-zoomed-font-size': 6, 'background-color': '#6b8fd6', width: 18, height: 18 } },
    { selector: 'node[kind = "tx"]', style: { shape: 'round-rectangle', 'background-color': '#9aa3b2', width: 12, height: 12, 'font-size': 7, color: '#5b6475',
      'min-zoomed-font-size': 12 } },
    { selector: 'node[kind = "script"]', style: { shape: 'diamond', 'background-color': '#c3c8d1', width: 10, height: 10 } },
    { selector: 'node[?member]', style: { 'background-color': '#8e6bd6' } },
    { selector: 'node[?labelled]', style: { 'background-color': '#e39b2d', width: 24, height: 24 } },
    { selector: 'node[?risky]', style: { 'background-color': '#d64545', width: 26, height: 26 } },
    { selector: 'node[?flagged]', style: { 'border-width': 3, 'border-color': '#d64545' } },
    { selector: 'node[?seed]', style: { 'border-width': 3, 'border-color': '#1d2430' } },
    { selector: 'node:selected', style: { 'overlay-color': '#2856b6', 'overlay-opacity': 0.25, 'overlay-padding': 5 } },
    { selector: 'edge', style: { width: 1.2, 'line-color': '#b9c0cc', 'target-arrow-color': '#b9c0cc', 'target-arrow-shape': 'triangle',
      'arrow-scale': 0.7, 'curve-style': 'bezier', label: 'data(label)', 'font-size': 7, color: '#5b6475', 'min-zoomed-font-size': 12,
      'text-background-color': '#fff', 'text-background-opacity': 0.8, 'text-background-padding': 1 } },
    { selector: 'edge[taint > 0]', style: { 'line-color': '#d64545', 'target-arrow-color': '#d64545', width: 'mapData(share, 0, 1, 1.2, 4)' } },
  ],
});
window.spoorExplorer = { cy }; // for the browser tests and the console

// The graph's origin: a trace (exported as the trace it is, taint and
// all) until anything else changes it, else a set of transactions.
let origin = null;

function addressID(a) { return 'addr:' + a; }
function txID(t) { return 'tx:' + t; }

function addNode(data) {
  const n = cy.getElementById(data.id);
  if (n.nonempty()) {
    for (const [k, v] of Object.entries(data)) if (v !== undefined && v !== null && v !== false) n.data(k, v);
    return n;
  }
  return cy.add({ group: 'nodes', data });
}

function addEdge(data) {
  if (cy.getElementById(data.id).nonempty()) return;
  cy.add({ group: 'edges', data });
}

function tagsRisky(tags) {
  return (tags || []).some((t) => /sanction|ransom|terror|scam|darknet|mixing/i.test(t.category));
}

function addAddress(a, extra) {
  return addNode(Object.assign({ id: addressID(a), kind: 'address', address: a, label: short(a) }, extra || {}));
}

// addTx puts a transaction (as the Transaction type gives it) and its
// inputs and outputs into the graph.
function addTx(tx) {
  const id = txID(tx.txid);
  addNode({ id, kind: 'tx', txid: tx.txid, label: short(tx.txid), height: tx.height, time: tx.time });
  tx.inputs.forEach((inp, i) => {
    const from = inp.address ? addAddress(inp.address).id() : addNode({ id: 'script:' + inp.prevTxid + ':' + inp.prevVout, kind: 'script', label: '' }).id();
    addEdge({ id: 'in:' + tx.txid + ':' + i, source: from, target: id, amount: inp.valueSat, label: btc(inp.valueSat), txid: tx.txid });
  });
  tx.outputs.forEach((out) => {
    const to = out.address ? addAddress(out.address).id() : addNode({ id: 'script:' + tx.txid + ':' + out.n, kind: 'script', label: out.type }).id();
    addEdge({ id: 'out:' + tx.txid + ':' + out.n, source: id, target: to, amount: out.valueSat, label: btc(out.valueSat), txid: tx.txid });
  });
}

function changed() {
  $('count').textContent = cy.nodes().length + ' nodes · ' + cy.edges().length + ' edges';
}

// layout places the nodes: a trace as ranks from left to right (the
// breadth-first layout turned on its side, so that each rank's labels
// stack), anything else by force-directed placement.
function layout(kind) {
  if (kind === 'trace') {
    cy.layout({ name: 'breadthfirst', directed: true, roots: cy.nodes('[?seed]'), animate: false }).run();
    const ranks = new Map();
    cy.nodes().forEach((n) => {
      const r = Math.round(n.position('y'));
      if (!ranks.has(r)) ranks.set(r, []);
      ranks.get(r).push(n);
    });
    [...ranks.keys()].sort((a, b) => a - b).forEach((r, i) => {
      const col = ranks.get(r).sort((a, b) => a.position('x') - b.position('x'));
      col.forEach((n, j) => n.position({ x: i * 110, y: (j - (col.length - 1) / 2) * 40 }));
    });
    cy.fit(undefined, 40);
  } else {
    cy.layout({ name: 'cose', animate: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 60, randomize: false, numIter: 600 }).run();
  }
  if (cy.zoom() > 1.5) {
    cy.zoom(1.5);
    cy.center();
  }
  changed();
}

const txFields = 'txid height time feeSat coinbase inputs { prevTxid prevVout address valueSat } outputs { n address valueSat type }';

// ---- actions ----

async function search(kind, q) {
  q = q.trim();
  if (!q) throw new APIError('type an address, a txid or the address of a cluster');
  if (kind === 'tx') {
    const d = await run(`query($t: String!) { transaction(txid: $t) { ${txFields} } }`, { t: q });
    addTx(d.transaction);
    origin = null;
    layout();
    select(txID(q));
    return 'transaction ' + short(q) + ': ' + d.transaction.inputs.length + ' inputs, ' + d.transaction.outputs.length + ' outputs';
  }
  if (kind === 'cluster') {
    const d = await run(`query($a: String!) { exportCluster(address: $a, format: "cytoscape") { content nodes edges partial limit } }`, { a: q });
    const doc = JSON.parse(d.exportCluster.content);
    const ids = {};
    for (const n of doc.elements.nodes) {
      const x = n.data;
      const flags = x.flags || [];
      let node;
      if (x.kind === 'address') node = addAddress(x.address, { member: flags.includes('member') || undefined, labelled: (x.labels || []).length > 0 || undefined });
      else if (x.kind === 'tx') node = addNode({ id: txID(x.txid), kind: 'tx', txid: x.txid, label: short(x.txid) });
      else node = addNode({ id: 'script:' + x.id, kind: 'script', label: '' });
      if (flags.includes('seed')) node.data('seed', true);
      ids[x.id] = node.id();
    }
    for (const e of doc.elements.edges) {
      const x = e.data;
      // Export edge ids are i<txnum>:<vin> and o<txnum>:<vout>; keep the
      // explorer's own ids so the same input or output is never drawn twice.
      const dir = x.id.startsWith('o') ? 'out:' : 'in:';
      addEdge({ id: dir + x.txid + ':' + x.id.slice(x.id.indexOf(':') + 1), source: ids[x.source], target: ids[x.target], amount: x.amount_sat, label: btc(x.amount_sat), txid: x.txid });
    }
    origin = null;
    layout();
    select(addressID(q));
    const members = doc.elements.nodes.filter((n) => (n.data.flags || []).includes('member')).length;
    return 'cluster of ' + short(q) + ': ' + members + ' addresses and their counterparties' + (d.exportCluster.partial ? ' (cut by the ' + d.exportCluster.limit + ' limit)' : '');
  }
  const d = await run(`query($a: String!) { address(address: $a) { address txCount } }`, { a: q });
  addAddress(d.address.address);
  if (origin && origin.kind === 'trace') origin = null;
  layout();
  select(addressID(d.address.address));
  return 'address ' + short(q) + ': ' + d.address.txCount + ' transactions; expand it from the panel';
}

// expand adds an address's transactions in one direction: "in" those that
// paid it, "out" those that spent from it.
async function expand(address, dir) {
  const node = cy.getElementById(addressID(address));
  const key = 'after_' + dir;
  const after = node.data(key) || null;
  const d = await run(`query($a: String!, $n: Int, $after: String) { address(address: $a) { transactions(first: $n, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { receivedSat sentSat node { ${txFields} } } } } }`, { a: address, n: pageSize, after });
  const conn = d.address.transactions;
  let added = 0;
  for (const e of conn.edges) {
    if ((dir === 'in' && e.receivedSat > 0) || (dir === 'out' && e.sentSat > 0)) {
      if (cy.getElementById(txID(e.node.txid)).empty()) added++;
      addTx(e.node);
    }
  }
  node.data(key, conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null);
  node.data('more_' + dir, conn.pageInfo.hasNextPage);
  origin = null;
  layout();
  select(addressID(address));
  return 'expanded ' + short(address) + ' ' + dir + ': ' + added + ' new transactions' + (conn.pageInfo.hasNextPage ? ' (more: expand again)' : '');
}

async function runTrace(from) {
  const model = $('model').value;
  const direction = $('direction').value;
  const hops = parseInt($('hops').value, 10) || 4;
  const d = await run(`query($f: String!, $d: TraceDirection, $m: TaintModel, $h: Int) { trace(from: $f, direction: $d, model: $m, hops: $h) {
      direction model partial limit txs seedValueSat
      nodes { id kind address txid hop valueSat taintSat seed tags { entity category } }
      edges { from to txid index input amountSat taintSat share end } } }`, { f: from, d: direction, m: model, h: hops });
  const t = d.trace;
  cy.elements().remove();
  const ids = {};
  for (const n of t.nodes) {
    let node;
    if (n.kind === 'address') {
      const tags = n.tags || [];
      node = addAddress(n.address, { labelled: tags.length > 0 || undefined, risky: tagsRisky(tags) || undefined,
        label: tags.length ? short(n.address) + '\n' + tags[0].entity : short(n.address) });
      node.data('taint', n.taintSat);
    } else if (n.kind === 'tx') {
      node = addNode({ id: txID(n.txid), kind: 'tx', txid: n.txid, label: short(n.txid) });
    } else {
      node = addNode({ id: 'script:' + n.id, kind: 'script', label: '' });
    }
    if (n.seed) node.data('seed', true);
    ids[n.id] = node.id();
  }
  for (const e of t.edges) {
    addEdge({ id: (e.input ? 'in:' : 'out:') + e.txid + ':' + e.index, source: ids[e.from], target: ids[e.to], amount: e.amountSat,
      taint: e.taintSat, share: e.share, txid: e.txid, end: e.end,
      label: btc(e.taintSat) + (e.share < 1 ? ' (' + Math.round(e.share * 100) + '%)' : '') });
  }
  origin = { kind: 'trace', from, direction: t.direction, model: t.model, hops, nodes: cy.nodes().length, edges: cy.edges().length };
  layout('trace');
  const labelled = t.nodes.filter((n) => (n.tags || []).length > 0);
  const reached = [...new Set(labelled.map((n) => n.tags[0].entity))];
  return t.direction + ' ' + t.model + ' trace of ' + short(from) + ': ' + t.txs + ' transactions, ' + t.nodes.length + ' nodes' +
    (reached.length ? '; reaches ' + reached.join(', ') : '') + (t.partial ? ' (cut by the ' + t.limit + ' budget)' : '');
}

// exportGraph downloads the graph on screen in a format: a trace as the
// trace it is, anything else as the graph of its transactions.
async function exportGraph(format) {
  let file;
  const untouched = origin && origin.kind === 'trace' && origin.nodes === cy.nodes().length && origin.edges === cy.edges().length;
  if (untouched) {
    const d = await run(`query($f: String!, $d: String, $m: String, $h: Int, $fmt: String!) { exportTrace(from: $f, direction: $d, model: $m, hops: $h, format: $fmt) {
        format encoding content bytes nodes edges mediaType } }`,
    { f: origin.from, d: origin.direction, m: origin.model, h: origin.hops, fmt: format });
    file = d.exportTrace;
  } else {
    const txids = cy.nodes('[kind = "tx"]').map((n) => n.data('txid'));
    if (!txids.length) throw new APIError('the graph has no transactions to export: expand an address or run a trace first');
    const d = await run(`query($t: [String!]!, $fmt: String!, $title: String) { exportTransactions(txids: $t, format: $fmt, title: $title) {
        format encoding content bytes nodes edges mediaType } }`,
    { t: txids, fmt: format, title: 'spoor explorer graph of ' + txids.length + ' transactions' });
    file = d.exportTransactions;
  }
  let bytes;
  if (file.encoding === 'base64') {
    const raw = atob(file.content);
    bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  } else {
    bytes = new TextEncoder().encode(file.content);
  }
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mediaType }));
  const a = h('a', { href: url, download: 'spoor-graph' + extensions[format] });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return 'exported ' + format + ': ' + file.nodes + ' nodes, ' + file.edges + ' edges, ' + file.bytes + ' bytes';
}

// ---- the details panel ----

function row(k, v) { return h('tr', {}, h('td', {}, k), h('td', {}, v)); }

function nodeLink(address) {
  return h('a', { class: 'node-link mono', onclick: () => busy('searching', async () => { $('query').value = address; return search('address', address); }) }, address);
}

async function showAddress(address) {
  const panel = $('details');
  const { data, errors } = await run(`query($a: String!) {
      address(address: $a) { address type balanceSat receivedSat sentSat txCount firstSeenHeight lastSeenHeight linkedForms }
      labels(address: $a) { entity category source confidence via }
      clusterOf(address: $a, first: 10) { id size heuristicSet members moreMembers merges { address txid height rule confidence } }
      findingsOf(address: $a) { detector reason summary entity firstTime measured { name value } evidence { txid height time address amountSat note } }
    }`, { a: address }, true);
  const a = data.address;
  if (!a) throw new APIError(errors.map((e) => e.message).join('; '));
  const node = cy.getElementById(addressID(address));
  const labels = data.labels || [];
  if (labels.length) node.data({ labelled: true, risky: tagsRisky(labels) || undefined });
  if ((data.findingsOf || []).length) node.data('flagged', true);
  panel.replaceChildren(
    h('h2', { class: 'mono', id: 'detail-title' }, a.address),
    h('div', { class: 'actions' },
      h('button', { id: 'expand-in', onclick: () => busy('expanding', () => expand(address, 'in')) }, node.data('more_in') ? 'More payers' : 'Expand in (payers)'),
      h('button', { id: 'expand-out', onclick: () => busy('expanding', () => expand(address, 'out')) }, node.data('more_out') ? 'More payees' : 'Expand out (payees)'),
      h('button', { id: 'trace-here', onclick: () => busy('tracing', () => runTrace(address)) }, 'Trace from here'),
      h('button', { id: 'cluster-here', onclick: () => busy('loading the cluster', () => search('cluster', address)) }, 'Cluster neighbourhood')),
    h('table', {},
      row('type', a.type), row('balance', btc(a.balanceSat)), row('received', btc(a.receivedSat)), row('sent', btc(a.sentSat)),
      row('transactions', a.txCount), row('seen', 'blocks ' + a.firstSeenHeight + ' to ' + a.lastSeenHeight),
      a.linkedForms.length ? row('same key as', a.linkedForms.join(', ')) : null),
    h('h3', {}, 'Labels'),
    labels.length ? h('div', {}, labels.map((t) => h('div', {},
      h('span', { class: 'tag' + (tagsRisky([t]) ? ' sanction' : '') }, t.entity + ' · ' + t.category),
      ' ', t.source + ', confidence ' + t.confidence + (t.via ? ', from cluster member ' + t.via : ''))))
      : h('p', { class: 'hint' }, 'none'),
    h('h3', {}, 'Cluster'),
    clusterPart(data.clusterOf),
    h('h3', {}, 'Findings'),
    findingsPart(data.findingsOf, errors));
}

// heuristicNames shortens a heuristic-set spec (JSON) to its rules.
function heuristicNames(spec) {
  try {
    const s = JSON.parse(spec);
    if (Array.isArray(s.heuristics)) return s.heuristics.join(', ') + (Array.isArray(s.coinjoin) ? '; CoinJoins skipped: ' + s.coinjoin.join(', ') : '');
  } catch (e) { /* not JSON: show as it is */ }
  return spec;
}

function clusterPart(c) {
  if (!c) return h('p', { class: 'hint' }, 'no clustering in this index');
  return h('div', { id: 'cluster' },
    h('table', {}, row('cluster', h('span', { class: 'mono' }, c.id)), row('addresses', c.size), row('heuristics', heuristicNames(c.heuristicSet))),
    h('p', {}, 'members: ', c.members.map((m, i) => [i ? ', ' : '', nodeLink(m)]), c.moreMembers ? ' …' : ''),
    c.merges.length ? h('div', {}, h('p', {}, 'why it is in this cluster:'), h('ul', {}, c.merges.map((m) => h('li', {},
      m.rule + ' (' + m.confidence + '%) with ', nodeLink(m.address), ' in ', h('span', { class: 'mono' }, short(m.txid)), ' at block ' + m.height)))) : null);
}

function findingsPart(fs, errors) {
  const denied = errors.find((e) => /findingsOf/.test(e.message));
  if (denied) return h('p', { class: 'hint' }, denied.message);
  if (!fs || !fs.length) return h('p', { class: 'hint', id: 'no-findings' }, 'none');
  return h('div', { id: 'findings' }, fs.map((f) => h('div', { class: 'finding' },
    h('strong', {}, f.reason), ' ', h('span', { class: 'hint' }, f.detector + (f.entity ? ' · ' + f.entity : '')),
    h('div', {}, f.summary),
    h('ul', {}, f.evidence.slice(0, 8).map((e) => h('li', {}, h('span', { class: 'mono' }, short(e.txid)), ' ', btc(e.amountSat), ' — ', e.note)),
      f.evidence.length > 8 ? h('li', {}, (f.evidence.length - 8) + ' more') : null))));
}

function showTx(txid) {
  const n = cy.getElementById(txID(txid));
  const edges = n.connectedEdges();
  const ins = edges.filter((e) => e.target().id() === n.id());
  const outs = edges.filter((e) => e.source().id() === n.id());
  const side = (list, end) => h('ul', {}, list.map((e) => {
    const other = e[end]();
    return h('li', {}, other.data('address') ? nodeLink(other.data('address')) : 'no address', ' ', btc(e.data('amount')),
      e.data('taint') ? ' (traced ' + btc(e.data('taint')) + ')' : '');
  }));
  $('details').replaceChildren(
    h('h2', { class: 'mono', id: 'detail-title' }, txid),
    h('table', {}, n.data('height') !== undefined ? row('block', n.data('height')) : null, n.data('time') ? row('time', n.data('time')) : null,
      row('inputs shown', ins.length), row('outputs shown', outs.length)),
    h('h3', {}, 'Inputs'), side(ins, 'source'), h('h3', {}, 'Outputs'), side(outs, 'target'),
    h('div', { class: 'actions' }, h('button', { id: 'load-tx', onclick: () => busy('loading', () => search('tx', txid)) }, 'Load all inputs and outputs')));
}

function select(id) {
  const n = cy.getElementById(id);
  if (n.empty()) return;
  cy.nodes(':selected').unselect();
  n.select();
  if (n.data('kind') === 'address') busy('loading the address', () => showAddress(n.data('address')));
  else if (n.data('kind') === 'tx') showTx(n.data('txid'));
}

cy.on('tap', 'node', (ev) => select(ev.target.id()));

// ---- wiring ----

function keyState() {
  $('key-state').textContent = sessionStorage.getItem(keyName) ? 'key set for this tab' : '';
}

$('key-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const k = $('key').value.trim();
  if (k) sessionStorage.setItem(keyName, k);
  else sessionStorage.removeItem(keyName);
  $('key').value = '';
  keyState();
  busy('checking the key', async () => {
    const d = await run('{ stats { chain height txs } }');
    return 'connected: ' + d.stats.chain + ', height ' + d.stats.height + ', ' + d.stats.txs + ' transactions';
  });
});
$('search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('searching', () => search($('kind').value, $('query').value));
});
$('trace-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const sel = cy.nodes(':selected[kind = "address"]');
  const from = sel.nonempty() ? sel.data('address') : $('query').value.trim();
  busy('tracing', () => {
    if (!from) throw new APIError('select an address or type one in the search box to trace from');
    return runTrace(from);
  });
});
for (const f of formats) $('format').append(h('option', { value: f }, f));
$('export-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  busy('exporting', () => exportGraph($('format').value));
});
$('clear').addEventListener('click', () => {
  cy.elements().remove();
  origin = null;
  changed();
  $('details').replaceChildren(h('p', { class: 'hint' }, 'Cleared.'));
});
keyState();
changed();
