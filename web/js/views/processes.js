// Processes: the live process list ranked by importance, each score's terms spelled out; a text
// filter; select processes and snapshot, profile or watch them in one click.
import { h, fill, clear, empty, notice } from '../dom.js';
import { bytes, percent, num } from '../format.js';

const REFRESH_MS = 10000;

export function mount(root, _params, { api, navigate }) {
  const selected = new Set();  // pids, kept across refreshes
  let processes = [];
  let total = 0;
  let loadError = null;

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
      h('button', { type: 'button', class: 'quiet', onclick: load }, 'Refresh')),
    h('div', { class: 'toolbar actions', role: 'group', 'aria-label': 'Actions on the selected processes' },
      count, snapshotButton,
      h('span', { class: 'field' }, profileButton,
        h('label', { for: 'profile-hz' }, 'at'), hz, h('span', {}, 'Hz for'),
        duration, h('label', { for: 'profile-duration' }, 's')),
      watchButton),
    status,
    table,
  );

  filter.addEventListener('input', renderTable);

  function matches(p, text) {
    if (!text) return true;
    const t = text.toLowerCase();
    return String(p.pid) === t || (p.comm || '').toLowerCase().includes(t) || (p.cmdline || '').toLowerCase().includes(t);
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
    const shown = processes.filter((p) => matches(p, filter.value.trim()));
    if (shown.length === 0) {
      table.append(empty(processes.length === 0 ? 'No processes.' : 'No process matches the filter.'));
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
    table.append(h('table', { class: 'processes' },
      h('caption', {}, `${shown.length} of ${total} processes, most important first`),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, all), h('th', { scope: 'col' }, 'Score'), h('th', { scope: 'col' }, 'PID'),
        h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col' }, 'Threads'),
        h('th', { scope: 'col' }, 'CPU'), h('th', { scope: 'col' }, 'RSS'), h('th', { scope: 'col' }, 'Why'),
        h('th', { scope: 'col' }, 'Command line'))),
      h('tbody', {}, shown.map(row))));
    updateActions();
  }

  async function load() {
    try {
      const body = await api.get('/api/v1/processes?limit=1000');
      processes = body.processes || [];
      total = body.total ?? processes.length;
      loadError = null;
      const live = new Set(processes.map((p) => p.pid));
      for (const pid of [...selected]) if (!live.has(pid)) selected.delete(pid);
    } catch (e) {
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
