// The dashboard's process view on a big host (issue #23): 10,000 real sleeping processes
// (tests/targets/sleepers: children of one parent, each killed by the kernel when the parent
// dies) on a real dbgcoord, in Debian's chromium. The view is paged by the server: every one of
// the 10,000 is reached through "Next page" exactly once, a page never holds more than its 500
// rows, and the sorts are the server's. Waits are on elements, never on the clock; the time to
// the first rows is printed for the record (bench/run_scale_bench.sh measures it), not asserted.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Coordinator } = require('./lib/coordinator');
const { start, killAll } = require('./lib/processes');
const { launch, openPage, assertNoConsoleErrors, screenshot } = require('./lib/browser');

const TARGET_DIR = process.env.DBG_TARGET_DIR || path.resolve(__dirname, '../../build/tests/targets');
const COUNT = Number(process.env.DBG_SCALE_PROCESSES || 10000);
const PAGE_SIZE = 500;

let tmp;
let sleepers;
let children = [];
let coordinator;
let browser;

function childPids(pid) {
  return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbgcoord-scale-'));
  // A name of its own: the filter below must find these and nothing else.
  const link = path.join(tmp, `scl${process.pid % 100000}`);
  fs.symlinkSync(path.join(TARGET_DIR, 'sleepers'), link);
  sleepers = start([link, String(COUNT)]);
  const ready = await sleepers.waitForLine(/^ready (\d+)$/, 120000);
  assert.equal(Number(ready[1]), COUNT, 'every sleeper started');
  children = childPids(sleepers.pid);
  assert.equal(children.length, COUNT);
  coordinator = await new Coordinator(path.join(tmp, 'data')).start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close().catch(() => {});
  if (coordinator) await coordinator.stop().catch(() => {});
  if (sleepers) await sleepers.stop('SIGTERM').catch(() => {});
  killAll();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// The rows of the page once all of them are in (the view renders the first ones before the rest).
async function shownPids(page) {
  await page.locator('table.processes[data-complete]').waitFor();
  return page.locator('table.processes tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.pid)));
}

test(`${COUNT} processes: the first page comes at once, and "Next page" reaches each one exactly once`, async () => {
  const { page, context, problems } = await openPage(browser);
  try {
    const started = Date.now();
    await page.goto(`${coordinator.dashboardUrl}#/processes`);
    await page.locator('table.processes tbody tr').first().waitFor();
    console.log(`# first rows after ${Date.now() - started} ms with ${COUNT} processes`);
    const caption = await page.locator('table.processes caption').textContent();
    const total = Number(/of (\d+) on the host/.exec(caption)[1]);
    assert.ok(total >= COUNT, `the caption counts the host's processes: ${caption}`);
    assert.equal((await shownPids(page)).length, PAGE_SIZE, 'one page of rows, not the whole host');

    await page.locator('#process-filter').fill(path.basename(sleepers.child.spawnargs[0]));
    await page.locator('table.processes caption', { hasText: 'Matching processes 1–' }).waitFor();
    const seen = new Map();
    for (let pageNo = 1; ; pageNo++) {
      await page.locator('.page-range', { hasText: `${(pageNo - 1) * PAGE_SIZE + 1}–` }).waitFor();
      const pids = await shownPids(page);
      assert.ok(pids.length <= PAGE_SIZE);
      for (const pid of pids) seen.set(pid, (seen.get(pid) || 0) + 1);
      const next = page.getByRole('button', { name: 'Next page' });
      if (await next.isDisabled()) break;
      await next.click();
      assert.ok(pageNo < 10 * COUNT / PAGE_SIZE, 'paging ends');
    }
    for (const pid of children) assert.equal(seen.get(pid), 1, `sleeper ${pid} listed once`);
    assert.equal(seen.size, children.length + 1, 'the sleepers and their parent, nothing else');
    await screenshot(page, 'scale-last-page');

    // Sorted by the server: PID ascending, then descending, from the first page.
    await page.locator('button.sort[data-sort="pid"]').click();
    await page.locator('th[aria-sort="ascending"] button[data-sort="pid"]').waitFor();
    await page.locator('.page-range', { hasText: '1–' }).waitFor();
    const ascending = await shownPids(page);
    assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
    await page.locator('button.sort[data-sort="pid"]').click();
    await page.locator('th[aria-sort="descending"] button[data-sort="pid"]').waitFor();
    const descending = await shownPids(page);
    assert.equal(descending[0], Math.max(...children, sleepers.pid), 'the highest pid first');
    assertNoConsoleErrors(problems);
  } finally {
    await context.close().catch(() => {});
  }
});
