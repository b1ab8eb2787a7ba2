/**
 * An attack scenario: a hostile or careless client's traffic against a server configured for it. Each defence
 * has one; the event-loop watchdog (test/attacks/watchdog.slow.test.ts, and the attack benchmark) runs every scenario
 * while a probe client on another connection keeps sending a small inference, to show the server keeps answering.
 */

/** A small, valid request the watchdog sends on its own connection while the attack runs. */
export interface ProbeRequest {
  /** e.g. '/v2/models/digits/infer' */
  readonly path: string;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A server started for one attack, with the attack ready to be launched against it. */
export interface AttackSetup {
  /** Base URL of the server's HTTP port, e.g. http://127.0.0.1:41234 */
  readonly httpUrl: string;
  /** The request the watchdog sends while the attack runs; it must answer 200. */
  readonly probe: ProbeRequest;
  /**
   * Runs the attack to its end (refused, timed out, answered or cut off) and resolves then. It must stop by itself
   * in bounded time and must not throw because the server refused it: refusal is the expected defence. It may
   * resolve with a line saying what its requests got (e.g. 'v1: 413×400'), shown in the watchdog's report.
   */
  run(): Promise<string | void>;
  /** Stops the server and removes what setup made. Safe to call once after run() settles. */
  close(): Promise<void>;
}

export interface AttackScenario {
  /** Short name, e.g. 'unknown-model-metrics' */
  readonly name: string;
  /** Starts a server on 127.0.0.1 port 0, configured for this attack. */
  setup(): Promise<AttackSetup>;
}
