// The debug view of one model: its versions, traffic split and canary analysis, drift per feature, live
// accuracy, recent predictions and their explanations, and a form to try it.
import { html } from './html.js';
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { Bars, Chart } from './charts.js';
import { errorsOf, fmtInt, fmtMs, fmtNum, histogramQuantile, requestsOf } from './figures.js';
import { RepositoryActions, RolloutActions, WeightsEditor } from './actions.js';
import { TryModel } from './try-model.js';
import { Changes } from './oncall.js';

const enc = encodeURIComponent;

function SplitBar({ versions }) {
  return html`<div class="splitbar" data-testid="split">
    ${versions
      .filter((v) => v.share > 0)
      .map(
        (v, i) =>
          html`<span class=${`seg c${i % 6}`} style=${`width:${v.share}%`} title=${`v${v.version}: ${v.share}%`}
            >v${v.version} ${fmtNum(v.share)}%</span
          >`,
      )}
  </div>`;
}

function Rollout({ model, rollout }) {
  if (!rollout) return html`<p class="muted">No rollout has run for this model.</p>`;
  const d = rollout.lastDecision;
  return html`<div class="rollout" data-testid="rollout">
    <p>
      ${'Rollout '}<code>${rollout.id}</code>${`: candidate v${rollout.candidate} against v${rollout.stable}, `}
      <b class=${`status ${rollout.status}`} data-testid="rollout-status">${rollout.status}</b>${', weight '}
      <span data-field="rollout-weight" data-value=${rollout.weight}>${fmtNum(rollout.weight)}%</span>
      ${`, step ${rollout.step + 1} of ${rollout.steps.length} (${rollout.steps.join('% → ')}%), every ${rollout.intervalMs / 1000} s`}
    </p>
    ${
      d
        ? html`<p data-testid="rollout-decision">
              ${'Last decision: '}<b>${d.action}</b>${` by ${d.by} at ${new Date(d.at).toLocaleTimeString()}: ${d.reason}`}
            </p>
            <table class="grid small">
              <thead>
                <tr>
                  <th>check</th>
                  <th>status</th>
                  <th>value</th>
                  <th>limit</th>
                  <th>samples</th>
                </tr>
              </thead>
              <tbody>
                ${d.checks.map(
                  (c) =>
                    html`<tr class=${c.status === 'fail' ? 'failing' : ''}>
                      <td>${c.check}</td>
                      <td>${c.status}</td>
                      <td class="num">${fmtNum(c.value)}</td>
                      <td class="num">${fmtNum(c.limit)}</td>
                      <td class="num">
                        ${c.samples.candidate}${c.samples.stable === undefined ? '' : ` / ${c.samples.stable}`}
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : null
    }
    <${RolloutActions} model=${model} rollout=${rollout} />
  </div>`;
}

/** Drift rows per (version, feature): its statistics side by side, the worst against its threshold first. */
function driftRows(drift) {
  const rows = new Map();
  for (const d of drift) {
    const key = `${d.version}\u0000${d.source}\u0000${d.feature}`;
    let r = rows.get(key);
    if (!r)
      rows.set(
        key,
        (r = { version: d.version, feature: d.feature, source: d.source, stats: {}, worst: 0, drifted: false }),
      );
    r.stats[d.statistic] = d;
    r.worst = Math.max(r.worst, d.threshold ? d.value / d.threshold : 0);
    r.drifted ||= d.drifted;
  }
  return [...rows.values()].sort((a, b) => b.worst - a.worst);
}

const DRIFT_SHOWN = 12;

function Drift({ drift }) {
  const [all, setAll] = useState(false);
  if (!drift.length)
    return html`<p class="muted">No drift figures: the model has no drift: block, or no window was evaluated yet.</p>`;
  const rows = driftRows(drift);
  const statistics = [...new Set(drift.map((d) => d.statistic))];
  const shown = all ? rows : rows.slice(0, DRIFT_SHOWN);
  const drifted = rows.filter((r) => r.drifted).length;
  return html`<div data-testid="drift">
    <p class="muted">
      ${`${drifted} of ${rows.length} features over a threshold in the last window; the worst first.`}
    </p>
    <table class="grid small">
      <thead>
        <tr>
          <th>version</th>
          <th>feature</th>
          ${statistics.map((s) => html`<th>${s}</th>`)}
          <th>worst / threshold</th>
        </tr>
      </thead>
      <tbody>
        ${shown.map(
          (r) =>
            html`<tr class=${r.drifted ? 'failing' : ''}>
              <td>${r.version}</td>
              <td>${r.feature}</td>
              ${statistics.map((s) => {
                const d = r.stats[s];
                return html`<td class="num" data-field="drift-value" data-value=${d?.value}>
                  ${d ? `${fmtNum(d.value)} / ${fmtNum(d.threshold)}` : '–'}
                </td>`;
              })}
              <td><meter min="0" max="2" value=${Math.min(2, r.worst)} high="1"></meter></td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      rows.length > DRIFT_SHOWN
        ? html`<button onClick=${() => setAll(!all)}>
            ${all ? 'show the worst only' : `show all ${rows.length}`}
          </button>`
        : null
    }
  </div>`;
}

function Quality({ quality }) {
  if (!quality.length)
    return html`<p class="muted">
      No live quality yet: labels arrive through POST /v1/feedback (needs the prediction log).
    </p>`;
  return html`<table class="grid small" data-testid="quality">
    <thead>
      <tr>
        <th>version</th>
        <th>window</th>
        <th>metric</th>
        <th>value</th>
      </tr>
    </thead>
    <tbody>
      ${quality.map(
        (q) =>
          html`<tr>
            <td>${q.version}</td>
            <td>${q.window}</td>
            <td>${q.metric}</td>
            <td class="num" data-field="quality-value" data-value=${q.value}>${fmtNum(q.value)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function RecentPredictions({ model }) {
  const [state, setState] = useState(null);
  const [open, setOpen] = useState(null);
  const load = async () => setState(await api('GET', `/v1/predictions?model=${enc(model)}&limit=10`));
  return html`<div data-testid="predictions">
    <button onClick=${load}>show the 10 latest</button>
    <span class="muted"> (the prediction log: needs audit.enabled and the admin scope)</span>
    ${state && !state.ok ? html`<p class="error">${state.error}</p>` : null}
    ${
      state?.ok
        ? html`<table class="grid small">
            <thead>
              <tr>
                <th>time</th>
                <th>version</th>
                <th>latency</th>
                <th>outputs</th>
                <th>explanation</th>
              </tr>
            </thead>
            <tbody>
              ${state.body.predictions.map((p) => {
                const shap = p.outputs.find((o) => o.name === 'treeshap_output');
                return html`<tr>
                  <td>${new Date(p.time).toLocaleTimeString()}</td>
                  <td>${p.version}</td>
                  <td class="num">${fmtNum(p.latency_ms)} ms</td>
                  <td class="mono">
                    ${p.outputs
                      .filter((o) => o !== shap)
                      .map((o) => `${o.name}=${JSON.stringify(o.data).slice(0, 40)}`)
                      .join(' ')}
                  </td>
                  <td>
                    ${
                      shap
                        ? html`<button onClick=${() => setOpen(open === p.request_id ? null : p.request_id)}>
                              TreeSHAP
                            </button>
                            ${
                              open === p.request_id
                                ? html`<${Bars}
                                    rows=${shap.data.slice(0, shap.shape.at(-1)).map((v, i) => ({ label: `f${i}`, value: v }))}
                                  />`
                                : null
                            }`
                        : '–'
                    }
                  </td>
                </tr>`;
              })}
            </tbody>
          </table>`
        : null
    }
  </div>`;
}

export function Debug({ snap, hello, history, events, model }) {
  const m = snap.models.find((x) => x.name === model) ?? snap.models[0];
  if (!m) return html`<section class="view"><p>No model is loaded.</p></section>`;
  const pts = history.of(m.name);
  const versions = m.versions.map((v) => v.version);
  const mine = events.filter((e) => e.model === m.name);
  return html`<section class="view" data-testid="debug" data-model=${m.name}>
    <div class="toolbar">
      <label
        >model
        <select
          data-testid="model-select"
          value=${m.name}
          onChange=${(e) => (location.hash = `#debug/${enc(e.currentTarget.value)}`)}
        >
          ${snap.models.map((x) => html`<option value=${x.name}>${x.name}</option>`)}
        </select></label
      >
      <span class=${m.state === 'READY' ? 'ok' : 'warn'}>${m.state}</span>
      <${RepositoryActions} model=${m.name} mode=${hello.mode} />
    </div>
    <div class="split">
      <div>
        <h3>Versions and traffic</h3>
        <${SplitBar} versions=${m.versions} />
        <table class="grid small" data-testid="versions">
          <thead>
            <tr>
              <th>version</th>
              <th>state</th>
              <th>share</th>
              <th>requests</th>
              <th>errors</th>
              <th>p99</th>
            </tr>
          </thead>
          <tbody>
            ${m.versions.map(
              (v) =>
                html`<tr class=${v.failed ? 'failing' : ''} data-version=${v.version}>
                  <td>${v.version}</td>
                  <td data-testid=${`version-state-${v.version}`}>${v.failed ? 'rolled back' : v.state}</td>
                  <td class="num" data-field="debug-share" data-value=${v.share}>${fmtNum(v.share)}%</td>
                  <td class="num">${fmtInt(requestsOf(v))}</td>
                  <td class="num">${fmtInt(errorsOf(v))}</td>
                  <td class="num">${fmtMs(histogramQuantile(0.99, hello.bounds, v.latency.buckets))}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        <${WeightsEditor} key=${`${m.name}:${versions.join(',')}`} model=${m.name} versions=${m.versions} />
        <h3>Canary analysis</h3>
        <${Rollout} model=${m.name} rollout=${m.rollout} />
      </div>
      <div class="charts">
        <${Chart}
          key=${`${m.name}:${versions.join(',')}`}
          title=${`${m.name}: requests per second by version`}
          times=${pts.map((p) => p.at)}
          series=${versions.map((v) => ({ label: `v${v}`, values: pts.map((p) => p.versions[v]?.rps ?? null) }))}
          markers=${mine}
        />
        <h3>Events</h3>
        <${Changes} events=${mine} limit=${8} />
      </div>
    </div>
    <h3>Drift per feature</h3>
    <${Drift} drift=${m.drift} />
    <h3>Live accuracy</h3>
    <${Quality} quality=${m.quality} />
    <h3>Recent predictions</h3>
    <${RecentPredictions} model=${m.name} />
    <h3>Try the model</h3>
    <${TryModel} model=${m.name} />
  </section>`;
}
