/** Shadow traffic tests' shared set-up: digits version 1 serving, a candidate as version 2 shadowing every request. */
import { startTestServer } from '../helpers/server.js';
import { MODELS, tempRepo } from '../lifecycle/lifecycle-helpers.js';

/** The `shadow` part of GET /v1/models/digits/traffic. */
export interface ShadowView {
  shadow: {
    version: number;
    sample_rate: number;
    mirrored: number;
    dropped: number;
    errors: number;
    rows_compared: number;
    agreement: number | null;
  } | null;
}

/** Runs `run` against a server whose digits serves version 1 and mirrors every request to `candidate` (version 2). */
export async function withShadow(
  candidate: string,
  run: (url: string, metricsUrl: string) => Promise<void>,
): Promise<void> {
  const config = 'version_policy: all\ntraffic: { weights: { 1: 100 }, shadow: { version: 2, sample_rate: 1 } }\n';
  const repo = tempRepo({ digits: { versions: { 1: MODELS.digits, 2: candidate }, config } });
  const server = await startTestServer({ repository: repo.dir });
  try {
    await run(server.url, server.metricsUrl!);
  } finally {
    await server.close();
    repo.cleanup();
  }
}
