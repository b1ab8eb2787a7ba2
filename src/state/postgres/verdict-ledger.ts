/**
 * The verdict ledger in PostgreSQL (tables: canary-tables.ts). A verdict is recorded in one transaction on the
 * leader's own session: the rollout's progress row moves only where it still is at the seq and step the leader
 * judged from (`UPDATE ... WHERE rollout_id = $1 AND seq = $2 AND step = $3 AND status = 'progressing'`), and the
 * verdict row (primary key rollout, seq) is inserted with it. So a verdict is written once whoever retries it, a
 * leader that judged from a state another leader has moved on from writes nothing, and a replica that lost the
 * lock cannot write at all (its session is gone).
 */
import type pg from 'pg';
import type { RecordedProgress, VerdictLedger } from '../../routing/canary-coordination.js';
import type { DecisionRecord, Rollout, RolloutStatus } from '../../routing/rollout.js';
import { quoted } from './canary-tables.js';
import type { PostgresLeadership } from './leadership.js';

interface ProgressRow {
  rollout_id: string;
  model: string;
  seq: number;
  step: number;
  status: RolloutStatus;
  weight: number;
  step_started_ms: string;
  review_ms: string;
  finished_ms: string | null;
  decision: DecisionRecord | null;
}

function fromRow(r: ProgressRow): RecordedProgress {
  return {
    rollout: r.rollout_id,
    model: r.model,
    seq: r.seq,
    stepIndex: r.step,
    status: r.status,
    weight: r.weight,
    stepStartedAt: Number(r.step_started_ms),
    reviewAt: Number(r.review_ms),
    finishedAt: r.finished_ms === null ? undefined : Number(r.finished_ms),
    decision: r.decision ?? undefined,
  };
}

const COLUMNS = 'rollout_id, model, seq, step, status, weight, step_started_ms, review_ms, finished_ms, decision';

function values(p: Omit<RecordedProgress, 'seq'>): unknown[] {
  return [
    p.rollout,
    p.model,
    p.stepIndex,
    p.status,
    p.weight,
    p.stepStartedAt,
    p.reviewAt,
    p.finishedAt ?? null,
    p.decision ? JSON.stringify(p.decision) : null,
  ];
}

function progressOf(r: Rollout): Omit<RecordedProgress, 'seq'> {
  return {
    rollout: r.id,
    model: r.model,
    stepIndex: r.stepIndex,
    status: r.status,
    weight: r.weight,
    stepStartedAt: r.stepStartedAt,
    reviewAt: r.reviewAt,
    finishedAt: r.finishedAt,
    decision: r.lastDecision,
  };
}

export interface PostgresVerdictLedgerOptions {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly replica: string;
  readonly leadership: PostgresLeadership;
}

export class PostgresVerdictLedger implements VerdictLedger {
  private readonly progressTable: string;
  private readonly verdictTable: string;
  private readonly evidenceTable: string;

  constructor(private readonly o: PostgresVerdictLedgerOptions) {
    const s = quoted(o.schema);
    this.progressTable = `${s}.canary_progress`;
    this.verdictTable = `${s}.canary_verdicts`;
    this.evidenceTable = `${s}.canary_evidence`;
  }

  async progress(rollout: Rollout): Promise<RecordedProgress> {
    const { rows } = await this.o.pool.query<ProgressRow>(
      `WITH added AS (
         INSERT INTO ${this.progressTable} (${COLUMNS})
         VALUES ($1, $2, 0, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (rollout_id) DO NOTHING RETURNING ${COLUMNS})
       SELECT ${COLUMNS} FROM added
       UNION ALL SELECT ${COLUMNS} FROM ${this.progressTable} WHERE rollout_id = $1`,
      values(progressOf(rollout)),
    );
    if (rows[0]) return fromRow(rows[0]);
    // Another replica added the row after this statement's snapshot was taken: read it now.
    const again = await this.o.pool.query<ProgressRow>(
      `SELECT ${COLUMNS} FROM ${this.progressTable} WHERE rollout_id = $1`,
      [rollout.id],
    );
    return fromRow(again.rows[0]);
  }

  async commit(from: RecordedProgress, next: RecordedProgress): Promise<boolean> {
    const decision = next.decision;
    if (!decision) throw new Error('a verdict to record has no decision');
    const done = await this.o.leadership.withSession(async (client) => {
      await client.query('BEGIN');
      try {
        const moved = await client.query(
          `UPDATE ${this.progressTable}
           SET seq = seq + 1, step = $4, status = $5, weight = $6, step_started_ms = $7, review_ms = $8,
               finished_ms = $9, decision = $10, updated_at = now()
           WHERE rollout_id = $1 AND seq = $2 AND step = $3 AND status = 'progressing'`,
          [
            from.rollout,
            from.seq,
            from.stepIndex,
            next.stepIndex,
            next.status,
            next.weight,
            next.stepStartedAt,
            next.reviewAt,
            next.finishedAt ?? null,
            JSON.stringify(decision),
          ],
        );
        if (moved.rowCount !== 1) {
          await client.query('ROLLBACK');
          return false;
        }
        await client.query(
          `INSERT INTO ${this.verdictTable} (rollout_id, seq, model, step, action, status, weight, replica, decision)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            from.rollout,
            from.seq + 1,
            from.model,
            from.stepIndex,
            decision.action,
            next.status,
            next.weight,
            this.o.replica,
            JSON.stringify(decision),
          ],
        );
        // The evidence of the step judged is not needed any more once the step (or the rollout) is over.
        if (next.status !== 'progressing' || next.stepIndex !== from.stepIndex)
          await client.query(`DELETE FROM ${this.evidenceTable} WHERE rollout_id = $1 AND step <= $2`, [
            from.rollout,
            next.status === 'progressing' ? from.stepIndex : 2 ** 31 - 1,
          ]);
        await client.query('COMMIT');
        return true;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
    return done ?? false;
  }

  async operator(rollout: Rollout): Promise<void> {
    await this.o.pool.query(
      `INSERT INTO ${this.progressTable} AS p (${COLUMNS})
       VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (rollout_id) DO UPDATE SET seq = p.seq + 1, step = excluded.step,
         status = excluded.status, weight = excluded.weight, step_started_ms = excluded.step_started_ms,
         review_ms = excluded.review_ms, finished_ms = excluded.finished_ms, decision = excluded.decision,
         updated_at = now()`,
      values(progressOf(rollout)),
    );
  }

  /** The verdicts recorded for a rollout, in order (for the API, tests and operators). */
  async verdicts(rollout: string): Promise<Array<{ seq: number; action: string; step: number; replica: string }>> {
    const { rows } = await this.o.pool.query<{ seq: number; action: string; step: number; replica: string }>(
      `SELECT seq, action, step, replica FROM ${this.verdictTable} WHERE rollout_id = $1 ORDER BY seq`,
      [rollout],
    );
    return rows;
  }
}
