import type { Job } from './job.js';

/**
 * Pending jobs, one FIFO per priority level; level 1 is served first.
 * Removal marks jobs settled and compacts lazily, so taking from the middle stays cheap.
 */
export class JobQueue {
  private readonly levels: Job[][];
  private count = 0;

  constructor(levels: number) {
    this.levels = Array.from({ length: Math.max(1, levels) }, () => []);
  }

  get size(): number {
    return this.count;
  }

  push(job: Job): void {
    this.levels[job.priority - 1].push(job);
    this.count++;
  }

  /** Jobs in dispatch order: by priority level, then arrival. Skips settled jobs. */
  *ordered(): Generator<Job> {
    for (const level of this.levels) {
      for (const job of level) if (!job.settled) yield job;
    }
  }

  /** The first job in dispatch order, if any. */
  peek(): Job | undefined {
    for (const job of this.ordered()) return job;
    return undefined;
  }

  /** The lowest-priority (largest) level holding a job, 0 when the queue is empty. */
  lowestOccupiedLevel(): number {
    for (let i = this.levels.length - 1; i >= 0; i--) if (this.levels[i].length > 0) return i + 1;
    return 0;
  }

  /** Takes the newest job of a level out of the queue (load shedding evicts it). */
  popNewest(level: number): Job | undefined {
    const jobs = this.levels[level - 1];
    const job = jobs.pop();
    if (job) this.count--;
    return job;
  }

  /** Removes the given jobs (already chosen for dispatch or expired). */
  remove(jobs: readonly Job[]): void {
    const gone = new Set(jobs);
    for (let i = 0; i < this.levels.length; i++) {
      const before = this.levels[i].length;
      if (before === 0) continue;
      this.levels[i] = this.levels[i].filter((j) => !gone.has(j));
      this.count -= before - this.levels[i].length;
    }
  }
}
