// The API token in the browser: taken once from the URL dbgcoord prints at start
// (http://127.0.0.1:7070/?token=...), kept for this tab only (sessionStorage: gone when the tab
// closes, never sent anywhere but in our own requests), and removed from the address bar at once
// so it does not end up in history, bookmarks or screenshots.

const KEY = 'dbgcoord_token';

export function captureTokenFromUrl() {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  url.searchParams.delete('token');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  if (token) sessionStorage.setItem(KEY, token.trim());
}

export function getToken() {
  return sessionStorage.getItem(KEY) || '';
}

export function setToken(token) {
  sessionStorage.setItem(KEY, token.trim());
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}
