// The context of one error event, as the local error group and the fleet's merged group show
// it: message, signal and fault address, abort message or exception, process and thread,
// registers, the crashing frame's variables, the stacks of all threads (or a reported error's
// frames and its own context object). Text only, like everything the dashboard builds.
import { h } from './dom.js';
import { dateTime, ago } from './format.js';
import { framesTable, summaryFrame } from './frames.js';

// [label, value] pairs as a definition list; empty values are left out.
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
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

// heading: the section's title (default "Latest occurrence: KIND N s ago"); extra: more
// [label, value] facts shown first (the fleet adds the host).
export function eventContext(event, { heading, extra = [] } = {}) {
  const c = event.context || {};
  const fault = c.fault;
  const isCrash = event.kind === 'crash';
  return h('section', { class: 'context' },
    h('h2', {}, heading ?? `Latest occurrence: ${event.kind} ${ago(event.received_at)}`),
    facts([
      ...extra,
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

