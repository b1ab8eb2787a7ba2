import type pg from 'pg';

/**
 * Keeps a broken PostgreSQL connection from crashing the process. The pool listens for errors only on idle
 * connections: one that breaks while it is checked out (between two queries of a transaction, say) emits 'error'
 * on its client with nobody listening, an uncaught exception. Every client the pool makes gets a listener of its
 * own; the query in flight, or the next one, still reports the failure to its caller, and the pool replaces a
 * broken idle connection.
 */
export function survivePoolErrors(pool: pg.Pool): void {
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
}
