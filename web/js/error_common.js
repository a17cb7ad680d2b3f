// Pieces shared by the error list and one error group: the analysis fields (class, confidence,
// similar groups — filled by the classifier when the coordinator has one, null or absent
// otherwise), status buttons, and the occurrence sparkline.
import { h } from './dom.js';
import { bucket, sparkline } from './charts/sparkline.js';

export function analysisOf(group) {
  const a = group.analysis || {};
  return {
    cls: group.class ?? a.class ?? null,
    confidence: group.confidence ?? a.confidence ?? null,
    similar: group.similar ?? a.similar ?? null,
    explanation: a.explanation ?? null,
  };
}

export function classLabel(group) {
  const { cls, confidence } = analysisOf(group);
  if (!cls) return h('span', { class: 'muted' }, 'unclassified');
  return h('span', { class: 'class' }, String(cls).replaceAll('_', ' '), confidence != null ? h('span', { class: 'small' }, ` ${Math.round(confidence * 100)} %`) : null);
}

const NEXT = { resolved: 'Resolve', ignored: 'Ignore', open: 'Reopen' };

// Buttons for the statuses the group is not in; onChange(status) does the PATCH.
export function statusButtons(group, onChange) {
  return h('span', { class: 'status-buttons' }, Object.entries(NEXT)
    .filter(([status]) => status !== group.status)
    .map(([status, text]) => h('button', {
      type: 'button', class: status === 'resolved' ? 'primary small-button' : 'small-button',
      'aria-label': `${text} group ${group.id}`, onclick: () => onChange(status),
    }, text)));
}

// Occurrences of the group's latest events between its first sighting and now.
export function occurrenceSparkline(group, events, opts = {}) {
  const times = events.map((e) => e.received_at ?? e.timestamp).filter(Boolean);
  const to = Math.max(Date.now(), group.last_seen || 0);
  const from = Math.min(group.first_seen || to, to - 60000);
  return sparkline(bucket(times, from, to, opts.bins || 30), { ...opts, label: `occurrences of group ${group.id}` });
}
