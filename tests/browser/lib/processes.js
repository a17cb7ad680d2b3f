// Child processes of the tests (dbgcoord, targets): started with piped output, read line by
// line, and every one of them killed at the end whatever happened (killAll in `after`).
'use strict';
const { spawn } = require('node:child_process');
const readline = require('node:readline');

const started = new Set();

// Spawns argv; returns {child, lines, waitForLine(re, ms), stop(signal, ms)}.
function start(argv, { env } = {}) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.add(child);
  const lines = [];
  const waiters = [];
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { started.delete(child); resolve({ code, signal }); }));
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      for (const w of [...waiters]) {
        const m = w.re.exec(line);
        if (m) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
      }
    });
  }
  child.stdin.on('error', () => {});  // a target that exits before reading its stdin

  // Resolves with the match of the first line (already printed or to come) matching re; rejects
  // after ms, or when the process exits first, with its output for the test's failure message.
  function waitForLine(re, ms = 20000) {
    for (const line of lines) { const m = re.exec(line); if (m) return Promise.resolve(m); }
    return new Promise((resolve, reject) => {
      const w = { re, resolve: (m) => { clearTimeout(timer); resolve(m); } };
      const fail = (why) => {
        const i = waiters.indexOf(w);
        if (i < 0) return;  // already matched
        waiters.splice(i, 1);
        clearTimeout(timer);
        reject(new Error(`${argv[0]}: no line matching ${re} (${why}); output:\n${lines.join('\n')}`));
      };
      const timer = setTimeout(() => fail(`not within ${ms} ms`), ms);
      waiters.push(w);
      exited.then(({ code, signal }) => fail(`exited with ${code ?? signal}`));
    });
  }

  // Signals the process and waits for its exit; SIGKILL after `ms`.
  async function stop(signal = 'SIGTERM', ms = 10000) {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    const result = await exited;
    clearTimeout(timer);
    return result;
  }

  return { child, pid: child.pid, lines, waitForLine, stop, exited };
}

function killAll() {
  for (const child of started) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
}

// CTest's timeout or a Ctrl-C must not leave targets or a coordinator behind.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    killAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  });
}
process.on('exit', killAll);

module.exports = { start, killAll };
