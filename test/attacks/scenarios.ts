/** Every attack scenario the watchdog runs, one per defence. */
import type { AttackScenario } from './attack.js';

export const SCENARIOS: readonly AttackScenario[] = [];
