// The REST client of the page. Every /api call carries the token as a Bearer header (never in
// the URL); a 401 tells the app to ask for a token again, and failures surface as ApiError with
// the server's problem+json detail, so views can show what the server said.

export class ApiError extends Error {
  constructor(status, message, problem = null) {
    super(message);
    this.status = status;  // 0: the coordinator could not be reached
    this.problem = problem;
  }
}

export function createApi({ token, onUnauthorized }) {
  async function request(method, path, { body, as = 'json' } = {}) {
    const headers = { Authorization: `Bearer ${token()}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'the coordinator cannot be reached');
    }
    if (response.status === 401) {
      onUnauthorized();
      throw new ApiError(401, 'the token was not accepted');
    }
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch { /* not problem+json */ }
      const detail = problem && (problem.detail || problem.title);
      throw new ApiError(response.status, detail || `${method} ${path}: HTTP ${response.status}`, problem);
    }
    if (as === 'text') return response.text();
    if (as === 'blob') return response.blob();
    return response.json();
  }

  return {
    get: (path, opts) => request('GET', path, opts),
    post: (path, body) => request('POST', path, { body }),
    patch: (path, body) => request('PATCH', path, { body }),
    del: (path) => request('DELETE', path),
  };
}

// Saves a response as a file: downloads cannot carry the Authorization header through a plain
// link, so the page fetches the bytes itself and hands the browser a blob URL.
export async function download(api, path, filename) {
  const blob = await api.get(path, { as: 'blob' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
