// Tiny DOM helpers. Everything is built with createElement and textContent, never innerHTML:
// process names, command lines and crash messages come from the targets and must stay text.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'checked' || key === 'disabled' || key === 'value' || key === 'open' || key === 'hidden') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// h('button', {class: 'primary', onclick: fn}, 'Text', child, [more]) -> HTMLElement.
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  apply(el, props);
  append(el, children);
  return el;
}

// The same for SVG elements (flame graph, charts).
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, props);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

// A plain "nothing here" paragraph, the same everywhere so tests and eyes find it.
export function empty(text) {
  return h('p', { class: 'empty' }, text);
}

// A status line for results and failures of actions (announced by screen readers).
export function notice(kind, ...children) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}

// Calls fn at most once per `ms`, trailing: bursts of live events cost one refetch.
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => { timer = null; fn(...args); }, ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

// Replaces el's children. Unlike Element.append, null/false children are skipped (append would
// render them as the text "null").
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}
