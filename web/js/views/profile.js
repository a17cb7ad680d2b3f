// One profile: the interactive flame graph (zoom, search), where the time goes, the effective
// sampling rate against the requested one and the measured overhead against its budget, one
// thread or all, and downloads as folded stacks, speedscope JSON or pprof.
import { h, fill, notice } from '../dom.js';
import { num, micros, dateTime } from '../format.js';
import { parseFolded, topSelf } from '../folded.js';
import { flameGraph } from '../charts/flamegraph.js';

function figure(label, value, note) {
  return h('div', { class: 'figure' }, h('dt', {}, label), h('dd', {}, value, note ? h('span', { class: 'small' }, ` ${note}`) : null));
}

export function mount(root, { id }, { api, download }) {
  const header = h('div');
  const graph = h('section', { 'aria-labelledby': 'flame-title' });
  const hot = h('section', { 'aria-labelledby': 'hot-title' });
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/sessions' }, 'Sessions'), ' / profile ', id), header, graph, hot);
  const base = `/api/v1/profiles/${encodeURIComponent(id)}`;
  let flame = null;
  let thread = '';

  async function loadGraph() {
    let folded;
    try {
      folded = await api.get(`${base}?format=folded${thread ? `&thread=${thread}` : ''}`, { as: 'text' });
    } catch (e) {
      if (e.status !== 401) fill(graph, notice('error', `Could not load the stacks: ${e.message}`));
      return;
    }
    const tree = parseFolded(folded);
    flame?.dispose();
    flame = null;
    fill(graph, h('h2', { id: 'flame-title' }, 'Flame graph'));
    fill(hot, h('h2', { id: 'hot-title' }, 'Where the time goes (samples in the function itself)'));
    if (tree.value === 0) {
      graph.append(h('p', { class: 'empty' }, 'No samples.'));
      return;
    }
    flame = flameGraph(tree);
    graph.append(flame.el);
    hot.append(h('ol', { class: 'hot-list' }, topSelf(tree).map((f) =>
      h('li', {}, h('code', {}, f.name), ` ${num(f.self)} samples (${((100 * f.self) / tree.value).toFixed(1)} %)`))));
  }

  async function load() {
    let p;
    try {
      p = await api.get(base);
    } catch (e) {
      if (e.status !== 401) fill(header, h('h1', {}, `Profile ${id}`), notice('error', e.status === 404 ? 'No such profile.' : e.message));
      return;
    }
    const requestedHz = p.hz_requested ?? p.hz;
    const budget = p.max_overhead_pct;
    const threads = p.threads || [];
    const select = h('select', { id: 'profile-thread', onchange: (e) => { thread = e.target.value; loadGraph(); } },
      h('option', { value: '' }, 'all threads'),
      threads.map((t) => h('option', { value: t.tid }, `${t.name || 'thread'} (${t.tid}), ${num(t.samples)} samples`)));
    fill(header, 
      h('h1', {}, `Profile ${id}: ${p.comm || ''} (pid ${p.pid})`),
      h('dl', { class: 'figures' },
        figure('Effective rate', `${num(p.hz_effective, 1)} Hz`, requestedHz ? `of ${requestedHz} Hz requested${p.rate_limited ? ', limited by the budget' : ''}` : ''),
        figure('Measured overhead', `${num(p.overhead_pct, 3)} %`, budget ? `budget ${budget} %` : ''),
        figure('Samples', num(p.samples ?? p.samples_total), p.samples_reused ? `${num(p.samples_reused)} reused from idle threads` : ''),
        figure('Duration', `${num(p.elapsed_s ?? p.duration_s, 1)} s`, `of ${num(p.duration_s, 1)} s${p.stop_reason && p.stop_reason !== 'duration' ? `, stopped: ${p.stop_reason}` : ''}`),
        figure('Pauses', micros(p.pause_us_total), `total, longest ${micros(p.pause_us_max)}`),
        figure('Threads', num(threads.length), p.start_unix_ns ? `started ${dateTime(p.start_unix_ns / 1e6)}` : '')),
      h('div', { class: 'toolbar' },
        h('label', { for: 'profile-thread' }, 'Thread'), select,
        h('span', { class: 'small' }, 'Download:'),
        h('button', { type: 'button', onclick: () => download(`${base}?format=folded`, `profile-${id}.folded`) }, 'Folded'),
        h('button', { type: 'button', onclick: () => download(`${base}?format=speedscope`, `profile-${id}.speedscope.json`) }, 'Speedscope'),
        h('button', { type: 'button', onclick: () => download(`${base}?format=pprof`, `profile-${id}.pb.gz`) }, 'pprof')));
    await loadGraph();
  }

  load();
  return { unmount: () => flame?.dispose(), refresh: load };
}
