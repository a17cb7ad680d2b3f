// Number and time formatting shared by the views.

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function percent(fraction, digits = 1) {
  if (fraction === null || fraction === undefined) return '–';
  return `${(fraction * 100).toFixed(digits)} %`;
}

export function num(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function micros(us) {
  if (us === null || us === undefined) return '–';
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(1)} ms`;
  return `${Math.round(us)} µs`;
}

export function millis(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

// Unix ms -> "2026-11-26 09:12:03" in the viewer's zone.
export function dateTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function clock(ms) {
  const d = new Date(ms);
  const p = (x, n = 2) => String(x).padStart(n, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

// "3 min ago" for recent times, the date otherwise.
export function ago(ms, now = Date.now()) {
  if (!ms) return '–';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return dateTime(ms);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return dateTime(ms);
}

// "fn (file.c:12)" or "module+0x1a2b" for one frame of a snapshot or an error.
export function frameLabel(f) {
  const name = f.function || `${f.module || '??'}+${f.offset || f.pc || '?'}`;
  return f.inlined ? `${name} [inlined]` : name;
}

export function frameWhere(f) {
  const parts = [];
  if (f.module) parts.push(`${f.module}+${f.offset || '?'}`);
  if (f.file) parts.push(f.line ? `${f.file}:${f.line}` : f.file);
  return parts.join('  ');
}
