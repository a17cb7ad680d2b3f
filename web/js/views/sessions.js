// Sessions: every snapshot and profile session, newest first, with live progress.
import { h, fill, clear, empty, notice, debounce } from '../dom.js';
import { ago, millis } from '../format.js';
import { countTargets, sessionTargets, progressBar, summary } from '../progress.js';

const TOPICS = new Set(['session', 'batch', 'snapshot', 'job', 'profile']);

export function mount(root, _params, { api, events }) {
  const list = h('div', { class: 'table-wrap' });
  root.append(h('h1', {}, 'Sessions'), list);

  async function load() {
    let sessions;
    try {
      sessions = (await api.get('/api/v1/sessions?limit=100')).sessions || [];
    } catch (e) {
      if (e.status !== 401) fill(list, notice('error', `Could not load sessions: ${e.message}`));
      return;
    }
    clear(list);
    if (sessions.length === 0) {
      list.append(empty('No sessions yet. Select processes under Processes to take a snapshot or a profile.'));
      return;
    }
    list.append(h('table', {},
      h('thead', {}, h('tr', {}, ['Session', 'Kind', 'Status', 'Progress', 'Started', 'Took'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, sessions.map((s) => {
        const counts = countTargets(sessionTargets(s));
        return h('tr', {},
          h('td', {}, h('a', { href: `#/sessions/${encodeURIComponent(s.id)}` }, s.id)),
          h('td', {}, s.kind),
          h('td', {}, h('span', { class: `badge ${s.status}` }, s.status)),
          h('td', { class: 'progress-cell' }, progressBar(counts, 'targets'), h('span', { class: 'small' }, summary(counts))),
          h('td', {}, ago(s.created_at_ms)),
          h('td', { class: 'num' }, millis(s.total_ms)));
      }))));
  }

  const reload = debounce(load, 250);
  const off = events.on((e) => { if (TOPICS.has(e.topic)) reload(); });
  load();
  return { unmount: () => { off(); reload.cancel(); }, refresh: load };
}
