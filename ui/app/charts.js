// Time-series charts (uPlot, loaded as a classic script: window.uPlot) with events drawn as vertical markers:
// rollout decisions in red or green, lifecycle events in grey.
import { html } from './html.js';
import { useEffect, useRef } from 'preact/hooks';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];

function markerColor(type) {
  if (type === 'rollout_rolled_back' || type === 'rollout_aborted' || type.endsWith('_refused')) return '#dc2626';
  if (type === 'rollout_promoted') return '#16a34a';
  if (type.startsWith('rollout_') || type === 'traffic_changed') return '#d97706';
  return '#9ca3af';
}

/** A uPlot plugin drawing `markers()` (events with a `time`) as vertical lines across the plot. */
function markersPlugin(markers) {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u;
        const { top, height, left, width } = u.bbox;
        ctx.save();
        ctx.lineWidth = 2;
        for (const e of markers()) {
          const x = u.valToPos(Date.parse(e.time) / 1000, 'x', true);
          if (x < left || x > left + width) continue;
          ctx.strokeStyle = markerColor(e.type);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

/**
 * One chart: `series` is [{label, values: number|null per point}], `times` the points' ms since the epoch,
 * `markers` the events to draw. Built once, then given new data.
 */
export function Chart({ title, times, series, markers = [], format = (v) => v, height = 160 }) {
  const box = useRef(null);
  const plot = useRef(null);
  const marks = useRef(markers);
  marks.current = markers;
  const data = [times.map((t) => t / 1000), ...series.map((s) => s.values)];
  const key = series.map((s) => s.label).join('\u0000');
  useEffect(() => {
    const el = box.current;
    const u = new window.uPlot(
      {
        width: Math.max(240, el.clientWidth || 320),
        height,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => format(t)) }],
        series: [
          {},
          ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true })),
        ],
        plugins: [markersPlugin(() => marks.current)],
      },
      data,
      el,
    );
    plot.current = u;
    const resize = () => u.setSize({ width: Math.max(240, el.clientWidth), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      u.destroy();
      plot.current = null;
    };
  }, [key]);
  useEffect(() => {
    plot.current?.setData(data);
  });
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${box}></div>
  </figure>`;
}

/** Horizontal bars (TreeSHAP contributions, drift against its threshold): [{label, value}], signed. */
export function Bars({ rows, format = (v) => v.toFixed(3), testid }) {
  const max = Math.max(1e-12, ...rows.map((r) => Math.abs(r.value)));
  return html`<div class="bars" data-testid=${testid}>
    ${rows.map(
      (r) =>
        html`<div class="bar-row" title=${`${r.label}: ${format(r.value)}`}>
          <span class="bar-label">${r.label}</span>
          <span class="bar-track"
            ><span
              class=${`bar ${r.value < 0 ? 'neg' : 'pos'}`}
              style=${`width:${(Math.abs(r.value) / max) * 50}%;${r.value < 0 ? 'right:50%' : 'left:50%'}`}
            ></span
          ></span>
          <span class="bar-value">${format(r.value)}</span>
        </div>`,
    )}
  </div>`;
}
