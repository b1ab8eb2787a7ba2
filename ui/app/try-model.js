// "Try a model": a form built from the model's metadata (GET /v2/models/{m}) that sends a V2 request and shows
// the answer, its latency and the version that answered; for tree models (their metadata names feature_names),
// the TreeSHAP contributions asked for with parameters.explain, as bars.
import { html } from './html.js';
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { Bars } from './charts.js';

const enc = encodeURIComponent;

/** Elements of one row of an input: its shape without the batch dimension. */
function rowSize(input) {
  const dims = input.shape.slice(1);
  return dims.reduce((n, d) => n * (d < 0 ? 1 : d), 1);
}

/** A tree model's feature names (metadata parameters.feature_names: comma-separated), or null. */
function featureNames(meta) {
  const names = meta?.parameters?.feature_names;
  if (Array.isArray(names)) return names;
  return typeof names === 'string' && names ? names.split(',') : null;
}

/** Whether the model answers TreeSHAP contributions when asked (its metadata lists the output). */
const explains = (meta) => meta.outputs.some((o) => o.name === 'treeshap_output');

function requestOf(meta, values, explain) {
  const inputs = meta.inputs.map((input) => {
    const text = values[input.name] ?? '';
    const data = text
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    return {
      name: input.name,
      datatype: input.datatype,
      shape: [1, ...input.shape.slice(1).map((d) => (d < 0 ? data.length : d))],
      data,
    };
  });
  return { inputs, ...(explain ? { parameters: { explain: true } } : {}) };
}

function contributions(answer, names) {
  const out = answer?.outputs?.find((o) => o.name === 'treeshap_output');
  if (!out) return null;
  const per = out.shape.at(-1);
  const row = out.data.slice(0, per); // the first class of a multiclass model
  return row.map((value, i) => ({ label: i < names.length ? names[i] : 'bias', value }));
}

function Answer({ result, names }) {
  if (!result) return null;
  if (!result.ok) return html`<p class="error" data-testid="try-error">${result.error}</p>`;
  const body = result.body;
  const shap = contributions(body, names ?? []);
  return html`<div class="answer" data-testid="try-answer">
    <p>
      ${'version '}<b data-testid="try-version">${body.model_version}</b>${' answered in '}
      <b data-testid="try-latency">${result.ms.toFixed(1)} ms</b>${' (round trip from this page)'}
    </p>
    <table class="grid small">
      ${body.outputs
        .filter((o) => o.name !== 'treeshap_output')
        .map(
          (o) =>
            html`<tr>
              <td>${o.name}</td>
              <td class="mono" data-testid=${`try-output-${o.name}`}>
                ${o.data
                  .slice(0, 20)
                  .map((x) => (typeof x === 'number' ? Number(x.toPrecision(4)) : x))
                  .join(', ')}
              </td>
            </tr>`,
        )}
    </table>
    ${
      shap
        ? html`<h4>TreeSHAP contributions</h4>
            <${Bars} rows=${shap} testid="try-shap" />`
        : null
    }
  </div>`;
}

export function TryModel({ model }) {
  const [meta, setMeta] = useState(null);
  const [values, setValues] = useState({});
  const [result, setResult] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setMeta(null);
    setResult(null);
    api('GET', `/v2/models/${enc(model)}`).then((r) => {
      if (!r.ok) return setError(r.error);
      setMeta(r.body);
      setValues(Object.fromEntries(r.body.inputs.map((i) => [i.name, new Array(rowSize(i)).fill(0).join(', ')])));
    });
  }, [model]);
  if (error) return html`<p class="error">${error}</p>`;
  if (!meta) return html`<p class="muted">reading the model's metadata…</p>`;
  const names = featureNames(meta);
  const send = async (e) => {
    e.preventDefault();
    setResult(await api('POST', `/v2/models/${enc(model)}/infer`, requestOf(meta, values, explains(meta))));
  };
  return html`<form class="try" data-testid="try-form" onSubmit=${send}>
    ${meta.inputs.map(
      (input) =>
        html`<label class="try-input">
          <span>${input.name} <span class="muted">${input.datatype} [${input.shape.join(', ')}]</span></span>
          ${
            names && rowSize(input) === names.length ? html`<span class="muted small">${names.join(', ')}</span>` : null
          }
          <textarea
            rows="2"
            data-testid=${`try-input-${input.name}`}
            value=${values[input.name]}
            onInput=${(e) => setValues({ ...values, [input.name]: e.currentTarget.value })}
          ></textarea>
        </label>`,
    )}
    <button type="submit" data-testid="try-send">send</button>
    <${Answer} result=${result} names=${names} />
  </form>`;
}
