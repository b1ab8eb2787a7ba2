// The on-call view: latency percentiles, errors, saturation, burn rates, which version is failing, what changed.
import { html } from './html.js';
import { Chart } from './charts.js';
import { errorsOf, fmtInt, fmtMs, fmtNum, fmtPct, fmtRate, histogramQuantile, requestsOf } from './figures.js';

const BREAKER = ['closed', 'half-open', 'open'];

/** Why a version is failing now, or null: its breaker, a rollback, or errors in the last interval. */
export function failingReason(m, v, point) {
  if (v.failed) return `rolled back${m.rollout?.lastDecision ? `: ${m.rollout.lastDecision.reason}` : ''}`;
  if (v.breaker === 2) return 'circuit breaker open';
  if (v.breaker === 1) return 'circuit breaker half-open';
  const ratio = point?.versions[v.version]?.errorRatio;
  if (ratio !== null && ratio !== undefined && ratio > 0.05) return `${fmtPct(ratio, 1)} of requests failing`;
  return null;
}

function burn(m, window) {
  const a = m.slo?.find((s) => s.kind === 'availability');
  return a ? a.burnRates[window] : null;
}

function Row({ m, v, bounds, point }) {
  const reason = failingReason(m, v, point);
  const p = (q) => histogramQuantile(q, bounds, v.latency.buckets);
  const ratio = point?.versions[v.version]?.errorRatio;
  return html`<tr class=${reason ? 'failing' : ''} data-model=${m.name} data-version=${v.version}>
    <td>${m.name}</td>
    <td>${v.version}</td>
    <td>${v.state}</td>
    <td class="num" data-field="version-share" data-value=${v.share}>${fmtNum(v.share)}%</td>
    <td class="num" data-field="version-requests" data-value=${requestsOf(v)}>${fmtInt(requestsOf(v))}</td>
    <td class="num" data-field="version-errors" data-value=${errorsOf(v)}>${fmtInt(errorsOf(v))}</td>
    <td class="num">${fmtPct(ratio, 1)}</td>
    <td class="num" data-field="version-p50" data-value=${p(0.5)}>${fmtMs(p(0.5))}</td>
    <td class="num" data-field="version-p99" data-value=${p(0.99)}>${fmtMs(p(0.99))}</td>
    <td class="num" data-field="version-inflight" data-value=${v.inflight}>
      ${fmtInt(v.inflight)}${v.limit === null ? '' : ` / ${fmtInt(v.limit)}`}
    </td>
    <td class="num" data-field="version-shed" data-value=${v.shed}>${fmtInt(v.shed)}</td>
    <td data-field="version-breaker" data-value=${v.breaker}>${BREAKER[v.breaker] ?? v.breaker}</td>
    <td class="num">${fmtNum(burn(m, '5m'))} / ${fmtNum(burn(m, '1h'))}</td>
    <td>${reason ?? ''}</td>
  </tr>`;
}

export function Changes({ events, limit = 15 }) {
  const recent = events.slice(-limit).reverse();
  return html`<ul class="events" data-testid="changes">
    ${recent.length ? null : html`<li class="muted">nothing changed since the server started</li>`}
    ${recent.map(
      (e) =>
        html`<li class=${`ev ${e.type}`} data-type=${e.type}>
          <time>${new Date(e.time).toLocaleTimeString()}</time
          >${' '}<b>${e.model}</b>${` ${e.type.replace(/_/g, ' ')}: ${e.message}`}
        </li>`,
    )}
  </ul>`;
}

export function OnCall({ snap, hello, history, events }) {
  const pts = history.total;
  const times = pts.map((p) => p.at);
  const failing = [];
  for (const m of snap.models) {
    const point = history.of(m.name).at(-1);
    for (const v of m.versions) {
      const reason = failingReason(m, v, point);
      if (reason) failing.push({ m, v, reason });
    }
  }
  const firing = snap.models.flatMap((m) => (m.slo ?? []).flatMap((s) => s.firing.map((a) => `${m.name}: ${a}`)));
  return html`<section class="view" data-testid="oncall">
    <div class="split">
      <div>
        <h3>Failing now</h3>
        <ul class="failing" data-testid="failing">
          ${failing.length ? null : html`<li class="ok">no version is failing</li>`}
          ${failing.map(({ m, v, reason }) => html`<li><b>${m.name}</b> v${v.version}: ${reason}</li>`)}
          ${firing.map((f) => html`<li class="alert">burn-rate alert ${f}</li>`)}
        </ul>
        <h3>What changed</h3>
        <${Changes} events=${events} />
      </div>
      <div class="charts">
        <${Chart}
          title="Latency percentiles (all models)"
          times=${times}
          series=${[
            { label: 'p50', values: pts.map((p) => p.p50) },
            { label: 'p95', values: pts.map((p) => p.p95) },
            { label: 'p99', values: pts.map((p) => p.p99) },
          ]}
          markers=${events}
          format=${fmtMs}
        />
        <${Chart}
          title="Error ratio"
          times=${times}
          series=${[{ label: 'errors', values: pts.map((p) => p.errorRatio) }]}
          markers=${events}
          format=${(v) => fmtPct(v, 1)}
        />
        <${Chart}
          title="Saturation: in flight, shed per second"
          times=${times}
          series=${[
            { label: 'in flight', values: pts.map((p) => p.inflight) },
            { label: 'shed/s', values: pts.map((p) => p.shedRate) },
          ]}
          markers=${events}
        />
      </div>
    </div>
    <table class="grid" data-testid="oncall-table">
      <thead>
        <tr>
          <th>model</th>
          <th>version</th>
          <th>state</th>
          <th>share</th>
          <th>requests</th>
          <th>errors</th>
          <th>errors now</th>
          <th>p50</th>
          <th>p99</th>
          <th>in flight</th>
          <th>shed</th>
          <th>breaker</th>
          <th>burn 5m / 1h</th>
          <th>failing</th>
        </tr>
      </thead>
      <tbody>
        ${snap.models.flatMap((m) =>
          m.versions.map(
            (v) => html`<${Row} m=${m} v=${v} bounds=${hello.bounds} point=${history.of(m.name).at(-1)} />`,
          ),
        )}
      </tbody>
    </table>
    <p class="muted">
      ${'Process: '}<span data-field="process-inflight" data-value=${snap.process.inflight}
        >${fmtInt(snap.process.inflight)}</span
      >${' in flight, '}
      <span data-field="process-faults" data-value=${snap.process.faults}>${fmtInt(snap.process.faults)}</span>
      ${` faults, ${fmtNum(snap.process.cpuSeconds)} CPU s since start. Percentiles in the table are since the version loaded; the charts show each interval. Requests per second now: ${fmtRate(pts.at(-1)?.rps)}.`}
    </p>
  </section>`;
}
