/**
 * `inferd traffic show|set MODEL`: a model's traffic policy on a running server (`GET` and `POST
 * /v1/models/{m}/traffic`). The server checks the weights (versions it has, percents summing to 100) and answers a
 * mistake with 400 and the reason.
 */
import { isVersionLabel } from '../config/version-label.js';
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP } from './admin-client.js';
import {
  clientOf,
  jsonText,
  parseCommandArgs,
  runCommand,
  STDIO,
  UsageError,
  type CommandIo,
} from './admin-command.js';
import { textTable } from './text-table.js';
import { versionLabel } from '../config/version-label.js';

export const TRAFFIC_HELP = `Usage: inferd traffic <command> MODEL [options]

Shows or sets how a model's requests that name no version are split among its versions.

Commands:
  show MODEL       the weights, the sticky parameter, the shadow, each version's state and share now
  set MODEL        change the policy (--weights and/or --sticky-parameter); refused while a rollout runs

Options of set:
  --weights LIST           percent per version, summing to 100: 1=90,2=10 ('none': the highest ready version
                           answers every request)
  --sticky-parameter NAME  the request parameter hashed to keep one caller on one version
${ADMIN_OPTIONS_HELP}

Exit codes: 0 done, 1 the server refused (its message is printed), 2 a mistake in the command line.

Examples:
  inferd traffic show digits
  inferd traffic set digits --weights 1=90,2=10
`;

const SET_OPTIONS = { weights: { type: 'string' }, 'sticky-parameter': { type: 'string' } } as const;

interface TrafficJson {
  readonly model: string;
  readonly weights: Record<string, number> | null;
  readonly sticky_parameter: string;
  readonly shadow: { version: number; sample_rate: number; mirrored: number; agreement: number | null } | null;
  readonly rollout: { id: string; status: string; candidate: number; weight: number } | null;
  readonly versions: ReadonlyArray<{ version: number; state: string; share: number; failed: boolean }>;
}

/** `1=90,2=10` as the API's weights object; `none` as null. */
export function parseWeights(text: string): Record<string, number> | null {
  if (text.trim() === 'none') return null;
  const entries = text.split(',').map((pair) => {
    const m = /^\s*(\d+)\s*=\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(pair);
    if (!m || !isVersionLabel(m[1]))
      throw new UsageError(`--weights takes VERSION=PERCENT pairs such as 1=90,2=10 (or 'none'), got '${pair.trim()}'`);
    return [m[1], Number(m[2])] as const;
  });
  const seen = new Set<string>();
  for (const [v] of entries) {
    if (seen.has(v)) throw new UsageError(`--weights names version ${v} twice`);
    seen.add(v);
  }
  return Object.fromEntries(entries);
}

const pct = (n: number) => `${Number.isInteger(n) ? n : n.toFixed(1)}%`;

/** The policy as text. */
export function trafficText(t: TrafficJson): string {
  const weights = t.weights
    ? Object.entries(t.weights)
        .map(([v, w]) => `${v}=${pct(w)}`)
        .join(', ')
    : 'none (the highest ready version answers)';
  const lines = [`model '${t.model}': weights ${weights}; sticky parameter '${t.sticky_parameter}'`];
  if (t.shadow)
    lines.push(
      `shadow: version ${t.shadow.version}, ${pct(100 * t.shadow.sample_rate)} of requests mirrored (${t.shadow.mirrored} so far)`,
    );
  if (t.rollout)
    lines.push(
      `rollout ${t.rollout.id} (${t.rollout.status}) controls the weights: ${pct(t.rollout.weight)} to version ${t.rollout.candidate}`,
    );
  const rows = t.versions.map((v) => [versionLabel(v.version), v.state, pct(v.share), v.failed ? 'rolled back' : '']);
  return `${lines.join('\n')}\n${textTable(['VERSION', 'STATE', 'SHARE', 'NOTE'], rows)}`;
}

/** `inferd traffic ...`: resolves with the exit code. */
export function trafficCommand(args: string[], io: CommandIo = STDIO): Promise<number> {
  return runCommand('traffic', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...ADMIN_OPTIONS, ...SET_OPTIONS },
      allowPositionals: true,
    });
    const [command, model, ...extra] = positionals;
    if (values.help || command === undefined) {
      (values.help ? io.out : io.err)(TRAFFIC_HELP);
      return values.help ? 0 : 2;
    }
    if (command !== 'show' && command !== 'set')
      throw new UsageError(`unknown command 'traffic ${command}': use show or set`);
    if (model === undefined)
      throw new UsageError(`'traffic ${command}' needs a model name, e.g. inferd traffic ${command} digits`);
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const path = `/v1/models/${encodeURIComponent(model)}/traffic`;
    const setFlag = Object.keys(SET_OPTIONS).find((k) => k in values);
    if (command === 'show' && setFlag) throw new UsageError(`--${setFlag} is an option of 'traffic set' only`);
    if (command === 'set' && !setFlag)
      throw new UsageError(`'traffic set' needs --weights LIST (e.g. 1=90,2=10) or --sticky-parameter NAME`);
    const body = {
      ...(values.weights === undefined ? {} : { weights: parseWeights(values.weights) }),
      ...(values['sticky-parameter'] === undefined ? {} : { sticky_parameter: values['sticky-parameter'] }),
    };
    const client = clientOf(values);
    const t = (command === 'show' ? await client.get(path) : await client.post(path, body)) as TrafficJson;
    io.out(values.json ? jsonText(t) : trafficText(t));
    return 0;
  });
}
