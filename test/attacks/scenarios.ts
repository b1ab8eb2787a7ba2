/** Every attack scenario the watchdog runs, one or more per defence of SECURITY.md. */
import type { AttackScenario } from './attack.js';
import { scenarios as badRow } from './bad-row-attack.js';
import { bigBodiesScenarios } from './big-bodies-attack.js';
import { identityAttacks } from './identity-attack.js';
import { INTEGRITY_ATTACKS } from './integrity-attack.js';
import { scenarios as metrics } from './metrics-attack.js';
import { scenarios as phantomModels } from './phantom-models-attack.js';
import { QUALITY_ATTACK } from './quality-attack.js';
import { slowClientsScenarios } from './slow-clients-attack.js';

export const SCENARIOS: readonly AttackScenario[] = [
  ...metrics, // 1. made-up model names, then scrapes
  QUALITY_ATTACK, // 2. quality reports over 100,000 labels
  ...INTEGRITY_ATTACKS, // 3. tampering with a signed model folder while it is polled
  ...slowClientsScenarios, // 4 and 6. slow clients; an unauthenticated 60 MiB gRPC message
  ...bigBodiesScenarios, // 5. big bodies
  ...badRow, // 7. bad rows in batches
  ...phantomModels, // 8. loads of made-up names
  ...identityAttacks, // 10 and 11. huge ids and timeouts, spoofed callers
];
