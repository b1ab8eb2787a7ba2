// Operator actions: the API's own routes (the server records each as the API does: an event, the rollout store),
// after a confirmation. Without the admin scope the server answers 403 and the page says so.
import { html } from './html.js';
import { useState } from 'preact/hooks';
import { api } from './api.js';

const enc = encodeURIComponent;

/** A button that asks first, then calls the API and shows what it answered. */
function ActionButton({ label, question, call, testid, kind = '' }) {
  const [state, setState] = useState({ busy: false, message: '' });
  const run = async () => {
    if (!window.confirm(question)) return;
    setState({ busy: true, message: '' });
    const r = await call();
    setState({ busy: false, message: r.ok ? 'done' : `refused: ${r.error}`, ok: r.ok });
  };
  return html`<span class="action">
    <button class=${kind} data-testid=${testid} disabled=${state.busy} onClick=${run}>${label}</button>
    ${
      state.message
        ? html`<span class=${state.ok ? 'ok' : 'error'} data-testid=${`${testid}-result`}>${state.message}</span>`
        : null
    }
  </span>`;
}

const ACTIONS = {
  progressing: ['pause', 'promote', 'abort'],
  paused: ['resume', 'promote', 'abort'],
};

export function RolloutActions({ model, rollout }) {
  const allowed = ACTIONS[rollout.status] ?? [];
  if (!allowed.length) return null;
  return html`<div class="actions" data-testid="rollout-actions">
    ${allowed.map(
      (a) =>
        html`<${ActionButton}
          label=${a}
          kind=${a === 'abort' ? 'danger' : ''}
          testid=${`rollout-${a}`}
          question=${`${a} rollout ${rollout.id} of ${model} (candidate v${rollout.candidate})?`}
          call=${() => api('POST', `/v1/models/${enc(model)}/rollouts/${enc(rollout.id)}/${a}`)}
        />`,
    )}
  </div>`;
}

export function WeightsEditor({ model, versions }) {
  const ready = versions.filter((v) => v.state === 'READY');
  const [weights, setWeights] = useState(() => Object.fromEntries(ready.map((v) => [v.version, v.share])));
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
    />
  </div>`;
}

export function RepositoryActions({ model, mode }) {
  if (mode !== 'explicit') return html`<p class="muted">Load and unload need model_control_mode: explicit.</p>`;
  return html`<div class="actions" data-testid="repository-actions">
    <${ActionButton}
      label="load"
      testid="model-load"
      question=${`load (or reload) ${model}?`}
      call=${() => api('POST', `/v2/repository/models/${enc(model)}/load`)}
    />
    <${ActionButton}
      label="unload"
      kind="danger"
      testid="model-unload"
      question=${`unload ${model}? It stops answering.`}
      call=${() => api('POST', `/v2/repository/models/${enc(model)}/unload`)}
    />
  </div>`;
}
