// explore.js drives the graph explorer of a running spoor serve in
// Debian's headless chromium through playwright-core, the way a user
// would: it enters the API key, searches an address of a planted peel
// chain, expands its neighbours, opens a hop's findings, runs a trace,
// loads a cluster neighbourhood and exports the graph as GEXF. It saves a
// screenshot after each step and the downloaded file into OUT, and prints
// what it saw as JSON for the Go test (cmd/spoor/explore_e2e_test.go) to
// judge. It fails itself only when the page breaks (an error shown, a
// step that never ends).
//
// Environment: SPOOR_URL, SPOOR_KEY, SPOOR_SOURCE (the peel chain's
// source address), SPOOR_HOP (one of its hop addresses), SPOOR_PEEL (a
// peel address the test labelled with HTML for an entity), SPOOR_OUT (the
// artefact directory), CHROMIUM (default /usr/bin/chromium).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(k + ' is not set');
  return v;
};
const url = env('SPOOR_URL');
const out = env('SPOOR_OUT');
const summary = { steps: [], screenshots: [] };

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'spoor-chromium-'));
  // A fresh profile directory (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
  });
  try {
    const page = browser.pages()[0] || await browser.newPage();
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    const settle = async (step) => {
      await page.waitForFunction(() => !document.body.hasAttribute('aria-busy'), null, { timeout: 60000 });
      const status = await page.textContent('#status');
      const isError = await page.$eval('#status', (el) => el.className === 'error');
      const count = await page.textContent('#count');
      const nodes = await page.evaluate(() => window.spoorExplorer.cy.nodes().length);
      const edges = await page.evaluate(() => window.spoorExplorer.cy.edges().length);
      const shot = path.join(out, String(summary.screenshots.length + 1).padStart(2, '0') + '-' + step + '.png');
      await page.screenshot({ path: shot });
      summary.screenshots.push(shot);
      summary.steps.push({ step, status, error: isError, count, nodes, edges });
      if (isError) throw new Error(step + ': the page shows an error: ' + status);
      return { status, nodes, edges };
    };

    await page.goto(url + '/explore');
    await page.fill('#key', env('SPOOR_KEY'));
    await page.click('#use-key');
    const key = await settle('key');
    summary.connected = key.status;

    await page.selectOption('#kind', 'address');
    await page.fill('#query', env('SPOOR_SOURCE'));
    await page.click('#search');
    await settle('search');
    summary.detailTitle = await page.textContent('#detail-title');

    await page.click('#expand-out');
    const expanded = await settle('expand-out');
    await page.click('#expand-in');
    const both = await settle('expand-in');
    summary.expandedNodes = both.nodes;
    summary.expandedOutNodes = expanded.nodes;
    summary.expandedAddresses = await page.evaluate(() => window.spoorExplorer.cy.nodes('[kind = "address"]').map((n) => n.data('address')));

    // A hop of the chain: its findings and their evidence in the panel.
    await page.fill('#query', env('SPOOR_HOP'));
    await page.click('#search');
    await settle('hop-details');
    summary.findingsText = (await page.$('#findings')) ? await page.textContent('#findings') : '';

    // A label whose entity is HTML (imported by the test) shows as text
    // and marks its node as risky; nothing of it becomes an element.
    await page.fill('#query', env('SPOOR_PEEL'));
    await page.click('#search');
    await settle('label-as-text');
    summary.peelDetails = await page.textContent('#details');
    summary.injected = await page.evaluate(() => document.querySelectorAll('#details img, #xss').length);
    summary.peelRisky = await page.evaluate((a) => window.spoorExplorer.cy.getElementById('addr:' + a).data('risky') === true, env('SPOOR_PEEL'));

    // Trace forward from the source with the haircut model.
    await page.fill('#query', env('SPOOR_SOURCE'));
    await page.click('#search');
    await settle('source-again');
    await page.selectOption('#model', 'HAIRCUT');
    await page.selectOption('#direction', 'FORWARD');
    await page.fill('#hops', '4');
    await page.click('#trace');
    const traced = await settle('trace');
    summary.traceStatus = traced.status;
    summary.traceNodes = traced.nodes;
    summary.traceEdges = traced.edges;
    summary.traceAddresses = await page.evaluate(() => window.spoorExplorer.cy.nodes('[kind = "address"]').map((n) => n.data('address')));
    summary.traceTainted = await page.evaluate(() => window.spoorExplorer.cy.edges('[taint > 0]').length);
    summary.traceLabelled = await page.evaluate(() => window.spoorExplorer.cy.nodes('[?labelled]').map((n) => n.data('label')));

    // Export the traced graph as GEXF and parse the download with the
    // browser's own XML parser.
    await page.selectOption('#format', 'gexf');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#export')]);
    await settle('export');
    const file = path.join(out, 'trace' + path.extname(download.suggestedFilename()));
    await download.saveAs(file);
    const text = fs.readFileSync(file, 'utf8');
    summary.gexfFile = file;
    summary.gexf = await page.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, 'application/xml');
      const bad = doc.getElementsByTagName('parsererror').length > 0;
      const root = doc.documentElement;
      return { parses: !bad, root: root.localName, version: root.getAttribute('version'), nodes: doc.getElementsByTagName('node').length,
        edges: doc.getElementsByTagName('edge').length, mode: doc.getElementsByTagName('graph')[0].getAttribute('mode'),
        timed: [...doc.getElementsByTagName('edge')].filter((e) => e.getAttribute('start')).length };
    }, text);

    // The cluster neighbourhood of the source.
    await page.selectOption('#kind', 'cluster');
    await page.fill('#query', env('SPOOR_SOURCE'));
    await page.click('#search');
    const cl = await settle('cluster');
    summary.clusterStatus = cl.status;
    summary.clusterMembers = await page.evaluate(() => window.spoorExplorer.cy.nodes('[?member]').length);
    summary.consoleErrors = consoleErrors;
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => {
  process.stdout.write(JSON.stringify(summary));
}, (e) => {
  summary.failure = String(e && e.stack || e);
  process.stdout.write(JSON.stringify(summary));
  process.exit(1);
});
