import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { auditSinkCases, sampleRecord } from '../audit-sink.case.test.js';
import { SqliteAuditSink } from './sqlite-audit-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'inferd-audit-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

auditSinkCases('sqlite (async)', async () => new SqliteAuditSink(join(dir, 'cases', 'async.db'), 'async'));
auditSinkCases('sqlite (acknowledged)', async () => new SqliteAuditSink(join(dir, 'ack.db'), 'acknowledged'));

describe('SqliteAuditSink', () => {
  it('keeps records across a stop and a reopen of the same file', async () => {
    const path = join(dir, 'reopen.db');
    const first = new SqliteAuditSink(path, 'acknowledged');
    await first.start();
    await first.write([sampleRecord({ requestId: 'kept' })]);
    await first.stop();
    const second = new SqliteAuditSink(path, 'async');
    await second.start();
    assert.equal((await second.query({ requestId: 'kept', limit: 1 })).length, 1);
    await second.stop();
  });

  it('says which file it cannot open and what to check', async () => {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'a file where a folder should be');
    const sink = new SqliteAuditSink(join(blocker, 'audit.db'), 'async');
    await assert.rejects(sink.start(), /cannot open the audit database .*not-a-folder.*audit\.path/);
  });

  it('refuses calls before start with a message that says so', async () => {
    await assert.rejects(
      new SqliteAuditSink(join(dir, 'x.db'), 'async').query({ limit: 1 }),
      /not started; call start\(\) first/,
    );
  });
});
