// One error group: status changes, occurrences, class and similar groups when the classifier
// provides them, and the latest event's context: message, signal and fault address, registers,
// key variables of the crashing frame and the stacks of all threads.
import { h, fill, notice, debounce } from '../dom.js';
import { dateTime, num } from '../format.js';
import { facts as dl, eventContext } from '../error_context.js';
import { analysisOf, classLabel, statusButtons, occurrenceSparkline } from '../error_common.js';

function similarList(similar) {
  if (!similar || similar.length === 0) return h('p', { class: 'empty' }, 'No similar groups.');
  return h('ul', { class: 'similar' }, similar.map((sg) => {
    const id = sg.id ?? sg.group_id;
    const score = sg.score ?? sg.similarity ?? sg.distance;
    return h('li', {}, h('a', { href: `#/errors/${id}` }, `group ${id}`),
      sg.type ? ` ${sg.type}` : '', sg.message ? h('span', { class: 'small' }, ` ${sg.message}`) : '',
      score != null ? h('span', { class: 'small' }, ` (similarity ${typeof score === 'number' ? score.toFixed(2) : score})`) : '');
  }));
}

export function mount(root, { id }, { api, events }) {
  const body = h('div');
  const status = h('div');
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/errors' }, 'Errors'), ' / group ', id), status, body);

  async function setStatus(next) {
    try {
      await api.patch(`/api/v1/errors/${encodeURIComponent(id)}`, { status: next });
      fill(status, notice('ok', `The group is now ${next}.`));
    } catch (e) {
      fill(status, notice('error', `Could not change the status: ${e.message}`));
    }
    load();
  }

  async function load() {
    let g;
    try {
      g = await api.get(`/api/v1/errors/${encodeURIComponent(id)}?events=100`);
    } catch (e) {
      if (e.status !== 401) fill(body, h('h1', {}, `Error group ${id}`), notice('error', e.status === 404 ? 'No such error group.' : e.message));
      return;
    }
    const evs = g.events || [];
    const { similar, explanation } = analysisOf(g);
    fill(body, 
      h('h1', {}, `${g.type}`, h('span', { class: 'small' }, ` group ${g.id}`)),
      g.message ? h('p', { class: 'message big' }, g.message) : null,
      h('div', { class: 'toolbar' }, h('span', { class: `badge ${g.status}`, id: 'group-status' }, g.status), statusButtons(g, setStatus)),
      dl([
        ['Class', classLabel(g)],
        ['Why this class', explanation],
        ['Count', num(g.count)],
        ['First seen', dateTime(g.first_seen)],
        ['Last seen', dateTime(g.last_seen)],
        ['Regressions', g.regressions ? num(g.regressions) : null],
        ['Occurrences', occurrenceSparkline(g, evs, { width: 240, height: 32, bins: 40 })],
        ['Signature', g.signature_frames?.length ? h('ol', { class: 'signature' }, g.signature_frames.map((f) => h('li', {}, h('code', {}, f)))) : null],
      ]),
      similar !== null ? h('section', {}, h('h2', {}, 'Similar groups'), similarList(similar)) : null,
      evs.length ? eventContext(evs[0]) : h('p', { class: 'empty' }, 'No stored occurrences (archived).'),
      evs.length > 1 ? h('section', {}, h('h2', {}, 'Recent occurrences'), h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['When', 'Kind', 'Process', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, evs.slice(0, 20).map((e) => h('tr', {},
          h('td', {}, dateTime(e.received_at)), h('td', {}, e.kind), h('td', {}, e.pid != null ? `${e.comm || ''} (${e.pid})` : ''),
          h('td', {}, e.message || ''))))))) : null);
  }

  const reload = debounce(load, 200);
  const off = events.on((e) => {
    if (e.topic !== 'errors') return;
    const d = e.data || {};
    if (String(d.id) === String(id) || (d.groups || []).some((g) => String(g.id) === String(id))) reload();
  });
  load();
  return { unmount: () => { off(); reload.cancel(); }, refresh: load };
}
