/** The response cache serves no stale answer across 100 swaps and rollbacks and 100 traffic flips under load. */
import { test } from 'node:test';
import { staleAnswersUnderSwaps } from './cache-swaps.js';

test('0 stale answers across 100 swaps and rollbacks and 100 traffic flips under load', () =>
  staleAnswersUnderSwaps(100));
