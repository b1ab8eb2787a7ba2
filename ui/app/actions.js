// Operator actions: the API's own routes (the server records each as the API does: an event, the rollout store),
// after a confirmation. Without the admin scope the server answers 403 and the page says so.
import { html } from './html.js';
import { useState } from 'preact/hooks';
import { api } from './api.js';

const enc = encodeURIComponent;

/**
 * A button that asks first, then calls the API and hands what it answered to `onResult` (the group shows it:
 * a button may be gone once the action changed what the page shows).
 */
function ActionButton({ label, question, call, testid, onResult, kind = '' }) {
  const [busy, setBusy] = useState(false);
  const run = async () => {
    if (!window.confirm(question)) return;
    setBusy(true);
    const r = await call();
    setBusy(false);
    onResult({ label, ok: r.ok, message: r.ok ? 'done' : `refused: ${r.error}` });
  };
  return html`<button class=${kind} data-testid=${testid} disabled=${busy} onClick=${run}>${label}</button>`;
}

/** The outcome of a group's last action. */
function Result({ result, testid }) {
  if (!result) return null;
  return html`<span class=${result.ok ? 'ok' : 'error'} data-testid=${testid}
    >${`${result.label}: ${result.message}`}</span
  >`;
}

const ACTIONS = {
  progressing: ['pause', 'promote', 'abort'],
  paused: ['resume', 'promote', 'abort'],
};

export function RolloutActions({ model, rollout }) {
  const [result, setResult] = useState(null);
  const allowed = ACTIONS[rollout.status] ?? [];
  return html`<div class="actions" data-testid="rollout-actions">
    ${allowed.map(
      (a) =>
        html`<${ActionButton}
          label=${a}
          kind=${a === 'abort' ? 'danger' : ''}
          testid=${`rollout-${a}`}
          question=${`${a} rollout ${rollout.id} of ${model} (candidate v${rollout.candidate})?`}
          call=${() => api('POST', `/v1/models/${enc(model)}/rollouts/${enc(rollout.id)}/${a}`)}
          onResult=${setResult}
        />`,
    )}
    <${Result} result=${result} testid="rollout-result" />
  </div>`;
}

export function WeightsEditor({ model, versions }) {
  const ready = versions.filter((v) => v.state === 'READY');
  const [weights, setWeights] = useState(() => Object.fromEntries(ready.map((v) => [v.version, v.share])));
  const [result, setResult] = useState(null);
  if (ready.length < 2) return null;
  const body = () => ({
    weights: Object.fromEntries(ready.map((v) => [v.version, Number(weights[v.version] ?? 0)])),
  });
  return html`<div class="weights" data-testid="weights">
    ${ready.map(
      (v) =>
        html`<label
          >v${v.version}
          <input
            type="number"
            min="0"
            max="100"
            data-testid=${`weight-${v.version}`}
            value=${weights[v.version] ?? 0}
            onInput=${(e) => setWeights({ ...weights, [v.version]: e.currentTarget.value })}
        /></label>`,
    )}
    <${ActionButton}
      label="set weights"
      testid="set-weights"
      question=${`set the weights of ${model} to ${JSON.stringify(body().weights)}?`}
      call=${() => api('POST', `/v1/models/${enc(model)}/traffic`, body())}
      onResult=${setResult}
    />
    <${Result} result=${result} testid="weights-result" />
  </div>`;
}

export function RepositoryActions({ model, mode }) {
  const [result, setResult] = useState(null);
  if (mode !== 'explicit') return html`<p class="muted">Load and unload need model_control_mode: explicit.</p>`;
  return html`<div class="actions" data-testid="repository-actions">
    <${ActionButton}
      label="load"
      testid="model-load"
      question=${`load (or reload) ${model}?`}
      call=${() => api('POST', `/v2/repository/models/${enc(model)}/load`)}
      onResult=${setResult}
    />
    <${ActionButton}
      label="unload"
      kind="danger"
      testid="model-unload"
      question=${`unload ${model}? It stops answering.`}
      call=${() => api('POST', `/v2/repository/models/${enc(model)}/unload`)}
      onResult=${setResult}
    />
    <${Result} result=${result} testid="repository-result" />
  </div>`;
}
