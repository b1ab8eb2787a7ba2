/**
 * One Prometheus text exposition for the whole server from each process's own: every series present in any
 * process, with the values added up. Counters, histograms (buckets, `_sum`, `_count`) and additive gauges (in
 * flight, open connections, buffered bytes, memory) are sums, exact for the integer counts that make up almost all
 * of them; other gauges (states, ratios, weights, versions, lag) take the largest value, since adding a breaker
 * state or a traffic weight across processes means nothing. Pure: text in, text out.
 */
import { valueText } from '../telemetry/render-metrics.js';

/** Gauges whose whole-server value is the sum over processes (the rest take the maximum). */
const ADDITIVE_GAUGE =
  /(inflight|in_flight|open_connections|buffered|window_rows|concurrency_limit|queue|_bytes$|_records$|open_fds|active_handles|active_requests|active_resources|_leader$)/;

interface FamilySum {
  help?: string;
  type?: string;
  readonly samples: Map<string, number>;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** How a family's samples combine: 'sum' or 'max'. */
function combination(name: string, type: string | undefined, sampleKey: string): 'sum' | 'max' {
  if (type === 'counter' || type === 'histogram') return 'sum';
  if (type === 'summary') return sampleKey.includes('quantile="') ? 'max' : 'sum';
  return ADDITIVE_GAUGE.test(name) ? 'sum' : 'max';
}

/** Sums expositions (the text format, without timestamps) into one; families and series keep first-seen order. */
export function sumExpositions(texts: readonly string[]): string {
  const families = new Map<string, FamilySum>();
  const familyOf = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: new Map() }));
    return f;
  };
  for (const text of texts) {
    let current: FamilySum | undefined;
    let currentName = '';
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('# HELP ')) {
        const rest = line.slice(7);
        const space = rest.indexOf(' ');
        currentName = space < 0 ? rest : rest.slice(0, space);
        current = familyOf(currentName);
        current.help ??= space < 0 ? '' : rest.slice(space + 1);
        continue;
      }
      if (line.startsWith('# TYPE ')) {
        const [name, type] = line.slice(7).split(' ');
        currentName = name;
        current = familyOf(name);
        current.type ??= type;
        continue;
      }
      if (line.startsWith('#')) continue;
      const space = line.lastIndexOf(' ');
      if (space < 0) continue;
      const key = line.slice(0, space);
      const value = parseValue(line.slice(space + 1));
      const family = current ?? familyOf(key.split('{')[0]);
      const before = family.samples.get(key);
      if (before === undefined) family.samples.set(key, value);
      else
        family.samples.set(
          key,
          combination(currentName, family.type, key) === 'sum' ? before + value : Math.max(before, value),
        );
    }
  }
  const out: string[] = [];
  for (const [name, f] of families) {
    if (f.help !== undefined) out.push(`# HELP ${name} ${f.help}`);
    if (f.type !== undefined) out.push(`# TYPE ${name} ${f.type}`);
    for (const [key, value] of f.samples) out.push(`${key} ${valueText(value)}`);
    out.push('');
  }
  return out.join('\n');
}
