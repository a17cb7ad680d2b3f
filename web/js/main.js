// The dashboard's entry point: token, shell (navigation, connection state), hash routing to
// the views. Views are modules with mount(container, params, ctx) -> {unmount, refresh}.
import { captureTokenFromUrl, getToken, setToken, clearToken } from './auth.js';
import { createApi, download } from './api.js';
import { EventStream } from './events.js';
import { clear } from './dom.js';
import { resolveRoute } from './routes.js';

const el = (id) => document.getElementById(id);
const view = el('view');
let current = null;  // {unmount, refresh} of the mounted view
let started = false;

const events = new EventStream(getToken);
const api = createApi({ token: getToken, onUnauthorized: () => showLogin('The token was not accepted. It may have changed: paste the current one.') });
const ctx = {
  api,
  events,
  navigate: (hash) => { location.hash = hash; },
  download: (path, filename) => download(api, path, filename),
};

function showLogin(message) {
  clearToken();
  events.stop();
  if (current) current.unmount?.();
  current = null;
  started = false;
  view.hidden = true;
  el('nav').hidden = true;
  el('connection').hidden = true;
  el('logout').hidden = true;
  el('login').hidden = false;
  el('login-message').textContent = message || '';
  el('login-token').value = '';
  el('login-token').focus();
}

function showConnection(state) {
  const label = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…', idle: '' }[state] ?? state;
  const badge = el('connection');
  badge.textContent = label;
  badge.dataset.state = state;
}

function render() {
  if (!started) return;
  const { name, module, params } = resolveRoute(location.hash);
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (current) current.unmount?.();
  clear(view);
  current = module.mount(view, params, ctx);
}

function startApp() {
  el('login').hidden = true;
  view.hidden = false;
  el('nav').hidden = false;
  el('connection').hidden = false;
  el('logout').hidden = false;
  started = true;
  events.start();
  render();
}

// A cheap authenticated request decides between the app and the login prompt. An unreachable
// coordinator still opens the app: it shows "reconnecting" and recovers by itself.
async function signIn() {
  try {
    await api.get('/api/v1/sessions?limit=1');
  } catch (e) {
    if (e.status === 401) return;  // showLogin already ran
  }
  startApp();
}

events.onState((state, info) => {
  showConnection(state);
  // Events published while we were away are lost: the view refetches what it shows.
  if (state === 'live' && info.reconnected && current) current.refresh?.();
});

window.addEventListener('hashchange', render);
el('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const token = el('login-token').value.trim();
  if (!token) return;
  setToken(token);
  signIn();
});
el('logout').addEventListener('click', () => showLogin('Token forgotten for this tab.'));

captureTokenFromUrl();
if (getToken()) signIn();
else showLogin('');
