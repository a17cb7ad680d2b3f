// Counting targets by state, and the segmented bar that shows it (sessions list and detail).
import { h } from './dom.js';

export const STATES = ['queued', 'running', 'done', 'failed', 'cancelled'];

export function countTargets(targets) {
  const c = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0, total: 0 };
  for (const t of targets) {
    const state = STATES.includes(t.status) ? t.status : 'queued';
    c[state]++;
    c.total++;
  }
  return c;
}

export function sessionTargets(session) {
  return (session.batches || []).flatMap((b) => b.targets || []);
}

// One bar, one segment per state, widths proportional; the text says the same for readers.
export function progressBar(counts, label) {
  const bar = h('div', { class: 'bar', role: 'img', 'aria-label': `${label}: ${summary(counts)}` });
  for (const state of STATES) {
    if (!counts[state]) continue;
    const seg = h('span', { class: `seg ${state}` });
    seg.style.width = `${(100 * counts[state]) / Math.max(1, counts.total)}%`;
    bar.append(seg);
  }
  return bar;
}

export function summary(counts) {
  return STATES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(', ') || 'no targets';
}

// The counts as labelled numbers (the test and the eye read these).
export function countList(counts) {
  return h('ul', { class: 'counts' }, STATES.map((s) =>
    h('li', { class: s, dataset: { state: s } }, h('span', { class: 'count' }, String(counts[s])), ` ${s}`)));
}
