// One error group: status changes, occurrences, class and similar groups when the classifier
// provides them, and the latest event's context: message, signal and fault address, registers,
// key variables of the crashing frame and the stacks of all threads.
import { h, fill, notice, debounce } from '../dom.js';
import { dateTime, num, ago } from '../format.js';
import { framesTable, summaryFrame } from '../frames.js';
import { analysisOf, classLabel, statusButtons, occurrenceSparkline } from '../error_common.js';

function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

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

function registers(regs) {
  if (!regs || Object.keys(regs).length === 0) return null;
  return h('section', {}, h('h3', {}, 'Registers'),
    h('dl', { class: 'registers' }, Object.entries(regs).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, h('code', {}, String(v)))))));
}

function variables(vars) {
  if (!vars || !vars.items || vars.items.length === 0) return null;
  return h('section', {}, h('h3', {}, `Variables of ${vars.function || 'the crashing frame'}`),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Kind', 'Type', 'Value'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, vars.items.map((v) => h('tr', {},
        h('td', {}, h('code', {}, v.name)), h('td', {}, v.kind || ''), h('td', {}, h('code', {}, v.type || '')),
        h('td', {}, v.value != null ? h('code', {}, v.value) : h('span', { class: 'muted' }, v.unavailable ? 'unavailable' : v.unsupported ? `unsupported (${v.unsupported})` : '–'))))))));
}

// The crashing thread's frames are stored once, as the event's frames, not again in the context.
function threads(list, omitted, crashFrames) {
  if (!list || list.length === 0) return null;
  return h('section', {}, h('h3', {}, `All threads (${list.length}${omitted ? ` + ${omitted} omitted` : ''})`),
    list.map((t) => h('details', { class: 'stack-group', open: !!t.crashing },
      h('summary', {}, h('span', { class: 'thread-count' }, `${t.name || 'thread'} ${t.tid}`),
        t.crashing ? h('span', { class: 'badge failed' }, 'crashing') : null, ' ',
        t.waits_on ? h('span', { class: 'small' }, `waits on ${t.waits_on}${t.owner ? ` held by ${t.owner}` : ''} `) : null,
        h('span', { class: 'top-frame' }, summaryFrame(t.frames || (t.crashing ? crashFrames : null)))),
      framesTable(t.frames || (t.crashing ? crashFrames : null)))));
}

function context(event) {
  const c = event.context || {};
  const fault = c.fault;
  const isCrash = event.kind === 'crash';
  return h('section', { class: 'context' },
    h('h2', {}, `Latest occurrence: ${event.kind} ${ago(event.received_at)}`),
    dl([
      ['Message', event.message],
      ['Signal', c.signal_name ? `${c.signal_name} (${c.code_name || c.code})` : null],
      ['Fault address', fault ? h('code', {}, fault.address) : null],
      ['Fault class', fault ? `${fault.class}${fault.mapping ? ` in ${fault.mapping}` : ''}` : null],
      ['Abort message', c.abort_message],
      ['Exception', c.exception ? `${c.exception.type}${c.exception.what ? `: ${c.exception.what}` : ''}` : null],
      ['Process', event.pid != null ? `${event.comm || ''} (pid ${event.pid})` : null],
      ['Thread', c.tid ? `${c.thread_name || ''} (${c.tid})` : null],
      ['Received', dateTime(event.received_at)],
      ['Source', event.source],
    ]),
    registers(c.registers),
    variables(c.variables),
    // Crashes and the deadlock/hang detector's findings carry every thread; reported errors
    // their frames and an application's own context object.
    Array.isArray(c.threads) ? threads(c.threads, c.omitted_threads, event.frames) : h('section', {}, h('h3', {}, 'Frames'), framesTable(event.frames)),
    !isCrash && !Array.isArray(c.threads) && event.context && Object.keys(event.context).length
      ? h('section', {}, h('h3', {}, 'Context'), h('pre', { class: 'json' }, JSON.stringify(event.context, null, 2))) : null);
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
      evs.length ? context(evs[0]) : h('p', { class: 'empty' }, 'No stored occurrences (archived).'),
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
