/** The shared RateStore cases against the in-process buckets. */
import { MemoryRateStore } from './rate-store.js';
import { rateStoreCases } from './rate-store.case.test.js';

rateStoreCases('memory', async () => {
  const store = new MemoryRateStore();
  return { store, cleanup: () => store.stop() };
});
