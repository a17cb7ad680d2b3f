// One fleet session (GET /api/v1/fleet/sessions/{id}): what was asked (kind, hosts, deadline),
// each host's task (queued, running, done, failed, host_down, timed_out; its targets, samples,
// error, and its own local session), and the stacks of every done task merged: a flame graph of
// the merged folded stacks, the heaviest stacks with per-host counts, and downloads as folded,
// speedscope or pprof (merged by the server). Polled until the session is done.
import { h, fill, clear, notice, empty } from '../dom.js';
import { ago, dateTime, num, millis } from '../format.js';
import { facts } from '../error_context.js';
import { parseFolded } from '../folded.js';
import { flameGraph } from '../charts/flamegraph.js';
import { FLEET_POLL_MS, isNotInFleet, notInFleet, degraded, hostCounts, hostsRequested } from '../fleet_common.js';

const STACKS_SHOWN = 50;

function hostsTable(hosts, self) {
  const rows = Object.entries(hosts || {}).sort((a, b) => a[0].localeCompare(b[0]));
  if (rows.length === 0) return empty('No host was asked.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'fleet-session-hosts' },
    h('thead', {}, h('tr', {}, ['Host', 'Status', 'Targets', 'Done', 'Failed', 'Samples', 'Took', 'Local session', 'Error'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map(([host, t]) => h('tr', { dataset: { host, status: t.status } },
      h('td', {}, h('b', {}, host)),
      h('td', {}, h('span', { class: `badge ${t.status}` }, t.status.replaceAll('_', ' '))),
      h('td', { class: 'num' }, num(t.targets)), h('td', { class: 'num' }, num(t.done)), h('td', { class: 'num' }, num(t.failed)),
      h('td', { class: 'num samples' }, num(t.samples)),
      h('td', { class: 'num' }, millis(t.total_ms)),
      // The local session lives on its host: a link only for this coordinator's own.
      h('td', {}, t.local_session_id ? (host === self ? h('a', { href: `#/sessions/${encodeURIComponent(t.local_session_id)}` }, t.local_session_id) : h('code', {}, t.local_session_id)) : ''),
      h('td', { class: 'error-text' }, t.error || ''))))));
}

// The last frame of "comm;outer;...;inner" says most in a one-line row.
function leaf(stack) {
  const frames = stack.split(';');
  return frames[frames.length - 1];
}

function stacksTable(stacks, total) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'fleet-stacks' },
    h('caption', {}, `The ${num(Math.min(stacks.length, STACKS_SHOWN))} heaviest of ${num(total)} merged stacks`),
    h('thead', {}, h('tr', {}, ['Innermost frame', 'Count', 'Per host', 'Stack'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, stacks.slice(0, STACKS_SHOWN).map((st) => h('tr', {},
      h('td', { class: 'fn' }, leaf(st.stack)),
      h('td', { class: 'num count' }, num(st.count)),
      h('td', {}, hostCounts(st.hosts)),
      h('td', {}, h('details', {}, h('summary', { class: 'small' }, `${st.stack.split(';').length} frames`),
        h('ol', { class: 'signature' }, st.stack.split(';').map((f) => h('li', {}, h('code', {}, f)))))))))));
}

export function mount(root, { id }, { api, download }) {
  const status = h('div');
  const body = h('div');
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/fleet' }, 'Fleet'), ' / session ', h('code', {}, id)), status, body);
  const base = `/api/v1/fleet/sessions/${encodeURIComponent(id)}`;
  let shown = null;
  let flame = null;
  let self = null;
  let timer = null;
  let stopped = false;

  function render(s) {
    flame?.dispose();
    flame = null;
    const stacks = s.stacks || [];
    const progress = Object.entries(s.progress || {}).map(([k, n]) => `${num(n)} ${k.replaceAll('_', ' ')}`).join(' · ');
    const graph = h('section', { 'aria-labelledby': 'fleet-flame-title' }, h('h2', { id: 'fleet-flame-title' }, 'Merged stacks'));
    if (stacks.length === 0) {
      graph.append(empty(s.status === 'done' ? 'No stacks: no host finished its task with results.' : 'No host has finished yet.'));
    } else {
      // The graph of the stacks the answer carries (the heaviest; all of them in the downloads).
      flame = flameGraph(parseFolded(stacks.map((st) => `${st.stack} ${st.count}`).join('\n')));
      graph.append(flame.el, stacksTable(stacks, s.stacks_total ?? stacks.length));
    }
    fill(body,
      h('h1', {}, `Fleet ${s.kind} session`, ' ', h('span', { class: `badge ${s.status}`, id: 'fleet-session-status' }, s.status)),
      facts([
        ['Hosts asked', hostsRequested(s.hosts_requested)],
        ['Progress', progress || null],
        ['Targets', h('code', {}, JSON.stringify(s.targets || {}))],
        ['Options', s.options && Object.keys(s.options).length ? h('code', {}, JSON.stringify(s.options)) : null],
        ['Created', h('span', { title: dateTime(s.created_at_ms) }, `${ago(s.created_at_ms)} by ${s.created_by || '?'}`)],
        ['Deadline', `${num(s.deadline_s)} s per task`],
      ]),
      h('div', { class: 'toolbar' },
        h('span', { class: 'small' }, 'Download (merged):'),
        h('button', { type: 'button', onclick: () => download(`${base}?format=folded`, `fleet-${id}.folded`) }, 'Folded'),
        h('button', { type: 'button', onclick: () => download(`${base}?format=speedscope`, `fleet-${id}.speedscope.json`) }, 'Speedscope'),
        h('button', { type: 'button', onclick: () => download(`${base}?format=pprof`, `fleet-${id}.pb.gz`) }, 'pprof')),
      h('h2', {}, 'Hosts'), hostsTable(s.hosts, self),
      graph);
  }

  async function load() {
    clearTimeout(timer);
    timer = null;
    let s;
    try {
      if (self === null) self = (await api.get('/api/v1/fleet')).host || '';
      s = await api.get(base);
      if (stopped) return;
      clear(status);
      const key = JSON.stringify(s);
      if (key !== shown) { shown = key; render(s); }
    } catch (e) {
      if (stopped || e.status === 401) return;
      shown = null;
      if (isNotInFleet(e)) { clear(status); fill(body, h('h1', {}, 'Fleet session'), notInFleet(e)); }
      else if (e.status === 404) { clear(status); fill(body, h('h1', {}, 'Fleet session'), notice('error', 'No such fleet session.')); }
      else fill(status, degraded(e));
    }
    // Done sessions do not change: polling stops there.
    if (!stopped && !timer && s?.status !== 'done') timer = setTimeout(load, FLEET_POLL_MS);
  }

  load();
  return {
    unmount: () => { stopped = true; clearTimeout(timer); flame?.dispose(); },
    refresh: () => { if (!stopped) load(); },
  };
}
