import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: number[];
  color: string;
}

/** A uPlot line chart over days (YYYY-MM-DD), labelled for screen readers by `summary`. */
export function DayChart({ title, summary, days, series, format }: { title: string; summary: string; days: string[]; series: Series[]; format?: (v: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = days.map((d) => Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 1000);
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: true },
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, vals) => vals.map((v) => (format ? format(v) : String(v))), size: 70 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, value: (_u: uPlot, v: number | null) => (v === null ? '—' : format ? format(v) : String(v)) }))],
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: 220 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [days, series, format]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${summary}`} />
    </figure>
  );
}
