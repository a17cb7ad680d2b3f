// A stack as a table, innermost frame first: function, file:line, module+offset. Shared by
// snapshots and the threads of a crash context.
import { h } from './dom.js';

export function framesTable(frames, { caption } = {}) {
  if (!frames || frames.length === 0) return h('p', { class: 'empty' }, 'No frames.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'frames' },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, ['#', 'Function', 'File:line', 'Module+offset'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, frames.map((f, i) => h('tr', { class: f.inlined ? 'inlined' : '' },
      h('td', { class: 'num' }, i),
      h('td', { class: 'fn' }, f.function || h('span', { class: 'muted' }, '??'), f.inlined ? h('span', { class: 'badge muted' }, 'inlined') : null),
      h('td', { class: 'file' }, f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : ''),
      h('td', { class: 'module' }, `${f.module || '??'}+${f.offset || '?'}`))))));
}

// The innermost frames that are not libc's waiting machinery say most: "chain_block" rather
// than "__futex_abstimed_wait_common". Used for one-line summaries.
export function summaryFrame(frames) {
  if (!frames || frames.length === 0) return '';
  const own = frames.find((f) => f.function && !/^(__|_dl_|raise$|abort$|pause$|clock_nanosleep|nanosleep|usleep|syscall$)/.test(f.function) && !/^lib(c|pthread|stdc\+\+)/.test(f.module || ''));
  const f = own || frames[0];
  return f.function || `${f.module}+${f.offset}`;
}
