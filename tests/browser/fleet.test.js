// The dashboard's Fleet tab (issue #21 part 3) in Debian's chromium (playwright-core):
// (a) a coordinator without --fleet-db shows "not in a fleet" and the server's how-to, not an
// error; (b) a real fleet — a real PostgreSQL (initdb in a temporary directory, unix socket
// only; lib/postgres.js) and two real coordinators h1 and h2 publishing into it — shows both
// hosts up and the error group merged across them (count = the sum, 2 hosts affected, per-host
// counts, the host and class filters), one group's hosts and sample events with their frames
// and context, a fleet session over both hosts (each host's task, the merged stacks), and a
// degraded state while PostgreSQL is down that recovers by itself. Run by
// CTest as dashboard_fleet_browser_test (tests/coordinator_web_tests.cmake). Waits are on
// elements and on the coordinators' own answers, never on the clock.
'use strict';
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Coordinator } = require('./lib/coordinator');
const { start, killAll } = require('./lib/processes');
const { TempPostgres } = require('./lib/postgres');
const { launch, openPage, assertNoConsoleErrors, screenshot } = require('./lib/browser');

const TARGET_DIR = process.env.DBG_TARGET_DIR || path.resolve(__dirname, '../../build/tests/targets');

// The browser logs every non-2xx answer: the 404 of a coordinator not in a fleet and the 503 of
// a fleet database that is down are what these tests provoke.
const NOT_FOUND = [/status of 404/];
const UNAVAILABLE = [/status of 503/];

let tmp;
let pg;
let solo;    // no --fleet-db
let h1;
let h2;
let browser;
let current = null;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbgcoord-fleet-browser-'));
  pg = new TempPostgres().init();
  const member = (name) => new Coordinator(path.join(tmp, name),
    ['--fleet-db', pg.conninfo(), '--host-name', name, '--fleet-heartbeat', '1']).start();
  [solo, h1, h2] = await Promise.all([new Coordinator(path.join(tmp, 'solo')).start(), member('h1'), member('h2')]);
  browser = await launch();
});

after(async () => {
  if (current) await current.context.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  for (const c of [solo, h1, h2]) if (c) await c.stop().catch(() => {});
  killAll();
  if (pg) pg.destroy();  // always, also after a failure
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

afterEach(async () => {
  if (!current) return;
  await screenshot(current.page, current.name).catch(() => {});
  await current.context.close().catch(() => {});
  current = null;
});

async function open(coordinator, name, hash) {
  current = { ...(await openPage(browser)), name };
  await current.page.goto(`${coordinator.dashboardUrl}${hash}`);
  await current.page.locator('#connection[data-state="live"]').waitFor();
  return current.page;
}

// Resolves once pred() holds (polled every 200 ms); fails with `what` after `ms`.
async function until(pred, what, ms = 60000) {
  const deadline = Date.now() + ms;
  for (;;) {
    let last;
    try { if (await pred()) return; } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const drained = async (c) => {
  const f = await c.api('GET', '/api/v1/fleet');
  return f.state === 'connected' && f.outbox.rows === 0;
};

function events(n, type, message, fn) {
  return Array.from({ length: n }, (_, i) => ({
    type, message, context: { request_id: `r-${i}` },
    frames: [{ function: fn, module: 'shop', offset: '0x2410' }, { function: 'main', module: 'shop', offset: '0x3100' }],
  }));
}

test('a coordinator without --fleet-db: the Fleet tab says "not in a fleet" and how to join', async () => {
  const page = await open(solo, 'fleet-not-joined', '#/processes');
  await page.getByRole('link', { name: 'Fleet' }).click();
  const panel = page.locator('#fleet-not-joined');
  await panel.getByText('This coordinator is not in a fleet.').waitFor();
  await panel.locator('.how-to', { hasText: '--fleet-db postgresql://' }).waitFor();
  assert.equal(await page.locator('.notice').count(), 0, 'no error banner');
  assert.equal(await page.locator('#nav a[aria-current="page"]').textContent(), 'Fleet');
  // One merged group's page says the same.
  await page.goto(`${solo.base}/#/fleet/errors/abc123`);
  await page.locator('#fleet-not-joined', { hasText: 'This coordinator is not in a fleet.' }).waitFor();
  assertNoConsoleErrors(current.problems, NOT_FOUND);
});

test('a fleet of two hosts: both up, the group merged across them, its hosts and samples', async () => {
  const type = 'shop::CartError';
  const message = 'item index 7 out of range';
  await h1.api('POST', '/api/v1/errors/events', { events: events(3, type, message, 'shop::Cart::item_at') });
  await h2.api('POST', '/api/v1/errors/events', { events: events(2, type, message, 'shop::Cart::item_at') });
  await h1.api('POST', '/api/v1/errors/events', { events: events(1, 'shop::OnlyOnH1', 'seen on one host', 'shop::Only::h1') });
  for (const c of [h1, h2]) await until(() => drained(c), `${c.extraArgs[3]} to ship its outbox`);
  // What the page must show, from the API itself.
  const { groups } = await h1.api('GET', '/api/v1/fleet/errors');
  const merged = groups.find((g) => g.type === type);
  assert.ok(merged, 'the merged group is listed by the API');
  assert.equal(merged.count, 5);

  const page = await open(h1, 'fleet', '#/fleet');
  await page.locator('.fleet-state', { hasText: 'h1' }).locator('#fleet-state-badge', { hasText: 'connected' }).waitFor();
  await page.locator('.fleet-state', { hasText: 'outbox 0 rows' }).waitFor();
  for (const name of ['h1', 'h2']) {
    const row = page.locator(`table.fleet-hosts tr[data-host="${name}"]`);
    await row.locator('.badge.up', { hasText: 'up' }).waitFor();
  }
  await page.locator('table.fleet-hosts tr[data-host="h1"] .badge', { hasText: 'this host' }).waitFor();

  const row = page.locator(`table.fleet-errors tr[data-signature="${merged.signature}"]`);
  await row.waitFor();
  assert.equal(await row.locator('td.count').textContent(), '5', 'count = 3 on h1 + 2 on h2');
  assert.equal(await row.locator('td.hosts-affected').textContent(), '2');
  assert.equal(await row.locator('.host-counts li[data-host="h1"]').textContent(), 'h1 3');
  assert.equal(await row.locator('.host-counts li[data-host="h2"]').textContent(), 'h2 2');
  await row.getByText(message).waitFor();
  const only = page.locator('table.fleet-errors tbody tr', { hasText: 'shop::OnlyOnH1' });
  assert.equal(await only.locator('td.hosts-affected').textContent(), '1');

  // Host filter: h2's view has its own count and not the group seen only on h1.
  await page.locator('#fleet-host option[value="h2"]').waitFor({ state: 'attached' });
  await page.locator('#fleet-host').selectOption('h2');
  await page.locator('table.fleet-errors th', { hasText: 'On h2' }).waitFor();
  assert.equal(await row.locator('td.host-count').textContent(), '2');
  assert.equal(await only.count(), 0, 'the h1-only group is not on h2');
  // Class filter: the merged group's class keeps it; back to all hosts and classes, both again.
  await page.locator('#fleet-host').selectOption('');
  await page.locator('table.fleet-errors th', { hasText: 'On h2' }).waitFor({ state: 'detached' });
  await only.waitFor();
  assert.ok(merged.error_class, 'merged groups have a class');
  assert.notEqual(groups.find((g) => g.type === 'shop::OnlyOnH1').error_class, merged.error_class);
  await page.locator('#fleet-class').selectOption(merged.error_class);
  await only.waitFor({ state: 'detached' });  // the filtered answer is shown
  await row.waitFor();
  const classes = await page.locator('table.fleet-errors tbody tr td:nth-child(2)').allTextContents();
  assert.ok(classes.every((c) => c === merged.error_class), `only class ${merged.error_class}: ${classes}`);
  await page.locator('#fleet-class').selectOption('');
  await only.waitFor();

  // One group: its hosts and the samples they shipped, with frames and context.
  await row.getByRole('link').click();
  await page.locator('h1', { hasText: type }).waitFor();
  assert.equal(await page.locator('#fleet-group-count').textContent(), '5');
  assert.equal(await page.locator('#fleet-group-hosts-affected').textContent(), '2');
  assert.equal(await page.locator('table.fleet-group-hosts tr[data-host="h1"] td.count').textContent(), '3');
  assert.equal(await page.locator('table.fleet-group-hosts tr[data-host="h2"] td.count').textContent(), '2');
  for (const name of ['h1', 'h2']) await page.locator(`details.fleet-sample[data-host="${name}"]`).first().waitFor();
  const first = page.locator('details.fleet-sample[open]').first();
  await first.locator('table.frames td.fn', { hasText: 'shop::Cart::item_at' }).waitFor();
  await first.locator('pre.json', { hasText: '"request_id"' }).waitFor();
  await screenshot(page, 'fleet-group');
  // A closed sample opens to the same content.
  const samples = page.locator('details.fleet-sample');
  assert.ok(await samples.count() >= 2, 'a sample from each host');
  const closed = samples.nth(1);
  assert.equal(await closed.getAttribute('open'), null, 'only the newest sample starts open');
  await closed.locator('summary').click();
  await closed.locator('table.frames td.fn', { hasText: 'shop::Cart::item_at' }).waitFor();
  await page.getByRole('link', { name: 'Fleet' }).first().click();
  await page.locator(`table.fleet-errors tr[data-signature="${merged.signature}"]`).waitFor();
  assertNoConsoleErrors(current.problems);
});

test('a fleet session over both hosts: each host\'s task and the stacks merged across them', async () => {
  // One target both hosts can see (they run on this machine): chain 2 blocks its threads in
  // known functions.
  const target = start([path.join(TARGET_DIR, 'chain'), '2']);
  await target.waitForLine(/^ready$/);
  try {
    const created = await h1.api('POST', '/api/v1/fleet/sessions',
      { hosts: 'all', kind: 'snapshot', targets: { pids: [target.pid] }, options: { source: 'none' }, deadline_s: 120 });
    // Asked on h1, followed on h2: any host of the fleet serves it.
    const page = await open(h2, 'fleet-session', '#/fleet');
    await page.locator(`table.fleet-sessions tr[data-session="${created.id}"]`, { hasText: 'all hosts' }).getByRole('link').click();
    await page.locator('#fleet-session-status', { hasText: 'done' }).waitFor({ timeout: 120000 });
    for (const name of ['h1', 'h2']) await page.locator(`table.fleet-session-hosts tr[data-host="${name}"][data-status="done"]`).waitFor();
    const session = await h2.api('GET', `/api/v1/fleet/sessions/${created.id}`);
    assert.equal(session.status, 'done');
    assert.ok(session.stacks.length > 0, 'merged stacks');
    // The page shows what the API merged: the heaviest stack's count and both hosts' shares.
    const first = page.locator('table.fleet-stacks tbody tr').first();
    assert.equal(await first.locator('td.count').textContent(), String(session.stacks[0].count));
    for (const name of ['h1', 'h2']) {
      assert.equal(await first.locator(`.host-counts li[data-host="${name}"]`).textContent(), `${name} ${session.stacks[0].hosts[name]}`);
      assert.equal(await page.locator(`table.fleet-session-hosts tr[data-host="${name}"] td.samples`).textContent(), String(session.hosts[name].samples));
    }
    await page.locator('table.fleet-stacks', { hasText: 'chain_level_4' }).waitFor();
    assert.ok(await page.locator('.flame g.frame').count() > 0, 'a flame graph of the merged stacks');
    // This host's own task links to its local session; the other host's is named only.
    const local = session.hosts.h2.local_session_id;
    await page.locator(`table.fleet-session-hosts a[href="#/sessions/${local}"]`).waitFor();
    assert.equal(await page.locator('table.fleet-session-hosts tr[data-host="h1"] a').count(), 0);
    assertNoConsoleErrors(current.problems);
  } finally {
    await target.stop('SIGKILL');
  }
});

test('the fleet database down: the tab says "degraded", keeps the last answer and recovers', async () => {
  const page = await open(h2, 'fleet-degraded', '#/fleet');
  await page.locator('table.fleet-hosts tr[data-host="h2"] .badge.up').waitFor();
  pg.stop();
  try {
    await page.locator('.notice.warn', { hasText: 'Degraded' }).waitFor();
    await page.locator('table.fleet-hosts tr[data-host="h1"]').waitFor();  // the last answer stays
    await screenshot(page, 'fleet-degraded-down');
  } finally {
    pg.start();
  }
  await page.locator('.notice.warn').waitFor({ state: 'detached', timeout: 60000 });
  await page.locator('#fleet-state-badge', { hasText: 'connected' }).waitFor({ timeout: 60000 });
  assertNoConsoleErrors(current.problems, UNAVAILABLE);
});
