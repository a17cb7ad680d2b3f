// node bench/dashboard_load.js DASHBOARD_URL: prints the milliseconds from navigation to the
// first row of the process table in Debian's chromium (playwright-core from tests/browser), one
// number on stdout. Used by bench/run_scale_bench.sh.
'use strict';
const path = require('node:path');
const { chromium } = require(path.resolve(__dirname, '../tests/browser/node_modules/playwright-core'));

(async () => {
  const browser = await chromium.launch({ executablePath: process.env.DBG_CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.setDefaultTimeout(120000);
    // A first visit warms chromium and the static files; the second is the one measured.
    await page.goto(`${process.argv[2]}#/processes`);
    await page.locator('table.processes tbody tr').first().waitFor();
    await page.goto('about:blank');
    const started = Date.now();
    await page.goto(`${process.argv[2]}#/processes`);
    await page.locator('table.processes tbody tr').first().waitFor();
    console.log(Date.now() - started);
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
