/**
 * The shared RolloutStore cases against PostgreSQL (a schema per case, dropped after), and what is particular to a
 * store several replicas share: numbering in commit order, the change feed, no echo of a replica's own changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rolloutStoreCases, sampleRollout } from '../../src/routing/rollout-store.case.test.js';
import type { RemoteChanges } from '../../src/routing/rollout-store.js';
import type { RoutingEvent } from '../../src/routing/event-log.js';
import { waitFor } from '../helpers/wait-for.js';
import { openStateStore, testPostgres, type TestPostgres } from './state-postgres.js';

const pg = await testPostgres();

if (typeof pg !== 'string') {
  const schemaOf = (name: string) => pg.schema(`_${name.replace(/[^A-Za-z0-9_]/g, '_')}`);
  rolloutStoreCases('postgres', {
    open: (name) => openStateStore(schemaOf(name)),
    // The client and the schemas go with the last suite below.
    cleanup: async () => undefined,
  });
  sharedStoreCases(pg);
}

const event = (seq: number, model = 'digits'): RoutingEvent => ({
  seq,
  time: new Date(seq * 1000).toISOString(),
  model,
  type: 'traffic_changed',
  message: `event ${seq}`,
});

function sharedStoreCases(pg: TestPostgres): void {
  describe('RolloutStore: postgres, shared by replicas', () => {
    after(() => pg.cleanup());
    let schema: string;
    before(() => (schema = pg.schema('_shared')));

    it('numbers the events of two replicas in one sequence, in commit order', async () => {
      const a = await openStateStore(schema);
      const b = await openStateStore(schema);
      try {
        // Both number their own events from 1: the store gives each its place in the shared order.
        await a.saveEvent(event(1));
        await b.saveEvent(event(1));
        await a.saveEvent(event(2));
        const { events } = await a.load(10);
        assert.deepEqual(
          events.map((e) => e.message),
          ['event 1', 'event 1', 'event 2'],
        );
        const seqs = events.map((e) => e.seq);
        assert.deepEqual(
          seqs,
          [...seqs].sort((x, y) => x - y),
        );
        assert.equal(new Set(seqs).size, 3);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('delivers what another replica commits, once, and never a replica its own changes', async () => {
      const s = pg.schema('_feed');
      const a = await openStateStore(s, { pollMs: 50 });
      const b = await openStateStore(s, { pollMs: 50 });
      try {
        await a.load(10);
        await b.load(10);
        const toA: RemoteChanges[] = [];
        const toB: RemoteChanges[] = [];
        a.follow((c) => toA.push(c));
        b.follow((c) => toB.push(c));
        const r = sampleRollout('r1', 'progressing', 1000);
        await a.saveChange({
          event: event(1),
          model: 'digits',
          policy: {
            weights: new Map([
              [1, 90],
              [2, 10],
            ]),
            stickyParameter: 'user',
            failed: new Set(),
          },
          rollout: r,
          updatedAt: 2000,
        });
        await waitFor(() => toB.length > 0, 'the change delivered to replica b');
        // More polls and notifications come and go; nothing is delivered twice.
        await b.fetch();
        await a.fetch();
        assert.equal(toB.length, 1);
        assert.deepEqual(
          toB[0].events.map((e) => e.message),
          ['event 1'],
        );
        assert.deepEqual(
          toB[0].rollouts.map((x) => [x.id, x.weight]),
          [['r1', 50]],
        );
        assert.deepEqual(
          [...toB[0].policies[0].policy.weights!],
          [
            [1, 90],
            [2, 10],
          ],
        );
        assert.equal(toA.length, 0, 'a replica is not handed back its own change');
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('follows by the poll alone when no notification ever arrives', async () => {
      const s = pg.schema('_poll');
      const a = await openStateStore(s);
      const b = await openStateStore(s, { pollMs: 100, notifications: false });
      try {
        await b.load(10);
        const toB: RemoteChanges[] = [];
        b.follow((c) => toB.push(c));
        for (let seq = 1; seq <= 3; seq++) await a.saveEvent(event(seq));
        await waitFor(() => toB.flatMap((c) => c.events).length === 3, 'three events delivered by the poll');
        assert.deepEqual(
          toB.flatMap((c) => c.events).map((e) => e.message),
          ['event 1', 'event 2', 'event 3'],
        );
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
