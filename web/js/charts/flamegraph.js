// An SVG flame graph (icicle layout: the root on top, callees below their callers). Click, Enter
// or Space on a frame zooms to it (its callers stay as a full-width trail above); "Reset zoom"
// goes back. Search highlights the frames whose name matches (case-insensitive substring) and
// reports their share of the samples. Frames are drawn only where at least a pixel wide.
import { h, fill, s } from '../dom.js';
import { maxDepth } from '../folded.js';

const ROW = 18;
const MIN_LABEL_PX = 28;
const CHAR_PX = 6.6;  // approximate width of a character at the 11px font of .flame text

// A stable warm colour per name, so a function keeps its colour across zooms and profiles.
function colour(name) {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) >>> 0;
  const hue = 10 + (hash % 45);
  const light = 52 + ((hash >> 8) % 14);
  return `hsl(${hue}, 85%, ${light}%)`;
}

function label(name, px) {
  const fits = Math.floor((px - 6) / CHAR_PX);
  if (fits < 3) return '';
  return name.length <= fits ? name : `${name.slice(0, fits - 1)}…`;
}

export function flameGraph(root, { total = root.value } = {}) {
  let focus = root;
  let query = '';
  const svgHolder = h('div', { class: 'flame-holder' });
  const info = h('p', { class: 'flame-info', 'aria-live': 'polite' }, 'Click a frame to zoom in.');
  const search = h('input', { type: 'search', id: 'flame-search', placeholder: 'function name', autocomplete: 'off' });
  const matched = h('span', { class: 'small', id: 'flame-matched' });
  const reset = h('button', { type: 'button', class: 'quiet', disabled: true, onclick: () => zoom(root) }, 'Reset zoom');
  const el = h('div', { class: 'flame' },
    h('div', { class: 'toolbar' }, h('label', { for: 'flame-search' }, 'Search'), search, matched, reset),
    svgHolder, info);

  const share = (v) => `${((100 * v) / Math.max(1, total)).toFixed(2)} %`;
  const describe = (n) => `${n.name}: ${n.value} samples (${share(n.value)}), ${n.self} in itself`;
  const isMatch = (n) => query !== '' && n.name.toLowerCase().includes(query);

  function zoom(node) {
    focus = node;
    reset.disabled = node === root;
    info.textContent = node === root ? 'Click a frame to zoom in.' : `Zoomed to ${describe(node)}`;
    draw();
  }

  function matchedSamples(node) {
    // Matching frames nested in a matching frame are not counted twice.
    if (isMatch(node)) return node.value;
    let sum = 0;
    for (const c of node.children) sum += matchedSamples(c);
    return sum;
  }

  function draw() {
    const width = Math.max(320, svgHolder.clientWidth || 960);
    const depth = maxDepth(root);
    const height = (depth + 1) * ROW;
    const svg = s('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'flame graph' });
    const scale = width / Math.max(1, focus.value);

    const addFrame = (node, x, w) => {
      const g = s('g', {
        class: `frame${isMatch(node) ? ' match' : ''}${node === focus ? ' focus' : ''}`,
        transform: `translate(${x.toFixed(2)},${node.depth * ROW})`,
        dataset: { name: node.name },
      });
      g.append(
        s('title', {}, describe(node)),
        s('rect', { width: Math.max(0.5, w - 0.5).toFixed(2), height: ROW - 1, fill: colour(node.name), rx: 1 }));
      if (w >= MIN_LABEL_PX) g.append(s('text', { x: 3, y: ROW - 5 }, label(node.name, w)));
      // Keyboard: only frames wide enough to see are tab stops, so tabbing stays manageable.
      if (w >= MIN_LABEL_PX) {
        g.setAttribute('tabindex', '0');
        g.setAttribute('role', 'button');
        g.setAttribute('aria-label', describe(node));
      }
      g.addEventListener('click', () => zoom(node));
      g.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); zoom(node); } });
      g.addEventListener('mouseenter', () => { info.textContent = describe(node); });
      g.addEventListener('focus', () => { info.textContent = describe(node); });
      svg.append(g);
    };

    // The trail of callers above the focus, full width.
    for (let a = focus; a; a = a.parent) addFrame(a, 0, width);
    // The focus's subtree, scaled to the full width.
    const walk = (node, x) => {
      let cx = x;
      for (const c of node.children) {
        const w = c.value * scale;
        if (w >= 1) {
          addFrame(c, cx, w);
          walk(c, cx);
        }
        cx += w;
      }
    };
    walk(focus, 0);
    fill(svgHolder, svg);
    matched.textContent = query ? `matched ${share(matchedSamples(root))} of samples` : '';
  }

  search.addEventListener('input', () => { query = search.value.trim().toLowerCase(); draw(); });
  // Redrawn at the holder's width (resized windows, narrow screens).
  let lastWidth = 0;
  const observer = new ResizeObserver(() => {
    const w = svgHolder.clientWidth;
    if (w && Math.abs(w - lastWidth) > 2) { lastWidth = w; draw(); }
  });
  observer.observe(svgHolder);
  draw();
  return { el, dispose: () => observer.disconnect() };
}
