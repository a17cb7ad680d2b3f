// End-to-end tests of the dashboard (web/, issue #8): Debian's chromium (playwright-core)
// against a real dbgcoord from the build, on an ephemeral loopback port with a temporary data
// directory, and real target programs (tests/targets). Run by CTest (tests/coordinator_web_tests.cmake)
// with DBG_BIN_DIR, DBG_TARGET_DIR and DBG_SCREENSHOT_DIR; every test leaves a screenshot there.
// Waits are on elements (playwright's auto-waiting, 20 s default), never on the clock.
'use strict';
const { test, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Coordinator } = require('./lib/coordinator');
const { start, killAll } = require('./lib/processes');
const { launch, openPage, assertNoConsoleErrors, screenshot } = require('./lib/browser');

const TARGET_DIR = process.env.DBG_TARGET_DIR || path.resolve(__dirname, '../../build/tests/targets');
const target = (name) => path.join(TARGET_DIR, name);

// Browser-logged network failures some tests provoke on purpose.
const REFUSED = [/ERR_CONNECTION_REFUSED/, /WebSocket connection to .* failed/];
const UNAUTHORIZED = [/status of 401/];

let tmp;
let coordinator;
let browser;
const chains = [];
let hotcold;
let current = null;  // {page, context, problems, name} of the running test

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbgcoord-browser-'));
  // Three 4-thread chains: with --batch-size 2 a snapshot of all three is two batches.
  for (let i = 0; i < 3; i++) {
    const p = start([target('chain'), '4']);
    await p.waitForLine(/^ready$/);
    chains.push(p);
  }
  hotcold = start([target('profile_hotcold'), '1', '1']);
  await hotcold.waitForLine(/^ready$/);
  coordinator = await new Coordinator(path.join(tmp, 'data'), ['--batch-size', '2']).start();
  browser = await launch();
});

after(async () => {
  if (current) await current.context.close().catch(() => {});
  if (browser) await browser.close().catch(() => {});
  if (coordinator) await coordinator.stop().catch(() => {});
  killAll();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// Every test's last screen is kept (a failing test's shows where it stopped).
afterEach(async () => {
  if (!current) return;
  await screenshot(current.page, current.name, { docs: current.docs }).catch(() => {});
  await current.context.close().catch(() => {});
  current = null;
});

async function open(name, { hash = '#/processes', docs = false, ...options } = {}) {
  current = { ...(await openPage(browser, options)), name, docs };
  await current.page.goto(`${coordinator.dashboardUrl}${hash}`);
  await current.page.locator('#connection[data-state="live"]').waitFor();
  return current.page;
}

// A marker that survives only as long as the document does: checks "without a reload".
const mark = (page) => page.evaluate(() => { window.__noReload = 'kept'; });
const marked = (page) => page.evaluate(() => window.__noReload);

test('empty lists are shown plainly', async () => {
  const page = await open('empty', { hash: '#/sessions' });
  await page.getByText('No sessions yet.').waitFor();
  await page.getByRole('link', { name: 'Errors' }).click();
  await page.getByText('No open error groups.').waitFor();
  await page.getByText('No crash watches.').waitFor();
  await page.getByText('Crash capture: off · spool depth 0').waitFor();
  await page.getByRole('link', { name: 'Processes' }).click();
  await page.locator('#process-filter').fill('no-such-process-anywhere');
  await page.getByText('No process matches the filter.').waitFor();
  assertNoConsoleErrors(current.problems);
});

test('the token is taken from the URL, kept for the tab and stripped from the address bar', async () => {
  const page = await open('login-url');
  assert.ok(!page.url().includes('token'), page.url());
  assert.equal(await page.evaluate(() => sessionStorage.getItem('dbgcoord_token')), coordinator.token);
  // The static files need no token and carry a strict CSP; the API still needs the token.
  const index = await fetch(`${coordinator.base}/`);
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(index.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
  assert.equal((await fetch(`${coordinator.base}/js/main.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal((await fetch(`${coordinator.base}/api/v1/processes`)).status, 401);
  // Every /api call carries it as a header: a reload without it in the URL still works.
  await page.reload();
  await page.locator('#connection[data-state="live"]').waitFor();
  await page.locator('table.processes').waitFor();
  assertNoConsoleErrors(current.problems);
});

test('the process list shows the targets ranked, with the terms of their scores', async () => {
  const page = await open('processes-filtered');
  for (const p of [...chains, hotcold]) await page.locator(`tr[data-pid="${p.pid}"]`).waitFor();
  const hotRow = page.locator(`tr[data-pid="${hotcold.pid}"]`);
  // profile_hotcold burns a CPU: its score has a "cpu" term, and it outranks the idle chains.
  await hotRow.locator('.terms li', { hasText: 'cpu' }).first().waitFor();
  await page.locator('table.processes[data-complete]').waitFor();
  const order = await page.locator('table.processes tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.pid)));
  assert.ok(order.indexOf(hotcold.pid) < order.indexOf(chains[0].pid), 'the busy target ranks above the idle one');
  await screenshot(page, 'processes', { docs: true });
  await page.locator('#process-filter').fill('targets/chain');
  // The server filters: the rows change once its answer is in.
  await page.locator('table.processes[data-complete] caption', { hasText: 'Matching processes' }).waitFor();
  const pids = await page.locator('table.processes tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.pid)));
  for (const p of chains) assert.ok(pids.includes(p.pid), `chain ${p.pid} listed`);
  assert.ok(!pids.includes(hotcold.pid), 'the filter hides other processes');
  assertNoConsoleErrors(current.problems);
});

test('a snapshot started from the UI shows live batch progress, then the folded stacks', async () => {
  const page = await open('snapshot', { docs: true, permissions: ['clipboard-read', 'clipboard-write'] });
  await mark(page);
  await page.locator('#process-filter').fill('targets/chain');
  await page.locator('table.processes caption', { hasText: 'Matching processes' }).waitFor();
  for (const p of chains) await page.locator(`tr[data-pid="${p.pid}"]`).waitFor();
  await page.getByRole('checkbox', { name: 'select every shown process that can be traced' }).check();
  await page.getByText('3 processes selected').waitFor();
  await page.getByRole('button', { name: 'Snapshot' }).click();
  await page.waitForURL(/#\/sessions\/s-/);
  // Live: the events of the session arrive over the WebSocket (the REST answer has no log).
  await page.locator('.event-log li[data-type="batch_done"]').nth(1).waitFor();
  await page.locator('#session-status', { hasText: 'done' }).waitFor();
  assert.equal(await page.locator('section.batch').count(), 2, 'three targets in batches of two');
  assert.equal(await page.locator('.session-progress li[data-state="done"] .count').textContent(), '3');
  assert.ok(await page.locator('.event-log li[data-type="batch_dispatched"]').count() >= 2);
  await screenshot(page, 'session', { docs: true });
  assert.equal(await marked(page), 'kept', 'no reload happened');

  await page.getByRole('link', { name: /^Snapshot \d+$/ }).first().click();
  await page.waitForURL(/#\/snapshots\/\d+/);
  // The three threads started by chain (main has other outer frames) fold into one group.
  const group = page.locator('details.stack-group', { hasText: '3 threads' });
  await group.waitFor();
  await group.locator('summary .top-frame', { hasText: 'chain_block' }).waitFor();
  for (const fn of ['chain_block', 'chain_level_4', 'chain_level_3', 'chain_level_2', 'chain_level_1']) {
    await group.locator('td.fn', { hasText: fn }).first().waitFor();
  }
  await group.locator('td.file', { hasText: /chain\.c:\d+/ }).first().waitFor();
  await group.locator('td.module', { hasText: /^chain\+0x/ }).first().waitFor();
  await page.getByRole('button', { name: 'Copy as text' }).click();
  await page.getByText('Copied the snapshot as text.').waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(copied, /^PID \d+ \(chain\)/);
  assert.match(copied, /3 threads: /);
  assert.match(copied, /chain_level_1/);
  assertNoConsoleErrors(current.problems);
});

test('a profile shows a flame graph whose widest frames include the hot function', async () => {
  const page = await open('profile-zoomed');
  await page.locator('#process-filter').fill(String(hotcold.pid));
  await page.getByRole('checkbox', { name: `select profile_hotcold (pid ${hotcold.pid})` }).check();
  await page.locator('#profile-duration').fill('3');
  await page.getByRole('button', { name: 'Profile', exact: true }).click();
  await page.waitForURL(/#\/sessions\/s-/);
  await page.locator('.event-log li[data-type="profile_progress"]').first().waitFor({ timeout: 30000 });
  await page.getByRole('link', { name: /^Profile \d+$/ }).click({ timeout: 60000 });
  await page.waitForURL(/#\/profiles\/\d+/);
  const hot = page.locator('.flame g.frame[data-name="profile_hot"]').first();
  await hot.waitFor();
  // profile_hot takes about 95 % of the busy thread: more than half of the graph's width.
  const graphWidth = Number(await page.locator('.flame svg').getAttribute('width'));
  const hotWidth = Number(await hot.locator('rect').getAttribute('width'));
  assert.ok(hotWidth > graphWidth * 0.3, `profile_hot is ${hotWidth} of ${graphWidth} px`);
  await page.locator('.hot-list li', { hasText: 'profile_spin' }).first().waitFor();
  await page.locator('.figure', { hasText: 'Effective rate' }).locator('dd', { hasText: 'Hz' }).waitFor();
  await page.locator('.figure', { hasText: 'Measured overhead' }).locator('dd', { hasText: '%' }).waitFor();
  // Search highlights, click zooms.
  await page.locator('#flame-search').fill('profile_spin');
  await page.locator('#flame-matched', { hasText: /matched \d/ }).waitFor();
  assert.ok(await page.locator('.flame g.frame.match').count() >= 1);
  await screenshot(page, 'profile', { docs: true });
  await hot.click();
  await page.locator('.flame g.frame.focus[data-name="profile_hot"]').waitFor();
  await page.getByRole('button', { name: 'Reset zoom' }).waitFor({ state: 'visible' });
  assert.equal(await page.getByRole('button', { name: 'Reset zoom' }).isEnabled(), true);
  // Downloads carry the token too (fetched, then saved).
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'pprof' }).click()]);
  assert.match(download.suggestedFilename(), /^profile-\d+\.pb\.gz$/);
  const bytes = fs.readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip');
  assertNoConsoleErrors(current.problems);
});

test('a running profile session is cancelled from the UI', async () => {
  const page = await open('cancel');
  await page.locator('#process-filter').fill(String(hotcold.pid));
  await page.getByRole('checkbox', { name: `select profile_hotcold (pid ${hotcold.pid})` }).check();
  await page.locator('#profile-duration').fill('120');
  await page.getByRole('button', { name: 'Profile', exact: true }).click();
  await page.waitForURL(/#\/sessions\/s-/);
  const id = decodeURIComponent(page.url().split('#/sessions/')[1]);
  await page.locator('.event-log li[data-type="profile_progress"]').first().waitFor({ timeout: 30000 });
  await page.getByRole('button', { name: 'Cancel session' }).click();
  await page.locator('#session-status', { hasText: 'cancelled' }).waitFor({ timeout: 30000 });
  assert.equal((await coordinator.api('GET', `/api/v1/sessions/${id}`)).status, 'cancelled');
  // What the profile collected before the cancel is kept.
  await page.getByRole('link', { name: /^Profile \d+$/ }).waitFor();
  assertNoConsoleErrors(current.problems);
});

test('a watched crasher dying makes its group appear without a reload; resolving it goes through the API', async () => {
  const crasher = start([target('crasher_O2'), 'null']);
  await crasher.waitForLine(/^ready$/);
  const page = await open('error-resolved');
  await mark(page);
  await page.locator('#process-filter').fill(String(crasher.pid));
  await page.getByRole('checkbox', { name: `select crasher_O2 (pid ${crasher.pid})` }).check();
  await page.getByRole('button', { name: 'Watch for crashes' }).click();
  await page.getByText('Watching 1 process for crashes.').waitFor();
  await page.getByRole('link', { name: 'See errors' }).click();
  await page.getByText('No open error groups.').waitFor();
  await page.locator('td', { hasText: `pid ${crasher.pid}` }).waitFor();
  // dbgcoord's sockets (its listener, the page's connections) must not leak into the watcher it
  // started: a killed coordinator's port would stay bound, and the restart would fail.
  const { watcher_pid: watcher } = await coordinator.api('GET', '/api/v1/watches');
  assert.ok(watcher > 0);
  // (0..2 are its standard streams, shared with dbgcoord on purpose: node's pipes are sockets.)
  const sockets = fs.readdirSync(`/proc/${watcher}/fd`).filter((fd) => Number(fd) > 2)
    .map((fd) => { try { return fs.readlinkSync(`/proc/${watcher}/fd/${fd}`); } catch { return ''; } })
    .filter((link) => link.startsWith('socket:'));
  assert.deepEqual(sockets, [], 'the crash watcher holds none of dbgcoord\'s sockets');
  crasher.child.stdin.write('go\n');
  const row = page.locator('table.errors tbody tr', { hasText: 'SIGSEGV' });
  await row.waitFor();
  assert.equal(await marked(page), 'kept', 'the group arrived without a reload');
  await row.locator('.spark svg').waitFor();
  await screenshot(page, 'errors', { docs: true });
  const groupId = await row.getAttribute('data-group');

  await row.getByRole('link').click();
  await page.waitForURL(new RegExp(`#/errors/${groupId}$`));
  await page.locator('.facts dt', { hasText: 'Fault address' }).waitFor();
  await page.locator('.registers dt', { hasText: 'rip' }).waitFor();
  await page.locator('details.stack-group[open] td.fn', { hasText: 'store_through' }).first().waitFor();
  await screenshot(page, 'error-group', { docs: true });
  await page.getByRole('button', { name: `Resolve group ${groupId}` }).click();
  await page.locator('#group-status', { hasText: 'resolved' }).waitFor();
  const group = await coordinator.api('GET', `/api/v1/errors/${groupId}`);
  assert.equal(group.status, 'resolved');
  await crasher.exited;
  assertNoConsoleErrors(current.problems);
});

// The classifier (class, confidence, similar groups) is another feature's: until the server
// sends those fields the page shows "unclassified" (checked above on the real API). Here the
// real answers are extended with them, as the classifier will, to check that they are shown.
test('class, confidence and similar groups are shown when the API provides them', async () => {
  const reported = await coordinator.api('POST', '/api/v1/errors/events',
    { type: 'AnalysisProbe', message: 'a group for the analysis fields', frames: [{ function: 'probe', module: 'app' }] });
  const id = reported.group_ids[0];
  const page = await open('analysis', { hash: '#/errors' });
  await page.route(/\/api\/v1\/errors(\/\d+)?(\?.*)?$/, async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    // The shape the classifier's API documents: class and confidence on the group, the details
    // in "analysis", up to 5 "similar" groups.
    const annotate = (g) => ({ ...g, class: 'null_dereference', confidence: 0.93 });
    const patched = body.groups
      ? { ...body, groups: body.groups.map(annotate) }
      : { ...annotate(body),
          analysis: { class: 'null_dereference', confidence: 0.93, explanation: 'fault address in the first page', model_version: 1 },
          similar: [{ id: 4242, score: 0.81, type: 'SIGSEGV/SEGV_MAPERR', message: 'Segmentation fault' }] };
    await route.fulfill({ response, json: patched });
  });
  await page.locator('#error-status').selectOption('all');  // reloads the list through the route
  const row = page.locator(`table.errors tbody tr[data-group="${id}"]`);
  await row.locator('.class', { hasText: 'null dereference' }).waitFor();
  await row.locator('.class', { hasText: '93 %' }).waitFor();
  await row.getByRole('link').click();
  await page.locator('.facts .class', { hasText: 'null dereference' }).waitFor();
  await page.locator('.facts dd', { hasText: 'fault address in the first page' }).waitFor();
  await page.locator('ul.similar a[href="#/errors/4242"]', { hasText: 'group 4242' }).waitFor();
  await page.locator('ul.similar', { hasText: 'similarity 0.81' }).waitFor();
  assertNoConsoleErrors(current.problems);
});

test('an error reported through the API shows its frames and context', async () => {
  const reported = await coordinator.api('POST', '/api/v1/errors/events', {
    type: 'std::out_of_range', message: 'vector::_M_range_check: __n (which is 7) >= this->size() (which is 3)',
    pid: 31337, comm: 'shop', context: { request_id: 'r-1' },
    frames: [{ function: 'shop::Cart::item_at(unsigned long)', module: 'shop', offset: '0x2410', file: 'cart.cpp', line: 42 },
      { function: 'main', module: 'shop', offset: '0x3100' }],
  });
  const page = await open('reported-error', { hash: `#/errors/${reported.group_ids[0]}` });
  await page.locator('h1', { hasText: 'std::out_of_range' }).waitFor();
  await page.locator('table.frames td.file', { hasText: 'cart.cpp:42' }).waitFor();
  await page.locator('pre.json', { hasText: '"request_id": "r-1"' }).waitFor();
  assertNoConsoleErrors(current.problems);
});

// Deadlock and busy-hang findings come from another feature (sessions with options.detect):
// the real session answer is extended with the documented "findings" of a target.
test('deadlock findings of a session\'s targets are shown when present', async () => {
  const { id } = await coordinator.api('POST', '/api/v1/sessions', { targets: { pids: [chains[1].pid] }, options: { source: 'none' } });
  const page = await open('findings', { hash: '#/sessions' });
  await page.route(new RegExp(`/api/v1/sessions/${id}$`), async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    const target = body.batches[0].targets[0];
    target.findings = [{ kind: 'deadlock', snapshots: 1, message: 'deadlock: 2 threads wait on each other',
      mutexes: ['0x10', '0x20'],
      threads: [{ tid: 11, name: 'dl-a', state: 'S', waits_on: '0x10', owner: 12, where: { function: 'take_second', file: 'dl.c', line: 44 } },
        { tid: 12, name: 'dl-b', state: 'S', waits_on: '0x20', owner: 11, where: { function: 'take_first', file: 'dl.c', line: 30 } }] }];
    await route.fulfill({ response, json: body });
  });
  await page.getByRole('link', { name: id }).click();
  await page.locator('ul.findings', { hasText: 'deadlock: 2 threads wait on each other' }).waitFor();
  await page.locator('ul.findings li.small', { hasText: 'dl-a 11 waits on 0x10 held by 12 in take_second (dl.c:44)' }).waitFor();
  assertNoConsoleErrors(current.problems);
});

// Futex waits come from another feature (the worker reads a blocked thread's futex and the
// mutex's owner); chain's threads sit in pause(), so the real snapshot answer is extended with
// one thread's documented "wait".
test('a thread blocked on a mutex shows where it waits and who owns the mutex', async () => {
  const { id } = await coordinator.api('POST', '/api/v1/sessions', { targets: { pids: [chains[2].pid] }, options: { source: 'none' } });
  let session;
  for (let i = 0; i < 200; i++) {
    session = await coordinator.api('GET', `/api/v1/sessions/${id}`);
    if (session.status !== 'queued' && session.status !== 'running') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const snapshotId = session.batches[0].targets[0].snapshot_id;
  assert.ok(snapshotId, JSON.stringify(session));
  const page = await open('waits', { hash: '#/sessions' });
  let waiting;
  await page.route(new RegExp(`/api/v1/snapshots/${snapshotId}$`), async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    const thread = body.threads.find((t) => t.tid !== body.pid);  // one of chain's own threads
    waiting = thread.tid;
    thread.wait = { syscall: 'futex', addr: '0x55d0c0de1000', op: 128, mutex_owner: body.pid };
    await route.fulfill({ response, json: body });
  });
  await page.goto(`${coordinator.dashboardUrl}#/snapshots/${snapshotId}`);
  const line = page.locator('ul.waits li.small');
  await line.first().waitFor();
  assert.equal(await line.count(), 1, 'only the waiting thread has a line');
  assert.equal(await line.first().textContent(),
    `tid ${waiting} waits in futex on 0x55d0c0de1000 (op 128), mutex owner ${chains[2].pid}`);
  assertNoConsoleErrors(current.problems);
});

test('health shows the coordinator\'s figures as live charts', async () => {
  const page = await open('health', { hash: '#/health', docs: true });
  await page.locator('figure.chart').nth(5).waitFor();
  for (const title of ['Memory', 'CPU', 'Queues', 'Cache hit rate', 'Thread pauses', 'Error events']) {
    await page.locator('figure.chart figcaption b', { hasText: title }).waitFor();
  }
  // Live: later polls add points to the memory chart's line.
  await page.waitForFunction(() => {
    const line = document.querySelector('figure.chart polyline');
    return line && line.getAttribute('points').split(' ').length >= 3;
  });
  await page.locator('.facts dt', { hasText: 'Workers' }).waitFor();
  const ingest = page.locator('.facts dt', { hasText: 'Error ingest' });
  await ingest.waitFor();
  assert.match(await ingest.locator('xpath=following-sibling::dd[1]').textContent(),
    /^[\d,]+ events stored \([\d,]+ refused by the store\), [\d,]+ new groups, [\d,]+ regressions; frames memo /);
  assertNoConsoleErrors(current.problems);
});

test('a wrong token gets a plain login prompt, and the right one gets in', async () => {
  current = { ...(await openPage(browser)), name: 'wrong-token', docs: true };
  const page = current.page;
  await page.goto(`${coordinator.base}/?token=not-the-token#/processes`);
  await page.locator('#login').waitFor();
  await page.getByText('The token was not accepted.').waitFor();
  assert.ok(!page.url().includes('not-the-token'), 'stripped from the address bar');
  assert.equal(await page.locator('#view').isHidden(), true);
  await screenshot(page, 'wrong-token', { docs: true });
  await page.getByLabel('API token').fill(coordinator.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#connection[data-state="live"]').waitFor();
  await page.locator('table.processes').waitFor();
  assertNoConsoleErrors(current.problems, UNAUTHORIZED);
});

test('a restarted coordinator: the page shows "reconnecting" and reconnects by itself', async () => {
  const page = await open('reconnect', { hash: '#/sessions' });
  await mark(page);
  await page.locator('#view table, #view p.empty').first().waitFor();
  await coordinator.stop();
  await page.locator('#connection[data-state="reconnecting"]', { hasText: 'reconnecting' }).waitFor();
  await screenshot(page, 'reconnecting');
  await coordinator.start();  // same port, same data directory (and token)
  await page.locator('#connection[data-state="live"]').waitFor();
  assert.equal(await marked(page), 'kept', 'reconnected without a reload');
  // The new stream is live: a session started now appears in the list by itself.
  const session = await coordinator.api('POST', '/api/v1/sessions', { targets: { pids: [chains[0].pid] }, options: { source: 'none' } });
  await page.getByRole('link', { name: session.id }).waitFor();
  assertNoConsoleErrors(current.problems, REFUSED);
});

test('narrow window: no sideways scrolling of the page, keyboard navigation works', async () => {
  const page = await open('narrow', { width: 400, height: 800 });
  await page.locator('table.processes').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow} px wider than the window`);
  // Tab from the top reaches the navigation; Enter follows a link.
  await page.locator('.brand').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Sessions');
  // Keyboard focus is visible.
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
  await page.keyboard.press('Enter');
  await page.waitForURL(/#\/sessions$/);
  await page.locator('h1', { hasText: 'Sessions' }).waitFor();
  assertNoConsoleErrors(current.problems);
});
