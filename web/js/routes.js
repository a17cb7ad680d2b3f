// Hash routes ("#/sessions/s-1") -> view module and parameters. Hash routing keeps every view
// at "/" on the server, so the static file table needs no fallback route.
import * as processes from './views/processes.js';
import * as sessions from './views/sessions.js';
import * as session from './views/session.js';
import * as snapshot from './views/snapshot.js';
import * as profile from './views/profile.js';
import * as errors from './views/errors.js';
import * as errorGroup from './views/error_group.js';
import * as fleet from './views/fleet.js';
import * as fleetGroup from './views/fleet_group.js';
import * as fleetSession from './views/fleet_session.js';
import * as health from './views/health.js';

const ROUTES = [
  { pattern: /^#\/processes$/, name: 'processes', module: processes },
  { pattern: /^#\/sessions$/, name: 'sessions', module: sessions },
  { pattern: /^#\/sessions\/([^/]+)$/, name: 'sessions', module: session, keys: ['id'] },
  { pattern: /^#\/snapshots\/([^/]+)$/, name: 'sessions', module: snapshot, keys: ['id'] },
  { pattern: /^#\/profiles\/([^/]+)$/, name: 'sessions', module: profile, keys: ['id'] },
  { pattern: /^#\/errors$/, name: 'errors', module: errors },
  { pattern: /^#\/errors\/([^/]+)$/, name: 'errors', module: errorGroup, keys: ['id'] },
  { pattern: /^#\/fleet$/, name: 'fleet', module: fleet },
  { pattern: /^#\/fleet\/errors\/([^/]+)$/, name: 'fleet', module: fleetGroup, keys: ['signature'] },
  { pattern: /^#\/fleet\/sessions\/([^/]+)$/, name: 'fleet', module: fleetSession, keys: ['id'] },
  { pattern: /^#\/health$/, name: 'health', module: health },
];

export function resolveRoute(hash) {
  for (const route of ROUTES) {
    const m = route.pattern.exec(hash || '');
    if (!m) continue;
    const params = {};
    (route.keys || []).forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
    return { name: route.name, module: route.module, params };
  }
  return { name: 'processes', module: processes, params: {} };
}
