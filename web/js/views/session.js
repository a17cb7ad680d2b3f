// One session: live progress per batch of targets (queued, running, done, failed), each
// target's result (a link to its snapshot or profile) or error, a cancel button while it runs,
// and the session's live events as they arrive over the WebSocket.
import { h, fill, notice } from '../dom.js';
import { clock, dateTime, millis, num } from '../format.js';
import { countTargets, sessionTargets, progressBar, countList } from '../progress.js';

function belongsTo(event, id) {
  const d = event.data || {};
  return d.session_id === id || (event.topic === 'session' && d.id === id);
}

function describe(event) {
  const d = event.data || {};
  switch (event.type) {
    case 'session_created': return `${d.targets} targets in ${d.batches} batches`;
    case 'batch_dispatched': return `batch ${d.index + 1}: pids ${(d.pids || []).join(', ')}`;
    case 'batch_captured': return `batch ${d.index + 1} captured in ${millis(d.elapsed_ms)}, storing`;
    case 'batch_done': return `batch ${d.index + 1} done in ${millis(d.elapsed_ms)}`;
    case 'snapshot_stored': return `pid ${d.pid}: snapshot ${d.snapshot_id}`;
    case 'profile_stored': return `pid ${d.pid}: profile ${d.profile_id} (${num(d.samples)} samples)`;
    case 'profile_progress': return `pid ${d.pid}: ${num(d.samples)} samples, ${num(d.hz_effective, 1)} Hz, overhead ${num(d.overhead_pct, 2)} %`;
    case 'job_failed': return `pid ${d.pid}: ${d.error?.code || ''} ${d.error?.message || ''}`;
    case 'session_done':
    case 'session_cancelled': return `${d.status} in ${millis(d.total_ms)}`;
    case 'session_failed': return `failed: ${d.reason || ''}`;
    default: return '';
  }
}

export function mount(root, { id }, { api, events }) {
  const header = h('div');
  const body = h('div');
  const log = h('ol', { class: 'event-log', 'aria-live': 'off' });
  const liveProgress = new Map();  // pid -> latest profile_progress data
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/sessions' }, 'Sessions'), ' / ', id),
    header, body,
    h('section', { 'aria-labelledby': 'session-events' }, h('h2', { id: 'session-events' }, 'Live events'), log));

  function logEvent(e) {
    if (e.type === 'profile_progress') liveProgress.set(e.data.pid, e.data);
    const item = h('li', { dataset: { type: e.type } }, h('time', {}, clock(e.time_ms)), ' ', h('b', {}, e.type), ' ', describe(e));
    log.prepend(item);
    while (log.children.length > 200) log.lastChild.remove();
  }

  // Deadlock / busy-hang findings (sessions with options.detect), when the coordinator has them.
  function findings(t) {
    if (!Array.isArray(t.findings)) return null;
    if (t.findings.length === 0) return h('span', { class: 'muted' }, 'no deadlock or hang found');
    return h('ul', { class: 'findings' }, t.findings.map((f) => h('li', {},
      h('span', { class: 'badge failed' }, f.kind), ' ', f.message || '',
      (f.threads || []).length ? h('ul', {}, f.threads.map((th) => h('li', { class: 'small' },
        `${th.name || 'thread'} ${th.tid}`, th.waits_on ? ` waits on ${th.waits_on}` : '', th.owner ? ` held by ${th.owner}` : '',
        th.where?.function ? ` in ${th.where.function}${th.where.file ? ` (${th.where.file}:${th.where.line ?? '?'})` : ''}` : ''))) : null)));
  }

  function targetDetail(t) {
    if (t.error) return h('span', { class: 'error-text' }, `${t.error.code}: ${t.error.message || ''}`);
    if (t.findings) return findings(t);
    const p = liveProgress.get(t.pid) || t.progress;
    if (p && (t.status === 'running' || t.profile_id)) {
      return `${num(p.samples)} samples, ${num(p.hz_effective, 1)} Hz effective, overhead ${num(p.overhead_pct, 2)} %`;
    }
    return '';
  }

  function result(t) {
    if (t.snapshot_id !== undefined && t.snapshot_id !== null) return h('a', { href: `#/snapshots/${t.snapshot_id}` }, `Snapshot ${t.snapshot_id}`);
    if (t.profile_id !== undefined && t.profile_id !== null) return h('a', { href: `#/profiles/${t.profile_id}` }, `Profile ${t.profile_id}`);
    return '';
  }

  function render(s) {
    const targets = sessionTargets(s);
    const counts = countTargets(targets);
    const running = s.status === 'queued' || s.status === 'running';
    fill(header, 
      h('h1', {}, `${s.kind === 'profile' ? 'Profile' : 'Snapshot'} session ${s.id}`),
      h('p', { class: 'meta' },
        h('span', { class: `badge ${s.status}`, id: 'session-status' }, s.status),
        ` started ${dateTime(s.created_at_ms)}`, s.total_ms != null ? `, took ${millis(s.total_ms)}` : '',
        s.reason ? ` (${s.reason})` : ''),
      h('div', { class: 'session-progress' }, progressBar(counts, 'all targets'), countList(counts)),
      running ? h('button', { type: 'button', class: 'danger', onclick: cancel }, 'Cancel session') : null);
    fill(body, ...(s.batches || []).map((b) => {
      const bc = countTargets(b.targets || []);
      return h('section', { class: 'batch', dataset: { index: b.index } },
        h('h2', {}, `Batch ${b.index + 1} of ${s.batches.length} `, h('span', { class: `badge ${b.status}` }, b.status),
          b.elapsed_ms != null ? h('span', { class: 'small' }, ` ${millis(b.elapsed_ms)}`) : null),
        progressBar(bc, `batch ${b.index + 1}`), countList(bc),
        h('div', { class: 'table-wrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['PID', 'Name', 'Score', 'Status', 'Result', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, (b.targets || []).map((t) => h('tr', {},
            h('td', { class: 'num' }, t.pid), h('td', {}, t.comm || ''), h('td', { class: 'num' }, num(t.score, 1)),
            h('td', {}, h('span', { class: `badge ${t.status}` }, t.status)), h('td', {}, result(t)), h('td', {}, targetDetail(t))))))));
    }));
  }

  let targetCount = 0;  // of the last session read: how costly a refetch is
  async function load() {
    try {
      const s = await api.get(`/api/v1/sessions/${encodeURIComponent(id)}`);
      targetCount = sessionTargets(s).length;
      render(s);
    } catch (e) {
      if (e.status !== 401) fill(header, h('h1', {}, `Session ${id}`), notice('error', e.status === 404 ? 'No such session.' : e.message));
    }
  }

  async function cancel() {
    try {
      await api.del(`/api/v1/sessions/${encodeURIComponent(id)}`);
    } catch (e) {
      header.append(notice('error', `Could not cancel: ${e.message}`));
    }
    load();
  }

  // Live events refetch the session, at most every 150 ms, and every 0.2 ms per target for a big
  // one (2 s at 10,000 targets: its JSON is megabytes). Not a debounce: a session whose events
  // never pause (thousands of targets) must still move on the screen while it runs.
  let timer = null;
  let lastLoad = 0;
  const reload = () => {
    if (timer) return;
    const gap = Math.max(150, targetCount * 0.2);
    timer = setTimeout(() => { timer = null; lastLoad = Date.now(); load(); }, Math.max(0, lastLoad + gap - Date.now()));
  };
  reload.cancel = () => { clearTimeout(timer); timer = null; };
  for (const e of events.recent) if (belongsTo(e, id)) logEvent(e);
  const off = events.on((e) => {
    if (!belongsTo(e, id)) return;
    logEvent(e);
    reload();
  });
  load();
  return { unmount: () => { off(); reload.cancel(); }, refresh: load };
}
