// Errors: the error groups (crashes seen by watches, errors reported through the API) with
// count, class and confidence when the classifier provides them, first and last seen, a
// sparkline of occurrences and status changes; live over the WebSocket. Below them the crash
// watches, which produce the crash groups.
import { h, fill, clear, empty, notice, debounce } from '../dom.js';
import { ago, dateTime, num } from '../format.js';
import { classLabel, statusButtons, occurrenceSparkline } from '../error_common.js';

const SPARKLINES = 40;  // groups whose recent events are fetched for a sparkline

export function mount(root, _params, { api, events }) {
  const statusFilter = h('select', { id: 'error-status' },
    ['open', 'resolved', 'ignored', 'all'].map((v) => h('option', { value: v }, v)));
  const status = h('div');
  const list = h('div', { class: 'table-wrap' });
  const watches = h('div', { class: 'table-wrap' });
  // Which crash capture runs: core mode (the kernel's core_pattern runs dbgcoord's handler) for
  // the host or some watches, or off; and the reports waiting in its spool.
  const capture = h('p', { id: 'crash-capture', class: 'meta' });
  const detailCache = new Map();  // group id -> {count, events}

  root.append(
    h('h1', {}, 'Errors'),
    h('div', { class: 'toolbar' }, h('label', { for: 'error-status' }, 'Status'), statusFilter),
    status, list,
    h('h2', {}, 'Crash watches'), capture, watches);
  statusFilter.addEventListener('change', loadGroups);

  async function recentEvents(g) {
    const cached = detailCache.get(g.id);
    if (cached && cached.count === g.count) return cached.events;
    const detail = await api.get(`/api/v1/errors/${g.id}?events=100`);
    detailCache.set(g.id, { count: g.count, events: detail.events || [] });
    return detail.events || [];
  }

  async function setStatus(g, next) {
    try {
      await api.patch(`/api/v1/errors/${g.id}`, { status: next });
      fill(status, notice('ok', `Group ${g.id} is now ${next}.`));
    } catch (e) {
      fill(status, notice('error', `Could not change group ${g.id}: ${e.message}`));
    }
    loadGroups();
  }

  async function loadGroups() {
    const q = statusFilter.value === 'all' ? '' : `&status=${statusFilter.value}`;
    let groups;
    try {
      groups = (await api.get(`/api/v1/errors?limit=200${q}`)).groups || [];
    } catch (e) {
      if (e.status !== 401) fill(list, notice('error', `Could not load error groups: ${e.message}`));
      return;
    }
    clear(list);
    if (groups.length === 0) {
      list.append(empty(statusFilter.value === 'open' ? 'No open error groups.' : `No ${statusFilter.value === 'all' ? '' : `${statusFilter.value} `}error groups.`));
      return;
    }
    const rows = groups.map((g) => {
      const spark = h('td', { class: 'spark' });
      const tr = h('tr', { dataset: { group: g.id, status: g.status } },
        h('td', {}, h('a', { href: `#/errors/${g.id}` }, h('b', {}, g.type || 'error')), h('div', { class: 'message' }, g.message || '')),
        h('td', {}, classLabel(g)),
        h('td', { class: 'num count' }, num(g.count)),
        h('td', { title: dateTime(g.first_seen) }, ago(g.first_seen)),
        h('td', { title: dateTime(g.last_seen) }, ago(g.last_seen)),
        spark,
        h('td', {}, h('span', { class: `badge ${g.status}` }, g.status)),
        h('td', {}, statusButtons(g, (next) => setStatus(g, next))));
      return { g, tr, spark };
    });
    list.append(h('table', { class: 'errors' },
      h('thead', {}, h('tr', {}, ['Error', 'Class', 'Count', 'First seen', 'Last seen', 'Occurrences', 'Status', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => r.tr))));
    // Sparklines after the table is up: one small request per group, at most SPARKLINES.
    await Promise.all(rows.slice(0, SPARKLINES).map(async ({ g, spark }) => {
      try { spark.append(occurrenceSparkline(g, await recentEvents(g))); } catch { /* the row stays without one */ }
    }));
  }

  async function loadWatches() {
    let body;
    try {
      body = await api.get('/api/v1/watches');
    } catch (e) {
      if (e.status !== 401) fill(watches, notice('error', `Could not load watches: ${e.message}`));
      return;
    }
    const list = body.watches || [];
    const cc = body.crash_capture;
    capture.textContent = cc
      ? `Crash capture: ${cc.line || cc.mode} · spool depth ${num(cc.spool_depth)}` +
        (cc.dropped_total ? ` · ${num(cc.dropped_total)} crashes not spooled` : '')
      : 'Crash capture: off';
    clear(watches);
    if (list.length === 0) {
      watches.append(empty('No crash watches. Select processes under Processes and choose "Watch for crashes".'));
      return;
    }
    watches.append(h('table', {},
      h('thead', {}, h('tr', {}, ['Watch', 'Mode', 'Target', 'Status', 'Crashes', 'Exits', 'Since', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.map((w) => h('tr', {},
        h('td', {}, w.id),
        h('td', {}, w.mode || 'ptrace'),
        h('td', {}, w.pid != null ? `pid ${w.pid}` : w.all ? 'all processes' : `match ${w.match}`),
        h('td', {}, h('span', { class: `badge ${w.status}` }, w.status), w.ended_reason ? ` ${w.ended_reason}` : ''),
        h('td', { class: 'num' }, num(w.crashes)), h('td', { class: 'num' }, num(w.exits)),
        h('td', {}, ago(w.created_at_ms)),
        h('td', {}, w.status === 'active' ? h('button', { type: 'button', class: 'small-button', 'aria-label': `Stop watch ${w.id}`,
          onclick: async () => {
            try { await api.del(`/api/v1/watches/${encodeURIComponent(w.id)}`); } catch (e) { fill(status, notice('error', e.message)); }
            loadWatches();
          } }, 'Stop') : ''))))));
  }

  const reloadGroups = debounce(loadGroups, 200);
  const reloadWatches = debounce(loadWatches, 200);
  const off = events.on((e) => {
    if (e.topic === 'errors') reloadGroups();
    if (e.topic === 'watch') { reloadWatches(); if (e.type === 'crash' || e.type === 'exit') reloadGroups(); }
  });
  const refresh = () => { loadGroups(); loadWatches(); };
  refresh();
  return { unmount: () => { off(); reloadGroups.cancel(); reloadWatches.cancel(); }, refresh };
}
