// One error group merged across the fleet (GET /api/v1/fleet/errors/{signature}): its counts,
// the hosts it happened on (count, first and last seen on each) and the sample events the hosts
// shipped, each shown like the local error group's occurrence (frames, context). Polled like
// the Fleet tab; an unchanged answer leaves the page (and its open samples) as it is.
import { h, fill, clear, notice } from '../dom.js';
import { ago, dateTime, num } from '../format.js';
import { facts, eventContext } from '../error_context.js';
import { FLEET_POLL_MS, isNotInFleet, notInFleet, degraded } from '../fleet_common.js';

function hostsTable(hosts) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'fleet-group-hosts' },
    h('thead', {}, h('tr', {}, ['Host', 'Count', 'First seen', 'Last seen'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, (hosts || []).map((x) => h('tr', { dataset: { host: x.host } },
      h('td', {}, h('b', {}, x.host)),
      h('td', { class: 'num count' }, num(x.count)),
      h('td', { title: dateTime(x.first_seen) }, ago(x.first_seen)),
      h('td', { title: dateTime(x.last_seen) }, ago(x.last_seen)))))));
}

function sample(s, i) {
  const e = s.event || {};
  return h('details', { class: 'stack-group fleet-sample', open: i === 0, dataset: { host: s.host } },
    h('summary', {}, h('span', { class: 'thread-count' }, s.host), ' ',
      h('span', { class: 'badge muted' }, e.kind || 'event'), ' ',
      h('span', { class: 'top-frame' }, e.type || ''), e.message ? h('span', { class: 'small' }, ` ${e.message}`) : null,
      h('span', { class: 'small', title: dateTime(s.seen_at) }, ` · ${ago(s.seen_at)}`)),
    // A sample always carries a pid; 0 is "none" (an error reported through the API).
    h('div', { class: 'sample-body' }, eventContext({ ...e, pid: e.pid || null }, {
      heading: `Sample from ${s.host}: ${e.kind || 'event'} ${ago(s.seen_at)}`,
      extra: [['Host', s.host], ['Seen', dateTime(s.seen_at)]],
    })));
}

export function mount(root, { signature }, { api }) {
  const status = h('div');
  const body = h('div');
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/fleet' }, 'Fleet'), ' / group ', h('code', {}, signature)), status, body);
  let shown = null;
  let timer = null;
  let stopped = false;

  async function load() {
    clearTimeout(timer);
    timer = null;
    try {
      const g = await api.get(`/api/v1/fleet/errors/${encodeURIComponent(signature)}`);
      if (stopped) return;
      clear(status);
      const key = JSON.stringify(g);
      if (key !== shown) {
        shown = key;
        const samples = g.samples || [];
        fill(body,
          h('h1', {}, g.type || 'error', h('span', { class: 'small' }, ' across the fleet')),
          g.message ? h('p', { class: 'message big' }, g.message) : null,
          facts([
            ['Class', g.error_class || null],
            ['Count', h('span', { id: 'fleet-group-count' }, num(g.count))],
            ['Hosts affected', h('span', { id: 'fleet-group-hosts-affected' }, num(g.hosts_affected))],
            ['First seen', dateTime(g.first_seen)],
            ['Last seen', dateTime(g.last_seen)],
            ['Signature', h('code', {}, g.signature)],
          ]),
          h('h2', {}, 'Hosts'), hostsTable(g.hosts),
          h('h2', {}, `Sample events (${samples.length})`),
          samples.length ? samples.map(sample)
            : h('p', { class: 'empty' }, 'No samples: the hosts shipped counts only (a full outbox drops samples).'));
      }
    } catch (e) {
      if (stopped || e.status === 401) return;
      if (isNotInFleet(e)) {
        shown = null;
        clear(status);
        fill(body, h('h1', {}, 'Fleet group'), notInFleet(e));
      } else if (e.status === 404) {
        shown = null;
        clear(status);
        fill(body, h('h1', {}, 'Fleet group'), notice('error', 'No such group in the fleet.'));
      } else {
        fill(status, degraded(e));
      }
    }
    if (!stopped && !timer) timer = setTimeout(load, FLEET_POLL_MS);
  }

  load();
  return { unmount: () => { stopped = true; clearTimeout(timer); }, refresh: () => { if (!stopped) load(); } };
}
