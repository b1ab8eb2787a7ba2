/**
 * Acknowledged durability survives a crash: the CLI serves with `audit.durability: acknowledged` to a temporary
 * SQLite file, concurrent clients send requests with unique ids, the process is killed with SIGKILL mid-load, and
 * every request that was answered 200 is found in the database afterwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CLI_PATH, MODELS_DIR, ROOT } from '../helpers/server.js';
import { inferDigits, tempDir } from './audit-helpers.js';
import { waitFor } from '../helpers/wait-for.js';

const CLIENTS = 16;
/** Acknowledged predictions before the kill: counted, so the load means as much on a busy machine as on a quiet one. */
const ACKED_BEFORE_KILL = 60;

const tmp = tempDir('inferd-audit-sigkill-');
after(() => tmp.cleanup());

/** Spawns `inferd serve` with a config file; resolves with its URL from the "inferd listening on" log line. */
function spawnServer(configPath: string) {
  const proc = spawn(
    process.execPath,
    [
      CLI_PATH,
      'serve',
      '--config',
      configPath,
      '--model-repository',
      MODELS_DIR,
      '--http-port',
      '0',
      '--log-level',
      'info',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => output.push(c));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.once('exit', (_code, signal) => resolve(signal)));
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      output.push(line);
      const m = /"url":"(http:\/\/[^"]+)".*inferd listening on/.exec(line);
      if (m) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`inferd exited before listening:\n${output.join('\n')}`)));
  });
  return { proc, url, exited };
}

/** One client: sends requests with unique ids until `stop()` says so; collects the ids answered 200. */
async function client(url: string, n: number, acked: string[], stop: () => boolean): Promise<void> {
  for (let i = 0; !stop(); i++) {
    const id = `kill-${n}-${i}`;
    try {
      if ((await inferDigits(url, { id, row: i % 10 })) === 200) acked.push(id);
    } catch {
      return; // the server is gone: this request was never acknowledged
    }
  }
}

describe('acknowledged durability under SIGKILL', () => {
  it('finds every acknowledged prediction in the store after the server is killed under load', async (t) => {
    const dbPath = join(tmp.dir, 'audit.db');
    const configPath = join(tmp.dir, 'inferd.yaml');
    writeFileSync(
      configPath,
      `audit:\n  enabled: true\n  path: ${JSON.stringify(dbPath)}\n  durability: acknowledged\n`,
    );
    const server = spawnServer(configPath);
    const url = await server.url;
    const acked: string[] = [];
    let killed = false;
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(url, n, acked, () => killed));
    await waitFor(() => acked.length >= ACKED_BEFORE_KILL, `${ACKED_BEFORE_KILL} acknowledged predictions`);
    server.proc.kill('SIGKILL');
    killed = true;
    assert.equal(await server.exited, 'SIGKILL');
    await Promise.all(clients);

    const db = new Database(dbPath);
    try {
      const stored = new Set(db.prepare('SELECT request_id FROM predictions').pluck().all() as string[]);
      const missing = acked.filter((id) => !stored.has(id));
      t.diagnostic(`${acked.length} predictions acknowledged before SIGKILL, ${stored.size} in the store`);
      assert.deepEqual(
        missing,
        [],
        `${missing.length} of ${acked.length} acknowledged predictions are missing from the store`,
      );
    } finally {
      db.close();
    }
  });
});
