// The executive view: availability against the SLO, error budget, traffic and cost per 1,000 predictions.
import { html } from './html.js';
import { Chart } from './charts.js';
import { availabilitySli, fmtInt, fmtNum, fmtPct, fmtRate, modelTotals } from './figures.js';

/** Availability over every model with an SLO: good requests / all of them in their budget windows. */
function overallAvailability(models) {
  let good = 0;
  let total = 0;
  let budget = null;
  let objective = null;
  for (const m of models) {
    const a = availabilitySli(m);
    if (!a) continue;
    good += a.good;
    total += a.total;
    budget = budget === null ? a.budgetRemaining : Math.min(budget, a.budgetRemaining);
    objective = objective === null ? a.objective : Math.max(objective, a.objective);
  }
  return { sli: total ? good / total : null, budget, objective };
}

function Tile({ label, value, note, field, raw, state }) {
  return html`<div class=${`tile ${state ?? ''}`}>
    <div class="tile-label">${label}</div>
    <div class="tile-value" data-field=${field} data-value=${raw}>${value}</div>
    ${note ? html`<div class="tile-note">${note}</div>` : null}
  </div>`;
}

function costCell(m, costConfigured) {
  if (costConfigured) return m.costPer1k === null ? '–' : fmtNum(m.costPer1k);
  return m.cpuPerInference === null ? '–' : `${fmtNum(m.cpuPerInference * 1000)} CPU s`;
}

export function Executive({ snap, hello, history, events }) {
  const models = snap.models;
  const totals = models.map((m) => ({ m, t: modelTotals(m) }));
  const requests = totals.reduce((n, x) => n + x.t.requests, 0);
  const avail = overallAvailability(models);
  const last = history.total.at(-1);
  const costModels = models.filter((m) => (hello.costConfigured ? m.costPer1k : m.cpuPerInference) !== null);
  const weighted = (f) => {
    const w = costModels.reduce((n, m) => n + modelTotals(m).requests, 0);
    return w ? costModels.reduce((n, m) => n + f(m) * modelTotals(m).requests, 0) / w : null;
  };
  const cost = hello.costConfigured ? weighted((m) => m.costPer1k) : weighted((m) => m.cpuPerInference * 1000);
  const pts = history.total;
  return html`<section class="view" data-testid="executive">
    <div class="tiles">
      <${Tile}
        label="Availability (SLO window)"
        field="exec-availability"
        raw=${avail.sli}
        value=${fmtPct(avail.sli, 3)}
        note=${avail.objective === null ? 'no model declares an SLO' : `objective ${fmtPct(avail.objective, 2)}`}
        state=${avail.sli !== null && avail.objective !== null && avail.sli < avail.objective ? 'bad' : 'good'}
      />
      <${Tile}
        label="Error budget left (lowest)"
        field="exec-budget"
        raw=${avail.budget}
        value=${fmtPct(avail.budget, 1)}
        state=${avail.budget !== null && avail.budget < 0.25 ? 'bad' : ''}
      />
      <${Tile} label="Traffic now" field="exec-rps" raw=${last?.rps} value=${fmtRate(last?.rps)} />
      <${Tile} label="Predictions since start" field="exec-requests" raw=${requests} value=${fmtInt(requests)} />
      <${Tile}
        label=${hello.costConfigured ? 'Cost per 1,000 predictions' : 'CPU per 1,000 predictions'}
        field="exec-cost"
        raw=${cost}
        value=${cost === null ? '–' : hello.costConfigured ? fmtNum(cost) : `${fmtNum(cost)} CPU s`}
        note=${
          hello.costConfigured
            ? 'at the configured cost_per_cpu_second'
            : 'no cost configured: set cost_per_cpu_second to see a price; CPU seconds shown instead'
        }
      />
    </div>
    <div class="charts">
      <${Chart}
        title="Requests per second (all models)"
        times=${pts.map((p) => p.at)}
        series=${[{ label: 'req/s', values: pts.map((p) => p.rps) }]}
        markers=${events}
      />
      <${Chart}
        title="Error ratio (all models)"
        times=${pts.map((p) => p.at)}
        series=${[{ label: 'errors', values: pts.map((p) => p.errorRatio) }]}
        markers=${events}
        format=${(v) => fmtPct(v, 1)}
      />
    </div>
    <table class="grid" data-testid="exec-table">
      <thead>
        <tr>
          <th>model</th>
          <th>state</th>
          <th>predictions</th>
          <th>req/s</th>
          <th>availability</th>
          <th>objective</th>
          <th>budget left</th>
          <th>${hello.costConfigured ? 'cost / 1k' : 'CPU / 1k'}</th>
        </tr>
      </thead>
      <tbody>
        ${totals.map(({ m, t }) => {
          const a = availabilitySli(m);
          const p = history.of(m.name).at(-1);
          return html`<tr data-model=${m.name}>
            <td><a href=${`#debug/${encodeURIComponent(m.name)}`}>${m.name}</a></td>
            <td class=${m.state === 'READY' ? 'ok' : 'warn'}>${m.state}</td>
            <td class="num" data-field="model-requests" data-value=${t.requests}>${fmtInt(t.requests)}</td>
            <td class="num">${fmtRate(p?.rps)}</td>
            <td class="num" data-field="model-availability" data-value=${a?.sli}>${fmtPct(a?.sli, 3)}</td>
            <td class="num">${a ? fmtPct(a.objective, 2) : '–'}</td>
            <td class="num" data-field="model-budget" data-value=${a?.budgetRemaining}>
              ${a ? fmtPct(a.budgetRemaining, 1) : '–'}
            </td>
            <td
              class="num"
              data-field="model-cost"
              data-value=${hello.costConfigured ? m.costPer1k : m.cpuPerInference}
            >
              ${costCell(m, hello.costConfigured)}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
  </section>`;
}
