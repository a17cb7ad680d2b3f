// Occurrences over time as a small SVG bar sparkline: timestamps bucketed between `from` and `to`.
import { s } from '../dom.js';

export function bucket(times, from, to, bins) {
  const counts = new Array(bins).fill(0);
  const span = Math.max(1, to - from);
  for (const t of times) {
    if (t < from || t > to) continue;
    counts[Math.min(bins - 1, Math.floor(((t - from) / span) * bins))]++;
  }
  return counts;
}

export function sparkline(counts, { width = 120, height = 24, label = 'occurrences' } = {}) {
  const max = Math.max(1, ...counts);
  const bw = width / counts.length;
  const svg = s('svg', { class: 'sparkline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `${label}: ${counts.reduce((a, b) => a + b, 0)} in ${counts.length} intervals, at most ${max} in one` });
  counts.forEach((c, i) => {
    if (!c) return;
    const bh = Math.max(2, (c / max) * (height - 2));
    svg.append(s('rect', { x: (i * bw + 0.5).toFixed(2), y: (height - bh).toFixed(2), width: Math.max(1, bw - 1).toFixed(2), height: bh.toFixed(2) }));
  });
  svg.append(s('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'baseline' }));
  return svg;
}
