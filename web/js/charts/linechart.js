// A small live line chart: one or more series of recent values, scaled to the largest one.
// Drawn in a fixed viewBox and stretched by CSS, so it fits any column width.
import { s, h } from '../dom.js';

const W = 300;
const H = 80;

export function lineChart({ title, series, format, max: fixedMax }) {
  const values = series.flatMap((x) => x.values).filter((v) => v != null);
  const max = fixedMax ?? Math.max(1e-9, ...values) * 1.1;
  const n = Math.max(2, ...series.map((x) => x.values.length));
  const svg = s('svg', { class: 'linechart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img',
    'aria-label': `${title}: ${series.map((x) => `${x.name} ${format(x.values.at(-1))}`).join(', ')}` });
  series.forEach((x, i) => {
    const points = x.values.map((v, j) => (v == null ? null : `${((j / (n - 1)) * W).toFixed(1)},${(H - (v / max) * (H - 4) - 2).toFixed(1)}`)).filter(Boolean);
    if (points.length) svg.append(s('polyline', { points: points.join(' '), class: `series s${i}`, 'vector-effect': 'non-scaling-stroke' }));
  });
  return h('figure', { class: 'chart' },
    h('figcaption', {}, h('b', {}, title), ' ',
      series.map((x, i) => h('span', { class: `legend s${i}` }, `${x.name} ${format(x.values.at(-1))}`))),
    svg,
    h('div', { class: 'axis small' }, `max ${format(max)}`));
}
