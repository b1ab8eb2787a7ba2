/** Reads one Prometheus sample family from a running server's /metrics. */
import type { RunningServer } from '../../src/index.js';

/** The sum of the samples of `name` whose labels include `labels` (0 when none). */
export async function metricValue(
  server: RunningServer,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(server.metricsUrl!)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
