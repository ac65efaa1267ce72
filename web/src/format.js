// Numbers and times as people read them: 1.2M tokens, 3e-4, 12m05s.

export function count(n) {
  if (n == null || !isFinite(n)) return '-';
  const a = Math.abs(n);
  for (const [d, s] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']]) {
    if (a >= d) return `${+(n / d).toPrecision(3)}${s}`;
  }
  return `${+n.toPrecision(3)}`;
}

export function num(v, digits = 4) {
  if (v == null || !isFinite(v)) return '-';
  if (Math.abs(v) >= 1e4) return count(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1);
  return `${+v.toPrecision(digits)}`;
}

export function loss(v) {
  return v == null || !(v > 0) ? '-' : v.toFixed(4);
}

export function duration(s) {
  if (!(s > 0) || !isFinite(s)) return '-';
  s = Math.round(s);
  const pad = (x) => (x < 10 ? `0${x}` : `${x}`);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export function time(ms) {
  return ms > 0 ? new Date(ms).toLocaleString() : '-';
}

export function pct(f) {
  return f == null ? '-' : `${Math.round(f * 100)}%`;
}

// Escapes text for innerHTML.
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export const PARAM_LABELS = {
  peak_lr: 'learning rate',
  tau: 'tau',
  weight_decay: 'weight decay',
  model_size: 'model size',
  batch_sequences: 'batch (sequences)',
  seed: 'seed',
};
