// The dashboard page: one Server-Sent Events stream (`<base>/stream`) feeds the three views. The stream's hello
// carries the latency buckets, the model-control mode and recent events; each snapshot carries every model's
// figures and the events since the previous one. 15 minutes of figures are kept in the browser (history.js).
import { render } from 'preact';
import { signal } from '@preact/signals';
import { html } from './html.js';
import { History, KEEP_MS } from './history.js';
import { Executive } from './executive.js';
import { OnCall } from './oncall.js';
import { Debug } from './debug.js';

const base = document.body.dataset.base;
const EVENTS_KEPT = 500;

const hello = signal(null);
const snapshot = signal(null);
const connection = signal('connecting');
const route = signal(parseHash());
let history = null;
let events = [];

/** What tests and benchmarks read: when the first snapshot was drawn, how many arrived, the last one's id. */
const status = (window.__inferd = { firstRenderMs: null, snapshots: 0, lastId: null, renderedId: null });

function parseHash() {
  const [view, model] = location.hash.replace(/^#/, '').split('/');
  return {
    view: ['executive', 'oncall', 'debug'].includes(view) ? view : 'executive',
    model: model ? decodeURIComponent(model) : null,
  };
}
window.addEventListener('hashchange', () => (route.value = parseHash()));

function keepEvents(list) {
  const cutoff = Date.now() - KEEP_MS;
  events = list.filter((e) => Date.parse(e.time) >= cutoff || list.length - list.indexOf(e) <= 50).slice(-EVENTS_KEPT);
}

const stream = new EventSource(`${base}/stream`);
stream.addEventListener('hello', (e) => {
  const h = JSON.parse(e.data);
  history = new History(h.bounds);
  keepEvents(h.events);
  hello.value = h;
});
stream.addEventListener('snapshot', (e) => {
  const s = JSON.parse(e.data);
  history?.add(s);
  if (s.events.length) keepEvents([...events, ...s.events]);
  status.snapshots++;
  status.lastId = s.id;
  connection.value = 'live';
  snapshot.value = s;
});
stream.onerror = () => (connection.value = stream.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');

const VIEWS = [
  ['executive', 'Executive'],
  ['oncall', 'On-call'],
  ['debug', 'Debug'],
];

function App() {
  const s = snapshot.value;
  const h = hello.value;
  const r = route.value;
  const props = { snap: s, hello: h, history, events, model: r.model };
  return html`<header>
      <h1>inferd</h1>
      <nav>
        ${VIEWS.map(
          ([id, label]) =>
            html`<a href=${`#${id}`} class=${r.view === id ? 'active' : ''} data-testid=${`nav-${id}`}>${label}</a>`,
        )}
      </nav>
      <span class=${`conn ${connection.value}`} data-testid="connection">${connection.value}</span>
      <span class="muted" data-testid="snapshot-id" data-value=${s?.id}
        >${s ? `snapshot ${s.id} · ${new Date(s.at).toLocaleTimeString()}` : ''}</span
      >
    </header>
    <main>
      ${
        !s || !h
          ? html`<p class="muted">waiting for the first snapshot…</p>`
          : r.view === 'oncall'
            ? html`<${OnCall} ...${props} />`
            : r.view === 'debug'
              ? html`<${Debug} ...${props} />`
              : html`<${Executive} ...${props} />`
      }
    </main>`;
}

render(html`<${App} />`, document.getElementById('root'));

// After each render: note the snapshot drawn (and the first one's time since navigation started).
snapshot.subscribe((s) => {
  if (!s) return;
  requestAnimationFrame(() => {
    status.renderedId = s.id;
    document.body.dataset.snapshot = String(s.id);
    status.firstRenderMs ??= performance.now();
  });
});
