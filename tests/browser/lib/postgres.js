// A real PostgreSQL for the fleet's browser test, made exactly as the C++ fleet tests make one
// (tests/integration/postgres_fixture.hpp): Debian's postgresql-15, initdb in a temporary
// directory as the `postgres` user (PostgreSQL refuses root), listening only on a unix socket in
// that directory (no TCP port: nothing else can reach it, nothing collides). stop() is fast
// shutdown; it also runs when node exits for any reason, so a failing test leaves no server.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PG_BIN = '/usr/lib/postgresql/15/bin';
const running = new Set();

function asPostgres(argv, what) {
  try {
    return execFileSync('runuser', ['-u', 'postgres', '--', ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`${what} failed: ${e.stdout || ''}${e.stderr || ''}`);
  }
}

class TempPostgres {
  // `port` only names the socket file (.s.PGSQL.PORT): any number will do.
  constructor(port = 54331) {
    this.port = port;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbgcoord-pg-'));
    this.running = false;
  }

  init() {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    fs.chownSync(this.dir, uid, gid);
    asPostgres([`${PG_BIN}/initdb`, '-D', this.data(), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'], 'initdb');
    return this.start();
  }

  start() {
    // fsync off: a cluster thrown away at the end.
    const options = `-c listen_addresses='' -c unix_socket_directories='${this.dir}' -c port=${this.port} -c fsync=off -c synchronous_commit=off`;
    running.add(this);
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', this.data(), '-l', path.join(this.dir, 'log'), '-o', options, '-w', '-t', '60', 'start'], 'pg_ctl start');
    this.running = true;
    return this;
  }

  // Fast shutdown: clients are disconnected at once, as when a server goes down.
  stop() {
    if (!running.has(this)) return;
    running.delete(this);
    this.running = false;
    asPostgres([`${PG_BIN}/pg_ctl`, '-D', this.data(), '-m', 'fast', '-w', '-t', '60', 'stop'], 'pg_ctl stop');
  }

  // Stops the server if it runs and removes its directory.
  destroy() {
    try { this.stop(); } catch (e) { console.error(e.message); }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  conninfo() {
    return `host=${this.dir} port=${this.port} dbname=postgres user=postgres`;
  }

  data() {
    return path.join(this.dir, 'data');
  }
}

// Whatever ends node (a failed assertion, CTest's timeout through SIGTERM: lib/processes.js
// exits then), no server is left behind.
process.on('exit', () => {
  for (const pg of [...running]) pg.destroy();
});

module.exports = { TempPostgres };
