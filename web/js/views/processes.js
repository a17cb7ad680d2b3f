// Processes: the live process list ranked by importance, each score's terms spelled out; a text
// filter; select processes and snapshot, profile or watch them in one click. A big host has
// thousands of processes: the list is read a page at a time (GET /api/v1/processes with
// limit, sort, order and the server's cursor), so the page costs the same at 100 or 10,000
// processes; the filter and the column sorts run on the server.
import { h, fill, clear, empty, notice, debounce } from '../dom.js';
import { bytes, percent, num } from '../format.js';

const REFRESH_MS = 10000;
const PAGE_SIZE = 500;
const FIRST_ROWS = 60;  // rendered before the first paint
// Columns the server sorts by (sort=…), with the order of a first click.
const SORTABLE = { score: 'desc', pid: 'asc', comm: 'asc', threads: 'desc', cpu: 'desc', rss: 'desc' };

// The filter as the server's regex (searched in comm and cmdline): the text literally, letters
// in either case, as the filter always matched.
function filterRegex(text) {
  return [...text].map((c) => {
    if (/[a-z]/i.test(c)) return `[${c.toLowerCase()}${c.toUpperCase()}]`;
    return /[\\^$.*+?()[\]{}|\/-]/.test(c) ? `\\${c}` : c;
  }).join('');
}

export function mount(root, _params, { api, navigate }) {
  const selected = new Set();  // pids, kept across refreshes and pages
  let processes = [];
  let total = 0;
  let loadError = null;
  let sort = 'score';
  let order = 'desc';
  let cursors = [null];  // cursors[k]: where page k starts (null: the first)
  let nextCursor = null;
  let loading = 0;       // answers still expected: only the newest request's is shown
  let renders = 0;       // the newest render: a stale one does not add its remaining rows

  const filter = h('input', { id: 'process-filter', type: 'search', placeholder: 'name, command line or pid', autocomplete: 'off' });
  const hz = h('input', { id: 'profile-hz', type: 'number', min: 1, max: 1000, value: '99', class: 'narrow' });
  const duration = h('input', { id: 'profile-duration', type: 'number', min: 1, max: 300, value: '5', class: 'narrow' });
  const count = h('span', { class: 'selection-count', 'aria-live': 'polite' });
  const snapshotButton = h('button', { type: 'button', class: 'primary', onclick: () => startSession('snapshot') }, 'Snapshot');
  const profileButton = h('button', { type: 'button', onclick: () => startSession('profile') }, 'Profile');
  const watchButton = h('button', { type: 'button', onclick: watchSelected }, 'Watch for crashes');
  const status = h('div', { class: 'action-status' });
  const table = h('div', { class: 'table-wrap' });

  root.append(
    h('h1', {}, 'Processes'),
    h('div', { class: 'toolbar' },
      h('label', { for: 'process-filter' }, 'Filter'), filter,
      h('button', { type: 'button', class: 'quiet', onclick: () => load() }, 'Refresh')),
    h('div', { class: 'toolbar actions', role: 'group', 'aria-label': 'Actions on the selected processes' },
      count, snapshotButton,
      h('span', { class: 'field' }, profileButton,
        h('label', { for: 'profile-hz' }, 'at'), hz, h('span', {}, 'Hz for'),
        duration, h('label', { for: 'profile-duration' }, 's')),
      watchButton),
    status,
    table,
  );

  // A new filter starts from the first page.
  filter.addEventListener('input', debounce(() => { cursors = [null]; load(); }, 150));

  function sortBy(key) {
    if (sort === key) order = order === 'asc' ? 'desc' : 'asc';
    else { sort = key; order = SORTABLE[key]; }
    cursors = [null];
    load();
  }

  // A header cell; a button for the columns the server sorts by, marked with its order.
  function header(label, key) {
    if (!key) return h('th', { scope: 'col' }, label);
    const active = sort === key;
    return h('th', { scope: 'col', 'aria-sort': active ? (order === 'asc' ? 'ascending' : 'descending') : 'none' },
      h('button', { type: 'button', class: 'sort', dataset: { sort: key }, onclick: () => sortBy(key) },
        label, active ? (order === 'asc' ? ' ▲' : ' ▼') : ''));
  }

  function updateActions() {
    const n = selected.size;
    count.textContent = n === 1 ? '1 process selected' : `${n} processes selected`;
    for (const b of [snapshotButton, profileButton, watchButton]) b.disabled = n === 0;
  }

  function terms(p) {
    if (!p.terms || p.terms.length === 0) return h('span', { class: 'muted' }, 'idle, small');
    return h('ul', { class: 'terms' }, (p.terms || []).map((t) =>
      h('li', { title: t.detail || '' }, h('b', {}, `${t.name} +${num(t.points, 1)}`), t.detail ? ` ${t.detail}` : '')));
  }

  function row(p) {
    const box = h('input', {
      type: 'checkbox',
      checked: selected.has(p.pid),
      disabled: !p.traceable,
      'aria-label': `select ${p.comm} (pid ${p.pid})`,
      onchange: (e) => { if (e.target.checked) selected.add(p.pid); else selected.delete(p.pid); updateActions(); },
    });
    const why = p.traceable ? null : h('span', { class: 'badge muted' }, `not traceable: ${p.not_traceable_because?.reason || p.not_traceable_because?.code || ''}`);
    return h('tr', { dataset: { pid: p.pid } },
      h('td', {}, box),
      h('td', { class: 'num score' }, num(p.score, 1)),
      h('td', { class: 'num' }, p.pid),
      h('td', { class: 'comm' }, p.comm, why),
      h('td', {}, p.state),
      h('td', { class: 'num' }, p.threads),
      h('td', { class: 'num' }, percent(p.cpu_share)),
      h('td', { class: 'num' }, bytes(p.rss_bytes)),
      h('td', {}, terms(p)),
      h('td', { class: 'cmdline', title: p.cmdline || '' }, p.cmdline || ''));
  }

  function renderTable() {
    clear(table);
    if (loadError) { table.append(notice('error', loadError)); return; }
    const shown = processes;
    if (shown.length === 0) {
      table.append(empty(filter.value.trim() ? 'No process matches the filter.' : 'No processes.'));
      updateActions();
      return;
    }
    const all = h('input', {
      type: 'checkbox',
      'aria-label': 'select every shown process that can be traced',
      checked: shown.filter((p) => p.traceable).every((p) => selected.has(p.pid)),
      onchange: (e) => {
        for (const p of shown) if (p.traceable) { if (e.target.checked) selected.add(p.pid); else selected.delete(p.pid); }
        renderTable();
      },
    });
    const first = (cursors.length - 1) * PAGE_SIZE + 1;
    const what = sort === 'score' && order === 'desc' ? 'most important first' : `by ${sort} ${order === 'asc' ? 'ascending' : 'descending'}`;
    const pager = h('div', { class: 'toolbar pager', role: 'group', 'aria-label': 'Pages' },
      h('button', { type: 'button', class: 'quiet', disabled: cursors.length === 1, onclick: previousPage }, 'Previous page'),
      h('span', { class: 'page-range' }, `${first}–${first + shown.length - 1}`),
      h('button', { type: 'button', class: 'quiet', disabled: !nextCursor, onclick: nextPage }, 'Next page'));
    const tbody = h('tbody');
    table.append(h('table', { class: 'processes' },
      h('caption', {}, `${filter.value.trim() ? 'Matching processes' : 'Processes'} ${first}–${first + shown.length - 1} of ${total} on the host, ${what}`),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, all), header('Score', 'score'), header('PID', 'pid'),
        header('Name', 'comm'), header('State'), header('Threads', 'threads'),
        header('CPU', 'cpu'), header('RSS', 'rss'), header('Why'),
        header('Command line'))),
      tbody), pager);
    // The first rows at once, the rest of the page after the browser has painted them: a
    // page of 500 rows (with their terms) takes a few hundred ms to lay out on a slow machine.
    // data-complete marks the page as whole (tests wait for it).
    const rendering = ++renders;
    const tableEl = table.querySelector('table.processes');
    tbody.append(...shown.slice(0, FIRST_ROWS).map(row));
    if (shown.length > FIRST_ROWS) {
      requestAnimationFrame(() => setTimeout(() => {
        if (rendering !== renders) return;
        tbody.append(...shown.slice(FIRST_ROWS).map(row));
        tableEl.dataset.complete = '';
      }, 0));
    } else {
      tableEl.dataset.complete = '';
    }
    updateActions();
  }

  function nextPage() {
    if (!nextCursor) return;
    cursors.push(nextCursor);
    load();
  }

  function previousPage() {
    if (cursors.length > 1) cursors.pop();
    load();
  }

  async function load() {
    const ticket = ++loading;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), sort, order });
    const text = filter.value.trim();
    if (text) params.set('match', filterRegex(text));
    const cursor = cursors[cursors.length - 1];
    if (cursor) params.set('cursor', cursor);
    try {
      // Digits may be a pid: that process first (when it exists), then the text matches.
      const byPid = /^\d{1,9}$/.test(text) && cursors.length === 1
        ? api.get(`/api/v1/processes?pid=${text}`) : Promise.resolve({ processes: [] });
      const [body, pidBody] = await Promise.all([api.get(`/api/v1/processes?${params}`), byPid]);
      const exact = pidBody.processes || [];
      if (exact.length) body.processes = [...exact, ...(body.processes || []).filter((p) => p.pid !== exact[0].pid)];
      if (ticket !== loading) return;  // a newer request (typing, a click) supersedes this one
      processes = body.processes || [];
      total = body.total ?? processes.length;
      nextCursor = body.next_cursor || null;
      loadError = null;
      // A page past the end (processes exited): back to the first one.
      if (processes.length === 0 && cursors.length > 1) { cursors = [null]; return load(); }
    } catch (e) {
      if (ticket !== loading) return;
      if (e.status === 401) return;
      loadError = `Could not load processes: ${e.message}`;
    }
    renderTable();
  }

  function say(kind, ...children) {
    fill(status, notice(kind, ...children));
  }

  async function startSession(kind) {
    const pids = [...selected];
    const body = { kind, targets: { pids } };
    if (kind === 'profile') body.options = { hz: Number(hz.value), duration_s: Number(duration.value) };
    try {
      const session = await api.post('/api/v1/sessions', body);
      navigate(`#/sessions/${encodeURIComponent(session.id)}`);
    } catch (e) {
      say('error', `Could not start the ${kind}: ${e.message}`);
    }
  }

  async function watchSelected() {
    const pids = [...selected];
    const results = await Promise.allSettled(pids.map((pid) => api.post('/api/v1/watches', { pid })));
    const failed = results.map((r, i) => [r, pids[i]]).filter(([r]) => r.status === 'rejected');
    const ok = pids.length - failed.length;
    const parts = [];
    if (ok) parts.push(`Watching ${ok} process${ok === 1 ? '' : 'es'} for crashes. `, h('a', { href: '#/errors' }, 'See errors'), '. ');
    for (const [r, pid] of failed) parts.push(`pid ${pid}: ${r.reason.message}. `);
    say(failed.length ? 'error' : 'ok', ...parts);
  }

  // Refreshes the ranking in the background, but not while the user is working in the table
  // (a re-render would move their focus).
  const timer = setInterval(() => {
    if (!table.contains(document.activeElement)) load();
  }, REFRESH_MS);

  updateActions();
  load();
  filter.focus();

  return { unmount: () => clearInterval(timer), refresh: load };
}
