// Debian's chromium driven by playwright-core: one page per test, every console error and
// uncaught page error collected (a test fails on any it did not expect), a screenshot per test.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch {
  console.error('playwright-core is not installed: run `npm ci` in tests/browser (scripts/setup.sh does)');
  process.exit(1);
}

const SCREENSHOT_DIR = process.env.DBG_SCREENSHOT_DIR || path.resolve(__dirname, '../../../build/tests/browser-screenshots');
// Set by scripts/dashboard_screenshots.sh: the views' screenshots are also copied to docs/img.
const DOCS_IMG_DIR = process.env.DBG_DOCS_IMG_DIR || '';

async function launch() {
  fs.rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({
    executablePath: process.env.DBG_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
}

async function openPage(browser, { width = 1280, height = 800, permissions = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  if (permissions.length) await context.grantPermissions(permissions);
  const page = await context.newPage();
  // Generous: the CI box is a shared, noisy 2-core machine.
  page.setDefaultTimeout(30000);
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, context, problems };
}

// Fails unless every collected problem matches one of the allowed patterns (browser-logged
// network failures that the test provokes on purpose: a 401, a refused connection).
function assertNoConsoleErrors(problems, allowed = []) {
  const unexpected = problems.filter((p) => !allowed.some((re) => re.test(p)));
  if (unexpected.length) throw new Error(`console errors:\n${unexpected.join('\n')}`);
}

async function screenshot(page, name, { docs = false } = {}) {
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  if (docs && DOCS_IMG_DIR) {
    fs.mkdirSync(DOCS_IMG_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_IMG_DIR, `dashboard-${name}.png`));
  }
  return file;
}

module.exports = { launch, openPage, assertNoConsoleErrors, screenshot, SCREENSHOT_DIR };
