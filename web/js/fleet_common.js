// Pieces shared by the Fleet tab and one merged group: how often they poll, what a fleet
// route's failure means (404: this coordinator is not in a fleet, with the server's how-to;
// 503: the fleet database is down, a degraded state that polling recovers from), this host's
// standing as one line, and per-host counts as a list.
import { h, notice } from './dom.js';
import { ago, bytes, dateTime, num } from './format.js';

// Fleet reads are PostgreSQL queries, not events on the WebSocket: the views poll them.
export const FLEET_POLL_MS = 5000;

// A 404 of a fleet route whose problem says how to join (every fleet route answers so on a
// coordinator started without --fleet-db).
export function isNotInFleet(e) {
  return e?.status === 404 && /--fleet-db/.test(e.problem?.detail || e.message || '');
}

// "Not in a fleet" is a setting, not a failure: a plain panel with the server's how-to.
export function notInFleet(e) {
  return h('section', { id: 'fleet-not-joined', class: 'empty' },
    h('p', {}, h('b', {}, 'This coordinator is not in a fleet.')),
    h('p', { class: 'how-to' }, e.problem?.detail || e.message));
}

// The fleet database down (503) or unreachable: said once, while the last answer stays shown.
export function degraded(e) {
  const what = e.status === 0 ? e.message : `the fleet database is unavailable: ${e.message}`;
  return notice('warn', `Degraded (retrying every ${FLEET_POLL_MS / 1000} s; the tables show the last answer): ${what}`);
}

// GET /api/v1/fleet -> "h1: connected since … · shipped through 42 · outbox 0 rows (0 B of 64 MiB)".
export function stateLine(st) {
  const o = st.outbox || {};
  return h('p', { class: 'fleet-state', dataset: { state: st.state } },
    h('b', {}, st.host || 'this host'), ' ',
    h('span', { class: `badge ${st.state}`, id: 'fleet-state-badge' }, st.state),
    st.since_ms ? h('span', { title: dateTime(st.since_ms) }, ` since ${ago(st.since_ms)}`) : null,
    st.detail ? h('span', { class: 'small' }, ` (${st.detail})`) : null,
    h('span', { class: 'meta' },
      ` · shipped through ${num(st.shipped_through)} · outbox ${num(o.rows)} rows (${bytes(o.bytes)} of ${bytes(o.max_bytes)})`,
      o.samples_dropped ? ` · ${num(o.samples_dropped)} samples dropped` : '',
      o.full ? ' · full: counts kept, samples dropped' : '',
      st.database_id ? ` · database ${st.database_id}` : ''));
}

// {h1: 3, h2: 5} -> a list of "h2 5", "h1 3", most first.
export function hostCounts(hosts) {
  const entries = Object.entries(hosts || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return h('span', { class: 'muted' }, '–');
  return h('ul', { class: 'terms host-counts' }, entries.map(([host, count]) =>
    h('li', { dataset: { host } }, `${host} ${num(count)}`)));
}

// A fleet session's "hosts" as asked: "all", "h1, h2" or "label role=db".
export function hostsRequested(hosts) {
  if (hosts === 'all' || hosts == null) return 'all hosts';
  if (Array.isArray(hosts)) return hosts.join(', ');
  if (hosts.label) return `label ${Object.entries(hosts.label).map(([k, v]) => `${k}=${v}`).join(', ')}`;
  return JSON.stringify(hosts);
}
