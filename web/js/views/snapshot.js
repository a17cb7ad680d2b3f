// One snapshot: threads folded by identical stack with their counts, each group expandable to
// its frames (function, file:line, module+offset), and copy-as-text (the API's text format).
import { h, fill, clear, notice } from '../dom.js';
import { micros, dateTime } from '../format.js';
import { framesTable, summaryFrame } from '../frames.js';
import { copyText } from '../clipboard.js';

export function mount(root, { id }, { api, download }) {
  const header = h('div');
  const groups = h('div', { class: 'groups' });
  const status = h('div');
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/sessions' }, 'Sessions'), ' / snapshot ', id), header, status, groups);
  const base = `/api/v1/snapshots/${encodeURIComponent(id)}`;

  async function copy() {
    try {
      const text = await api.get(`${base}?format=text&group=stack`, { as: 'text' });
      clear(status);
      const ok = await copyText(text, status);
      status.prepend(notice('ok', ok ? 'Copied the snapshot as text.' : 'The clipboard is not available here: copy the text below.'));
    } catch (e) {
      fill(status, notice('error', `Could not copy: ${e.message}`));
    }
  }

  async function load() {
    let grouped;
    let full;
    try {
      [grouped, full] = await Promise.all([api.get(`${base}?group=stack`), api.get(base)]);
    } catch (e) {
      if (e.status !== 401) fill(header, h('h1', {}, `Snapshot ${id}`), notice('error', e.status === 404 ? 'No such snapshot.' : e.message));
      return;
    }
    const pauses = (full.threads || []).map((t) => t.pause_us || 0);
    // Where a blocked thread waits (futex address, the mutex's owner when known), by tid: the
    // grouped answer folds threads by stack, the waits are per thread.
    const waits = new Map((full.threads || []).filter((t) => t.wait).map((t) => [t.tid, t.wait]));
    fill(header, 
      h('h1', {}, `Snapshot ${id}: ${grouped.comm} (pid ${grouped.pid})`),
      h('p', { class: 'meta' },
        `${grouped.thread_count} threads in ${grouped.groups.length} distinct stacks, taken ${dateTime(full.taken_at_ms)}, `,
        `capture ${micros(full.capture_us)}, unwind ${micros(full.unwind_us)}, longest pause ${micros(Math.max(0, ...pauses))}, consistency ${grouped.consistency}`,
        full.session_id ? h('span', {}, ' — ', h('a', { href: `#/sessions/${encodeURIComponent(full.session_id)}` }, `session ${full.session_id}`)) : null),
      h('div', { class: 'toolbar' },
        h('button', { type: 'button', onclick: copy }, 'Copy as text'),
        h('button', { type: 'button', class: 'quiet', onclick: () => download(`${base}?format=text&group=stack`, `snapshot-${id}.txt`) }, 'Download text'),
        h('button', { type: 'button', class: 'quiet', onclick: () => download(`${base}?format=folded`, `snapshot-${id}.folded`) }, 'Download folded'),
        h('button', { type: 'button', class: 'quiet', onclick: () => setAll(true) }, 'Expand all'),
        h('button', { type: 'button', class: 'quiet', onclick: () => setAll(false) }, 'Collapse all')));
    fill(groups, ...grouped.groups.map((g, i) => {
      const names = [...new Set(g.names || [])].join(', ');
      return h('details', { class: 'stack-group', open: grouped.groups.length <= 3 || i === 0 },
        h('summary', {},
          h('span', { class: 'thread-count' }, `${g.count} ${g.count === 1 ? 'thread' : 'threads'}`), ' ',
          h('span', { class: 'top-frame' }, summaryFrame(g.frames) || (g.error ? `[${g.error.code}]` : '')),
          h('span', { class: 'small' }, ` ${names} — tids ${(g.tids || []).join(', ')}`),
          g.truncated ? h('span', { class: 'badge muted' }, `truncated: ${g.truncated}`) : null),
        g.error ? notice('error', `${g.error.code}: ${g.error.message}`) : null,
        waitList(g.tids || [], waits),
        framesTable(g.frames));
    }));
  }

  // "tid 12 waits in futex on 0x7f… (op 128), mutex owner 11", one line per waiting thread.
  function waitList(tids, waits) {
    const lines = tids.filter((tid) => waits.has(tid)).map((tid) => {
      const w = waits.get(tid);
      const owner = w.mutex_owner != null ? `, mutex owner ${w.mutex_owner}` : '';
      return h('li', { class: 'small' }, `tid ${tid} waits in ${w.syscall} on ${w.addr} (op ${w.op})${owner}`);
    });
    return lines.length ? h('ul', { class: 'waits' }, ...lines) : null;
  }

  function setAll(open) {
    for (const d of groups.querySelectorAll('details')) d.open = open;
  }

  load();
  return { unmount() {}, refresh: load };
}
