/**
 * Entry point of the audit worker thread: owns the SQLite connection and applies requests one at a time, so
 * batch inserts and their fsyncs happen off the server's event loop. Answers id 0 once the database is open.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import type { FromSqliteWorker, SqliteWorkerData, ToSqliteWorker } from './worker-messages.js';

const port = parentPort;
if (!port) throw new Error('sqlite-audit-worker must run as a worker thread');
const data = workerData as SqliteWorkerData;

function apply(store: SqliteAuditStore, msg: ToSqliteWorker): FromSqliteWorker {
  switch (msg.op) {
    case 'write':
      store.write(msg.records);
      return { id: msg.id, ok: true, value: undefined };
    case 'query':
      return { id: msg.id, ok: true, value: store.query(msg.query) };
    case 'delete':
      return { id: msg.id, ok: true, value: store.deleteBefore(msg.timeMs) };
    case 'probe':
      store.probe(msg.timeMs);
      return { id: msg.id, ok: true, value: undefined };
    case 'close':
      store.close();
      return { id: msg.id, ok: true, value: undefined };
  }
}

let store: SqliteAuditStore;
try {
  store = SqliteAuditStore.open(data.path, data.durability);
  port.postMessage({ id: 0, ok: true, value: 'opened' } satisfies FromSqliteWorker);
} catch (err) {
  port.postMessage({ id: 0, ok: false, message: (err as Error).message } satisfies FromSqliteWorker);
  process.exit(1);
}

port.on('message', (msg: ToSqliteWorker) => {
  let answer: FromSqliteWorker;
  try {
    answer = apply(store, msg);
  } catch (err) {
    answer = { id: msg.id, ok: false, message: (err as Error).message };
  }
  port.postMessage(answer);
  if (msg.op === 'close') port.close(); // nothing keeps the thread alive after this: it exits
});
