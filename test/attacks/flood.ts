/**
 * A flood described as data: the requests an attack sends, how many and how many at once, run by a child process
 * (flood-attacker.ts) so that the attacking client's own work (encoding bodies, opening connections, decoding
 * answers) does not count against the server's event loop that the watchdog's probe measures.
 *
 * A plan is a list of steps run one after another; the floods of a step run at the same time. Each flood sends
 * `count` requests, at most `concurrency` at a time, request i being `requests[i % requests.length]`; the answers
 * come back counted by the flood's label and status ('200', '400', ... over HTTP; 'OK', 'NOT_FOUND', ... over gRPC;
 * 'error' for a connection cut before any answer).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * A body: the text itself, or one built in the attacker from a repeated piece (`before`, then `piece` `times` times
 * joined by `separator`, then `after`), so that a 16 MiB body is described in a few bytes.
 */
export type BodySpec =
  | string
  | {
      readonly before?: string;
      readonly piece: string;
      readonly times: number;
      readonly separator?: string;
      readonly after?: string;
    };

export interface HttpRequestSpec {
  /** Default POST. */
  readonly method?: 'GET' | 'POST';
  /** e.g. '/v2/models/digits/infer' */
  readonly path: string;
  /** Sent as they are; content-type defaults to application/json when there is a body. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: BodySpec;
  /** Counted under this label instead of the flood's (e.g. the readiness checks among loads). */
  readonly label?: string;
}

export interface HttpFlood {
  readonly kind: 'http';
  readonly label: string;
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly requests: readonly HttpRequestSpec[];
  readonly count: number;
  readonly concurrency: number;
  /** Reuse connections (default true); false opens one per request, for answers that close it. */
  readonly keepAlive?: boolean;
}

export interface GrpcFlood {
  readonly kind: 'grpc';
  readonly label: string;
  /** host:port */
  readonly target: string;
  /** A unary RPC of inference.GRPCInferenceService, e.g. 'ModelInfer'. */
  readonly method: string;
  /** Request messages (as @grpc/proto-loader objects), cycled by index. */
  readonly requests: readonly object[];
  /** Sent with every call, e.g. credentials. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly count: number;
  readonly concurrency: number;
}

export type Flood = HttpFlood | GrpcFlood;

/** Steps run in order; the floods of one step run together. */
export type FloodPlan = readonly (readonly Flood[])[];

/** Answers counted by label, then by status. */
export type FloodCounts = Record<string, Record<string, number>>;

const ATTACKER = fileURLToPath(new URL('./flood-attacker.js', import.meta.url));

/** Runs `plan` in a child process to its end; resolves with the answers counted. */
export function flood(plan: FloodPlan): Promise<FloodCounts> {
  return new Promise((resolve, reject) => {
    const child = fork(ATTACKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let counts: FloodCounts | undefined;
    child.on('message', (m) => (counts = (m as { counts: FloodCounts }).counts));
    child.once('error', reject);
    child.once('exit', (code) =>
      counts
        ? resolve(counts)
        : reject(new Error(`the flood attacker exited with ${code} without counting its answers`)),
    );
    child.send({ plan });
  });
}

/** The count of `status` under `label` (0 when none). */
export function countOf(counts: FloodCounts, label: string, status: string): number {
  return counts[label]?.[status] ?? 0;
}

/** Statuses under `label` other than `expected`, as 'status×n' (for an error message); empty when none. */
export function unexpected(counts: FloodCounts, label: string, expected: readonly string[]): string[] {
  return Object.entries(counts[label] ?? {})
    .filter(([s]) => !expected.includes(s))
    .map(([s, n]) => `${s}×${n}`);
}

/** The counts as one line, e.g. 'load: 400×3000; ready: 200×61'. */
export function describeCounts(counts: FloodCounts): string {
  return Object.entries(counts)
    .map(
      ([label, byStatus]) =>
        `${label}: ${Object.entries(byStatus)
          .map(([s, n]) => `${s}×${n}`)
          .join(', ')}`,
    )
    .join('; ');
}

/** Throws, naming `attack`, when the answers under `label` were other than `expected`. */
export function expectOnly(attack: string, counts: FloodCounts, label: string, expected: readonly string[]): void {
  const odd = unexpected(counts, label, expected);
  if (odd.length)
    throw new Error(`${attack}: ${label} answered ${odd.join(', ')} (expected only ${expected.join(', ')})`);
}
