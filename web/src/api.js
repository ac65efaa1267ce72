// The JSON endpoints (docs/dashboard.md) and the live update stream. A bearer token typed in
// the header is kept in localStorage and sent with every call.

const TOKEN_KEY = 'augur.token';

export function token() {
  return localStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

function headers() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function answer(response) {
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new Error(`${response.status}: ${message}`);
  }
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { headers: headers() }));
}

export async function post(path, body) {
  return answer(await fetch(path, {
    method: 'POST',
    headers: { ...headers(), 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}),
  }));
}

// Calls onChange(version) when the scheduler says something changed, at most once per
// `minMs`; reconnects on its own (EventSource does). Returns the EventSource.
export function live(onChange, onState, minMs = 1000) {
  const t = token();
  const source = new EventSource(`/api/v1/events${t ? `?access_token=${encodeURIComponent(t)}` : ''}`);
  let last = 0;
  let pending = null;
  source.addEventListener('change', (e) => {
    const { version } = JSON.parse(e.data);
    const wait = Math.max(0, last + minMs - Date.now());
    clearTimeout(pending);
    pending = setTimeout(() => {
      last = Date.now();
      onChange(version);
    }, wait);
  });
  source.onopen = () => onState('live');
  source.onerror = () => onState('reconnecting');
  return source;
}
