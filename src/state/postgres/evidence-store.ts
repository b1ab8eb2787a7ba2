/**
 * Canary evidence from every replica in PostgreSQL (table canary_evidence, see canary-tables.ts): one row per
 * rollout step and replica holding that replica's cumulative counts since it saw the step begin, replaced on each
 * write (an upsert: writing the same counts twice changes nothing, a lost write is made good by the next). The
 * leader reads every replica's row of a step and sums them (routing/canary-exchange.ts).
 */
import type pg from 'pg';
import type { EvidenceRow, EvidenceStore } from '../../routing/canary-exchange.js';
import type { EvidenceDigest } from '../../routing/evidence-digest.js';
import { quoted } from './canary-tables.js';

export class PostgresEvidenceStore implements EvidenceStore {
  private readonly table: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    this.table = `${quoted(schema)}.canary_evidence`;
  }

  async publish(replica: string, rows: readonly EvidenceRow[]): Promise<void> {
    if (!rows.length) return;
    await this.pool.query(
      `INSERT INTO ${this.table} (rollout_id, step, replica, model, digest)
       SELECT x.rollout_id, x.step, $1, x.model, x.digest
       FROM jsonb_to_recordset($2::jsonb) AS x(rollout_id text, step integer, model text, digest jsonb)
       ON CONFLICT (rollout_id, step, replica) DO UPDATE SET digest = excluded.digest, updated_at = now()`,
      [
        replica,
        JSON.stringify(
          rows.map((r) => ({ rollout_id: r.rollout, step: r.stepIndex, model: r.model, digest: r.digest })),
        ),
      ],
    );
  }

  async read(rollout: string, stepIndex: number): Promise<Array<{ replica: string; digest: EvidenceDigest }>> {
    const { rows } = await this.pool.query<{ replica: string; digest: EvidenceDigest }>(
      `SELECT replica, digest FROM ${this.table} WHERE rollout_id = $1 AND step = $2 ORDER BY replica`,
      [rollout, stepIndex],
    );
    return rows;
  }

  async prune(keep: readonly string[], olderThanMs: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${this.table}
       WHERE rollout_id <> ALL($1::text[]) AND updated_at < now() - make_interval(secs => $2::float8 / 1000)`,
      [keep, olderThanMs],
    );
  }
}
