/** The response cache serves no stale answer across swaps, rollbacks and traffic flips under load (the short run). */
import { test } from 'node:test';
import { staleAnswersUnderSwaps } from './cache-swaps.js';

test('0 stale answers across 4 swaps and rollbacks and 4 traffic flips under load', () => staleAnswersUnderSwaps(4));
