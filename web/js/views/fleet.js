// Fleet: this host's standing in the fleet (GET /api/v1/fleet), the fleet's hosts with up/down,
// version, last heartbeat and labels, and the error groups merged across hosts by signature
// (count, hosts affected, per-host counts, first and last seen) with a host and a class filter,
// and the latest fleet sessions (snapshots and profiles asked of many hosts).
// Polled every FLEET_POLL_MS: fleet reads come from PostgreSQL, not from the WebSocket. Without
// --fleet-db the tab says so and how to join; while the database is down it says "degraded",
// keeps the last answer and keeps polling.
import { h, fill, clear, empty } from '../dom.js';
import { ago, dateTime, num } from '../format.js';
import { FLEET_POLL_MS, isNotInFleet, notInFleet, degraded, stateLine, hostCounts, hostsRequested } from '../fleet_common.js';

function labelList(labels) {
  const entries = Object.entries(labels || {});
  if (entries.length === 0) return h('span', { class: 'muted' }, 'none');
  return h('ul', { class: 'terms' }, entries.map(([k, v]) => h('li', {}, `${k}=${v}`)));
}

function hostsTable(hosts, self) {
  if (hosts.length === 0) return empty('No hosts have registered yet.');
  return h('table', { class: 'fleet-hosts' },
    h('thead', {}, h('tr', {}, ['Host', 'Status', 'Version', 'Last heartbeat', 'Started', 'Labels'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, hosts.map((x) => h('tr', { dataset: { host: x.host, up: String(!!x.up) } },
      h('td', { title: x.boot_id ? `boot id ${x.boot_id}` : null }, h('b', {}, x.host), x.host === self ? h('span', { class: 'badge muted' }, 'this host') : null),
      h('td', {}, h('span', { class: `badge ${x.up ? 'up' : 'down'}` }, x.up ? 'up' : 'down')),
      h('td', {}, x.version || ''),
      h('td', { title: dateTime(x.last_heartbeat_ms) }, ago(x.last_heartbeat_ms), h('span', { class: 'small' }, ` (every ${num(x.heartbeat_s)} s)`)),
      h('td', { title: dateTime(x.started_at_ms) }, ago(x.started_at_ms)),
      h('td', {}, labelList(x.labels))))));
}

function groupsTable(groups, host) {
  const cols = ['Error', 'Class', 'Count', ...(host ? [`On ${host}`] : []), 'Hosts affected', 'Per host', 'First seen', 'Last seen'];
  return h('table', { class: 'fleet-errors' },
    h('thead', {}, h('tr', {}, cols.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, groups.map((g) => h('tr', { dataset: { signature: g.signature } },
      h('td', {}, h('a', { href: `#/fleet/errors/${encodeURIComponent(g.signature)}` }, h('b', {}, g.type || 'error')), h('div', { class: 'message' }, g.message || '')),
      h('td', {}, g.error_class ? h('span', { class: 'class' }, g.error_class) : h('span', { class: 'muted' }, '–')),
      h('td', { class: 'num count' }, num(g.count)),
      host ? h('td', { class: 'num host-count' }, num(g.host_count)) : null,
      h('td', { class: 'num hosts-affected' }, num(g.hosts_affected)),
      h('td', {}, hostCounts(g.hosts)),
      h('td', { title: dateTime(g.first_seen) }, ago(g.first_seen)),
      h('td', { title: dateTime(g.last_seen) }, ago(g.last_seen))))));
}

function sessionsTable(sessions) {
  if (sessions.length === 0) return empty('No fleet sessions yet (POST /api/v1/fleet/sessions starts one on many hosts).');
  return h('table', { class: 'fleet-sessions' },
    h('thead', {}, h('tr', {}, ['Session', 'Kind', 'Hosts asked', 'Created by', 'Created'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, sessions.map((x) => h('tr', { dataset: { session: x.id } },
      h('td', {}, h('a', { href: `#/fleet/sessions/${encodeURIComponent(x.id)}` }, h('code', {}, x.id))),
      h('td', {}, x.kind),
      h('td', {}, hostsRequested(x.hosts_requested)),
      h('td', {}, x.created_by || ''),
      h('td', { title: dateTime(x.created_at_ms) }, ago(x.created_at_ms))))));
}

// Replaces a select's options by [value, text] pairs, keeping the chosen value (also when it is
// not among them any more: a host that left the list stays selectable until changed).
function setOptions(select, options) {
  const chosen = select.value;
  const all = options.some(([v]) => v === chosen) ? options : [...options, [chosen, chosen]];
  fill(select, all.map(([v, t]) => h('option', { value: v }, t)));
  select.value = chosen;
}

export function mount(root, _params, { api }) {
  const state = h('div', { id: 'fleet-state' });
  const status = h('div');
  const hostsBox = h('div', { class: 'table-wrap', id: 'fleet-hosts' });
  const hostFilter = h('select', { id: 'fleet-host' }, h('option', { value: '' }, 'all hosts'));
  const classFilter = h('select', { id: 'fleet-class' }, h('option', { value: '' }, 'all classes'));
  const groupsBox = h('div', { class: 'table-wrap', id: 'fleet-groups' });
  const sessionsBox = h('div', { class: 'table-wrap', id: 'fleet-sessions' });
  const body = h('div', { hidden: true },
    h('h2', {}, 'Hosts'), hostsBox,
    h('h2', {}, 'Error groups across the fleet'),
    h('div', { class: 'toolbar' },
      h('label', { for: 'fleet-host' }, 'Host'), hostFilter,
      h('label', { for: 'fleet-class' }, 'Class'), classFilter),
    groupsBox,
    h('h2', {}, 'Fleet sessions'), sessionsBox);
  root.append(h('h1', {}, 'Fleet'), state, status, body);

  const classes = new Set();  // every class seen, so the filter offers them while one is chosen
  let self = null;
  let shownGroups = null;  // the last rendered answer: unchanged answers leave the table alone
  let timer = null;
  let stopped = false;
  let generation = 0;  // a filter change makes answers of older requests stale

  async function loadHosts() {
    const hosts = (await api.get('/api/v1/fleet/hosts')).hosts || [];
    fill(hostsBox, hostsTable(hosts, self));
    setOptions(hostFilter, [['', 'all hosts'], ...hosts.map((x) => [x.host, x.host])]);
  }

  async function loadSessions() {
    const sessions = (await api.get('/api/v1/fleet/sessions?limit=20')).sessions || [];
    if (!stopped) fill(sessionsBox, sessionsTable(sessions));
  }

  async function loadGroups() {
    const mine = generation;
    const q = new URLSearchParams({ limit: '200' });
    if (hostFilter.value) q.set('host', hostFilter.value);
    if (classFilter.value) q.set('class', classFilter.value);
    const groups = (await api.get(`/api/v1/fleet/errors?${q}`)).groups || [];
    if (mine !== generation || stopped) return;
    const before = classes.size;
    for (const g of groups) if (g.error_class) classes.add(g.error_class);
    if (classes.size !== before) setOptions(classFilter, [['', 'all classes'], ...[...classes].sort().map((c) => [c, c])]);
    const key = JSON.stringify([hostFilter.value, groups]);
    if (key === shownGroups) return;
    shownGroups = key;
    if (groups.length === 0) {
      fill(groupsBox, empty(hostFilter.value || classFilter.value ? 'No error groups match the filters.' : 'No error groups in the fleet.'));
    } else {
      fill(groupsBox, groupsTable(groups, hostFilter.value));
    }
  }

  async function poll() {
    clearTimeout(timer);
    timer = null;
    try {
      const st = await api.get('/api/v1/fleet');
      if (stopped) return;
      self = st.host;
      fill(state, stateLine(st));
      body.hidden = false;
      const results = await Promise.allSettled([loadHosts(), loadGroups(), loadSessions()]);
      if (stopped) return;
      const failed = results.find((r) => r.status === 'rejected');
      if (failed?.reason?.status === 401) return;
      if (failed) fill(status, degraded(failed.reason));
      else clear(status);
    } catch (e) {
      if (stopped || e.status === 401) return;
      if (isNotInFleet(e)) {
        body.hidden = true;
        clear(status);
        fill(state, notInFleet(e));
      } else {
        fill(status, degraded(e));
      }
    }
    if (!stopped && !timer) timer = setTimeout(poll, FLEET_POLL_MS);
  }

  const refilter = () => {
    generation++;
    shownGroups = null;
    loadGroups().then(() => clear(status), (e) => { if (e.status !== 401 && !stopped) fill(status, degraded(e)); });
  };
  hostFilter.addEventListener('change', refilter);
  classFilter.addEventListener('change', refilter);

  poll();
  return {
    unmount: () => { stopped = true; clearTimeout(timer); },
    refresh: () => { if (!stopped) poll(); },
  };
}
