// Health: the coordinator's own figures from GET /api/v1/stats (memory, CPU, queues, cache
// hit rate, thread pauses, error ingest), polled every 2 s and drawn as small live charts of the last 3
// minutes. Stats are a summary, not events, hence polling rather than the WebSocket.
import { h, fill, clear, notice } from '../dom.js';
import { bytes, percent, num, micros } from '../format.js';
import { lineChart } from '../charts/linechart.js';

const POLL_MS = 2000;
const KEEP = 90;

export function mount(root, _params, { api }) {
  const charts = h('div', { class: 'charts' });
  const facts = h('div');
  const status = h('div');
  root.append(h('h1', {}, 'Health'), status, charts, facts);
  const history = [];  // {t, stats}
  let timer = null;

  const series = (pick) => history.map((x, i) => pick(x, history[i - 1]));
  const cpuPct = (x, prev) => {
    if (!prev) return null;
    const cpu = (c) => (c.cpu_seconds?.user || 0) + (c.cpu_seconds?.system || 0);
    return (cpu(x.stats) - cpu(prev.stats)) / Math.max(0.001, (x.t - prev.t) / 1000);
  };
  const workersRss = (st) => (st.memory?.workers || []).reduce((a, w) => a + (w.rss_bytes || 0), 0);
  // A counter of the stats as a rate per second between two polls.
  const perSecond = (pick) => (x, prev) => {
    if (!prev || pick(x.stats) == null || pick(prev.stats) == null) return null;
    return (pick(x.stats) - pick(prev.stats)) / Math.max(0.001, (x.t - prev.t) / 1000);
  };

  function render() {
    const last = history.at(-1)?.stats;
    if (!last) return;
    fill(charts, 
      lineChart({ title: 'Memory', format: bytes, series: [
        { name: 'coordinator', values: series((x) => x.stats.memory?.coordinator?.rss_bytes) },
        { name: 'workers', values: series((x) => workersRss(x.stats)) }] }),
      lineChart({ title: 'CPU', format: (v) => percent(v), series: [{ name: 'coordinator', values: series(cpuPct) }] }),
      lineChart({ title: 'Queues', format: (v) => num(v), series: [
        { name: 'store', values: series((x) => x.stats.queue_depth?.store) },
        { name: 'pool', values: series((x) => x.stats.queue_depth?.pool) },
        { name: 'pending targets', values: series((x) => x.stats.queue_depth?.pending_targets) }] }),
      lineChart({ title: 'Cache hit rate', format: (v) => percent(v), max: 1, series: [
        { name: 'worker caches', values: series((x) => x.stats.worker_cache?.hit_rate) }] }),
      lineChart({ title: 'Thread pauses', format: micros, series: [
        { name: 'p50', values: series((x) => x.stats.thread_pause_us?.p50) },
        { name: 'p99', values: series((x) => x.stats.thread_pause_us?.p99) }] }),
      lineChart({ title: 'Error events', format: (v) => num(v), series: [
        { name: 'stored /s', values: series(perSecond((st) => st.errors?.events_recorded)) },
        { name: 'new groups /s', values: series(perSecond((st) => st.errors?.groups_created)) }] }));
    const optional = ['error_analysis_us', 'error_cache_hit_rate', 'error_resolution_rate', 'error_dedup_ratio', 'archive_compression_ratio']
      .filter((k) => last[k] != null && typeof last[k] !== 'object').map((k) => [k.replaceAll('_', ' '), num(last[k], 3)]);
    const rows = [
      ['Workers', `${num(last.workers?.live)} live, ${num(last.workers?.busy)} busy, ${num(last.workers?.restarts)} restarts`],
      ['Memory peak', `coordinator ${bytes(last.memory?.coordinator?.peak_bytes)}, workers ${bytes(last.memory?.workers_peak_bytes)}`],
      ['Thread pauses', `${num(last.thread_pause_us?.count)} threads, p50 ${micros(last.thread_pause_us?.p50)}, p99 ${micros(last.thread_pause_us?.p99)}, max ${micros(last.thread_pause_us?.max)}`],
      ['Snapshot analysis', `p50 ${micros(last.snapshot_analysis_us?.p50)}, p99 ${micros(last.snapshot_analysis_us?.p99)}`],
      ['Stack dedup ratio', num(last.stack_dedup_ratio, 2)],
      ['Cache', `${num(last.worker_cache?.hits)} hits of ${num(last.worker_cache?.lookups)} lookups`],
      ...(last.errors ? [['Error ingest', `${num(last.errors.events_recorded)} events stored (${num(last.errors.events_failed)} refused by the store), `
        + `${num(last.errors.groups_created)} new groups, ${num(last.errors.regressions)} regressions; frames memo `
        + `${percent(last.errors.stack_memo?.hit_rate)} hits, ${num(last.errors.stack_memo?.entries)} stacks, ${bytes(last.errors.stack_memo?.bytes)}`]] : []),
      ...optional,
    ];
    fill(facts, h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  }

  async function poll() {
    try {
      const stats = await api.get('/api/v1/stats');
      history.push({ t: Date.now(), stats });
      if (history.length > KEEP) history.shift();
      clear(status);
      render();
    } catch (e) {
      if (e.status === 401) return;
      fill(status, notice('error', `Could not read the stats: ${e.message}`));
    }
    timer = setTimeout(poll, POLL_MS);
  }

  poll();
  return { unmount: () => clearTimeout(timer), refresh: () => {} };
}
