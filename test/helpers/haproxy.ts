/** haproxy (Debian package) for the local-cluster suite: skipped loudly when missing, an error under INFERD_CI=1. */
import { existsSync } from 'node:fs';
import { HAPROXY } from '../../bench/cluster/haproxy.js';
import { WRK } from '../../bench/wrk.js';

/** False when haproxy and wrk are installed; else the reason to skip, said loudly (under INFERD_CI=1, an error). */
export function clusterToolsSkipReason(what: string): false | string {
  const missing = [
    existsSync(HAPROXY) ? undefined : `${HAPROXY} (apt-get install -y haproxy)`,
    existsSync(WRK) ? undefined : `${WRK} (apt-get install -y wrk)`,
  ].filter((m) => m !== undefined);
  if (missing.length === 0) return false;
  const message = `${missing.join(' and ')} not installed; ${what} needs them`;
  if (process.env.INFERD_CI === '1') throw new Error(`INFERD_CI=1: ${message}`);
  process.stderr.write(`\n!!! SKIPPING ${what}: ${message} !!!\n\n`);
  return message;
}
