/**
 * The quick fuzz run inside `npm test`: every decoder property over a few hundred generated cases each (a few
 * thousand in all). `npm run fuzz` runs the same properties over 100,000+ cases.
 */
import { describe, it } from 'node:test';
import { newTally } from './decode-check.js';
import { DECODER_PROPERTIES } from './decoder-properties.js';

/** Cases per unit of weight: the hostile properties (weight 4) get 4x as many as the well-formed ones. */
const RUNS_PER_WEIGHT = Number(process.env.FUZZ_QUICK_RUNS ?? 100);

describe('decoder fuzzing (quick run)', () => {
  for (const p of DECODER_PROPERTIES) {
    it(p.name, (t) => {
      const tally = newTally();
      const started = performance.now();
      p.run(RUNS_PER_WEIGHT * p.weight, tally);
      t.diagnostic(
        `${tally.cases} cases (${tally.decoded} decoded, ${tally.refused} refused with a 4xx) in ${Math.round(performance.now() - started)} ms; slowest ${tally.slowestMs.toFixed(1)} ms; largest buffer growth ${(tally.largestGrowthBytes / 1024).toFixed(0)} KiB`,
      );
    });
  }
});
