/**
 * Redaction: configured field paths (`inputs.<tensor>`, `outputs.<tensor>`, `parameters.<name>`) whose values must
 * never reach logs or the audit store in clear. A redacted value is replaced by the fixed marker REDACTED, not a
 * hash: the values worth redacting (SSNs, e-mail addresses, card numbers) are few enough to guess, so even a
 * salted hash gives them back to whoever holds the salt. Pure functions; no I/O.
 */

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

export type RedactSection = 'inputs' | 'outputs' | 'parameters';

/** Field names to redact, per section. */
export interface RedactionPolicy {
  readonly inputs: ReadonlySet<string>;
  readonly outputs: ReadonlySet<string>;
  readonly parameters: ReadonlySet<string>;
}

/**
 * Builds a policy from field paths (already validated by the config schema).
 * @example redactionPolicy(['inputs.ssn', 'parameters.api_key']).inputs.has('ssn') // true
 */
export function redactionPolicy(paths: readonly string[]): RedactionPolicy {
  const sets = { inputs: new Set<string>(), outputs: new Set<string>(), parameters: new Set<string>() };
  for (const path of paths) {
    const dot = path.indexOf('.');
    const section = path.slice(0, dot);
    if (section !== 'inputs' && section !== 'outputs' && section !== 'parameters') {
      throw new Error(`redaction path '${path}' must start with inputs., outputs. or parameters.`);
    }
    sets[section].add(path.slice(dot + 1));
  }
  return sets;
}

/** True when `name` in `section` must not appear in clear. */
export function isRedacted(policy: RedactionPolicy, section: RedactSection, name: string): boolean {
  return policy[section].has(name);
}

/** A copy of request parameters with redacted values replaced by the marker; undefined stays undefined. */
export function redactParameters(
  parameters: Readonly<Record<string, unknown>> | undefined,
  policy: RedactionPolicy,
): Record<string, unknown> | undefined {
  if (parameters === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parameters)) out[key] = policy.parameters.has(key) ? REDACTED : value;
  return out;
}

/** The shape of a request as far as logging cares. */
export interface LoggableRequest {
  readonly model: string;
  readonly version?: string;
  readonly id?: string;
  readonly inputs: ReadonlyArray<{
    readonly name: string;
    readonly datatype: string;
    readonly shape: readonly number[];
  }>;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/**
 * A log-safe summary of a request for the process logger: tensor names, datatypes and shapes (never their
 * data), and parameters with redacted values replaced.
 * @example logger.debug({ request: logSafeRequest(request, policy) }, 'inference request');
 */
export function logSafeRequest(request: LoggableRequest, policy: RedactionPolicy): Record<string, unknown> {
  return {
    model: request.model,
    version: request.version,
    id: request.id,
    inputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
    parameters: redactParameters(request.parameters, policy),
  };
}

/**
 * Paths for pino's `redact` option, for log lines that carry parameters or inputs keyed by name, at the top level
 * or one object down (e.g. `{ request: { parameters: {...} } }`).
 * @example pino({ redact: { paths: pinoRedactPaths(policy), censor: REDACTED } })
 */
export function pinoRedactPaths(policy: RedactionPolicy): string[] {
  const paths: string[] = [];
  for (const section of ['inputs', 'outputs', 'parameters'] as const) {
    for (const name of policy[section]) {
      const key = `${section}[${JSON.stringify(name)}]`;
      paths.push(key, `*.${key}`);
    }
  }
  return paths;
}
