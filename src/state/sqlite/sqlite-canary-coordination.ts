/**
 * The canary analysis for the processes of one server (`--processes N`) on the embedded SQLite state file: the
 * leader is named by the primary (`leadership`, over IPC: one ready process at a time), the verdict ledger
 * and every process's evidence live in the same file as the rollouts, beside them. The same three parts as the
 * PostgreSQL coordination (state/postgres/canary-coordination.ts), with SQLite's single writer doing what the
 * advisory locks do there: a verdict is recorded only if the rollout's progress row is still where the leader
 * judged it from (`UPDATE ... WHERE seq = ? AND step = ? AND status = 'progressing'`), in one transaction with the
 * verdict row, and only while this process leads.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  CanaryCoordination,
  Leadership,
  RecordedProgress,
  VerdictLedger,
} from '../../routing/canary-coordination.js';
import { EvidenceExchange, type EvidenceRow, type EvidenceStore } from '../../routing/canary-exchange.js';
import type { EvidenceDigest } from '../../routing/evidence-digest.js';
import type { DecisionRecord, Rollout, RolloutStatus } from '../../routing/rollout.js';
import type { Logger } from '../../telemetry/logger.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS canary_progress (
  rollout_id TEXT PRIMARY KEY, model TEXT NOT NULL, seq INTEGER NOT NULL, step INTEGER NOT NULL,
  status TEXT NOT NULL, weight REAL NOT NULL, step_started_ms INTEGER NOT NULL, review_ms INTEGER NOT NULL,
  finished_ms INTEGER, decision TEXT
);
CREATE TABLE IF NOT EXISTS canary_verdicts (
  rollout_id TEXT NOT NULL, seq INTEGER NOT NULL, model TEXT NOT NULL, step INTEGER NOT NULL, action TEXT NOT NULL,
  status TEXT NOT NULL, weight REAL NOT NULL, replica TEXT NOT NULL, decision TEXT NOT NULL,
  PRIMARY KEY (rollout_id, seq)
);
CREATE TABLE IF NOT EXISTS canary_evidence (
  rollout_id TEXT NOT NULL, step INTEGER NOT NULL, replica TEXT NOT NULL, model TEXT NOT NULL,
  digest TEXT NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (rollout_id, step, replica)
);`;

interface ProgressRow {
  rollout_id: string;
  model: string;
  seq: number;
  step: number;
  status: RolloutStatus;
  weight: number;
  step_started_ms: number;
  review_ms: number;
  finished_ms: number | null;
  decision: string | null;
}

function fromRow(r: ProgressRow): RecordedProgress {
  return {
    rollout: r.rollout_id,
    model: r.model,
    seq: r.seq,
    stepIndex: r.step,
    status: r.status,
    weight: r.weight,
    stepStartedAt: r.step_started_ms,
    reviewAt: r.review_ms,
    finishedAt: r.finished_ms ?? undefined,
    decision: r.decision === null ? undefined : (JSON.parse(r.decision) as DecisionRecord),
  };
}

function params(r: Rollout) {
  return {
    rollout_id: r.id,
    model: r.model,
    step: r.stepIndex,
    status: r.status,
    weight: r.weight,
    step_started_ms: r.stepStartedAt,
    review_ms: r.reviewAt,
    finished_ms: r.finishedAt ?? null,
    decision: r.lastDecision ? JSON.stringify(r.lastDecision) : null,
  };
}

class SqliteVerdictLedger implements VerdictLedger {
  constructor(
    private readonly db: Database.Database,
    private readonly replica: string,
    private readonly leadership: Leadership,
  ) {}

  async progress(rollout: Rollout): Promise<RecordedProgress> {
    return this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO canary_progress (rollout_id, model, seq, step, status, weight, step_started_ms, review_ms, finished_ms, decision)
           VALUES (@rollout_id, @model, 0, @step, @status, @weight, @step_started_ms, @review_ms, @finished_ms, @decision)`,
        )
        .run(params(rollout));
      return fromRow(
        this.db
          .prepare<[string], ProgressRow>('SELECT * FROM canary_progress WHERE rollout_id = ?')
          .get(rollout.id) as ProgressRow,
      );
    })();
  }

  async commit(from: RecordedProgress, next: RecordedProgress): Promise<boolean> {
    const decision = next.decision;
    if (!decision) throw new Error('a verdict to record has no decision');
    return this.db.transaction(() => {
      if (!this.leadership.isLeader()) return false;
      const moved = this.db
        .prepare(
          `UPDATE canary_progress SET seq = seq + 1, step = ?, status = ?, weight = ?, step_started_ms = ?,
             review_ms = ?, finished_ms = ?, decision = ?
           WHERE rollout_id = ? AND seq = ? AND step = ? AND status = 'progressing'`,
        )
        .run(
          next.stepIndex,
          next.status,
          next.weight,
          next.stepStartedAt,
          next.reviewAt,
          next.finishedAt ?? null,
          JSON.stringify(decision),
          from.rollout,
          from.seq,
          from.stepIndex,
        );
      if (moved.changes !== 1) return false;
      this.db
        .prepare(
          `INSERT INTO canary_verdicts (rollout_id, seq, model, step, action, status, weight, replica, decision)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          from.rollout,
          from.seq + 1,
          from.model,
          from.stepIndex,
          decision.action,
          next.status,
          next.weight,
          this.replica,
          JSON.stringify(decision),
        );
      if (next.status !== 'progressing' || next.stepIndex !== from.stepIndex)
        this.db
          .prepare('DELETE FROM canary_evidence WHERE rollout_id = ? AND step <= ?')
          .run(from.rollout, next.status === 'progressing' ? from.stepIndex : 2 ** 31 - 1);
      return true;
    })();
  }

  async operator(rollout: Rollout): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO canary_progress (rollout_id, model, seq, step, status, weight, step_started_ms, review_ms, finished_ms, decision)
         VALUES (@rollout_id, @model, 1, @step, @status, @weight, @step_started_ms, @review_ms, @finished_ms, @decision)
         ON CONFLICT (rollout_id) DO UPDATE SET seq = seq + 1, step = excluded.step, status = excluded.status,
           weight = excluded.weight, step_started_ms = excluded.step_started_ms, review_ms = excluded.review_ms,
           finished_ms = excluded.finished_ms, decision = excluded.decision`,
      )
      .run(params(rollout));
  }
}

class SqliteEvidenceStore implements EvidenceStore {
  constructor(private readonly db: Database.Database) {}

  async publish(replica: string, rows: readonly EvidenceRow[]): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO canary_evidence (rollout_id, step, replica, model, digest, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (rollout_id, step, replica) DO UPDATE SET digest = excluded.digest, updated_ms = excluded.updated_ms`,
    );
    const now = Date.now();
    this.db.transaction(() => {
      for (const r of rows) upsert.run(r.rollout, r.stepIndex, replica, r.model, JSON.stringify(r.digest), now);
    })();
  }

  async read(rollout: string, stepIndex: number): Promise<Array<{ replica: string; digest: EvidenceDigest }>> {
    return this.db
      .prepare<[string, number], { replica: string; digest: string }>(
        'SELECT replica, digest FROM canary_evidence WHERE rollout_id = ? AND step = ? ORDER BY replica',
      )
      .all(rollout, stepIndex)
      .map((r) => ({ replica: r.replica, digest: JSON.parse(r.digest) as EvidenceDigest }));
  }

  async prune(keep: readonly string[], olderThanMs: number): Promise<void> {
    const rows = this.db
      .prepare<[number], { rollout_id: string }>('SELECT DISTINCT rollout_id FROM canary_evidence WHERE updated_ms < ?')
      .all(Date.now() - olderThanMs);
    const del = this.db.prepare('DELETE FROM canary_evidence WHERE rollout_id = ?');
    for (const r of rows) if (!keep.includes(r.rollout_id)) del.run(r.rollout_id);
  }
}

export interface SqliteCanaryCoordinationOptions {
  /** The state file (the rollout store's). */
  readonly path: string;
  /** This process's name in the ledger and the evidence (unique per process start). */
  readonly replica: string;
  /** Who leads: the primary names one process. */
  readonly leadership: Leadership;
  readonly logger: Logger;
  /** How often evidence is written and, by the leader, read (default 1,000 ms). */
  readonly exchangeMs?: number | undefined;
}

/** Opens its own connection to the state file and creates the tables if missing. */
export function createSqliteCanaryCoordination(o: SqliteCanaryCoordinationOptions): CanaryCoordination {
  mkdirSync(dirname(o.path), { recursive: true });
  const db = new Database(o.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const evidence = new EvidenceExchange({
    store: new SqliteEvidenceStore(db),
    replica: o.replica,
    leadership: o.leadership,
    logger: o.logger,
    intervalMs: o.exchangeMs,
  });
  return {
    replica: o.replica,
    leadership: o.leadership,
    ledger: new SqliteVerdictLedger(db, o.replica, o.leadership),
    evidence,
    async close() {
      evidence.stop();
      await o.leadership.close();
      if (db.open) db.close();
    },
  };
}
