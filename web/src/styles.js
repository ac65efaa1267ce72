// Distinct line styles for many trials: ten colours, then the same colours dashed in three
// patterns (40 distinct styles); beyond that, hover names the line.

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2',
  '#7f7f7f', '#bcbd22', '#17becf'];
const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

export function style(i) {
  return { stroke: COLORS[i % COLORS.length], dash: DASHES[Math.floor(i / COLORS.length) % DASHES.length] };
}

// Exponential moving average (TensorBoard's smoothing): weight in [0, 1).
export function smooth(y, weight) {
  if (!(weight > 0)) return y;
  const out = new Array(y.length);
  let last = null;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v == null || !isFinite(v)) { out[i] = v; continue; }
    last = last == null ? v : last * weight + v * (1 - weight);
    out[i] = last;
  }
  return out;
}
