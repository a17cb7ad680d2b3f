// A real dbgcoord from the build (DBG_BIN_DIR) on an ephemeral loopback port with its own data
// directory; restartable on the same port and data directory (the reconnect test).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { start } = require('./processes');

const BIN_DIR = process.env.DBG_BIN_DIR || path.resolve(__dirname, '../../../build/bin');

class Coordinator {
  constructor(dataDir, extraArgs = []) {
    this.dataDir = dataDir;
    this.extraArgs = extraArgs;
    this.port = 0;
    this.proc = null;
  }

  async start() {
    const argv = [path.join(BIN_DIR, 'dbgcoord'), '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, ...this.extraArgs];
    this.proc = start(argv);
    const m = await this.proc.waitForLine(/^dbgcoord listening on http:\/\/127\.0\.0\.1:(\d+) /, 30000);
    this.port = Number(m[1]);
    const d = await this.proc.waitForLine(/^dashboard: (http:\S+)$/, 10000);
    this.dashboardUrl = d[1];
    this.token = fs.readFileSync(path.join(this.dataDir, 'token'), 'utf8').trim();
    this.base = `http://127.0.0.1:${this.port}`;
    return this;
  }

  async stop() {
    if (this.proc) await this.proc.stop('SIGTERM');
    this.proc = null;
  }

  // Direct API calls, to check what the UI did.
  async api(method, route, body) {
    const response = await fetch(this.base + route, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  log() {
    return this.proc ? this.proc.lines.join('\n') : '';
  }
}

module.exports = { Coordinator, BIN_DIR };
