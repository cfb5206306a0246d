/** One benchmark row: a Couponflow figure beside the raw limit measured in the same run. */
export interface Row {
  row: number;
  name: string;
  ours: string;
  raw: string;
  /** raw time ÷ ours, or ours throughput ÷ raw throughput: higher is better, 1 = as fast as raw. */
  ratio: number | null;
  target: string;
  met: boolean;
  details: Record<string, unknown>;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

export function renderTable(rows: Row[]): string {
  const head = ['#', 'what', 'Couponflow', 'raw limit', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [String(r.row), r.name, r.ours, r.raw, r.ratio === null ? '—' : r.ratio.toFixed(2), r.target, r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export const fmt = {
  rate: (n: number) => `${Math.round(n).toLocaleString('en-US')}/s`,
  /** "231/s (220–240)": the median of the runs, then the smallest and largest */
  spread: (s: { median: number; min: number; max: number }) =>
    `${Math.round(s.median).toLocaleString('en-US')}/s (${Math.round(s.min).toLocaleString('en-US')}–${Math.round(s.max).toLocaleString('en-US')})`,
  ms: (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')} ms`,
  s: (n: number) => `${(n / 1000).toFixed(1)} s`,
  mb: (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`,
};
