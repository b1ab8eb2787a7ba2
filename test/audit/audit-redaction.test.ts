/**
 * A redacted field never appears in clear: not in the server's log output (captured at trace level, every request
 * logged) and not in the bytes of the SQLite store (database and WAL files).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REDACTED } from '../../src/audit/redaction.js';
import { capturedLogger, queryPredictions, startAuditServer, tempDir } from './audit-helpers.js';
import { REDACT, assertNoSecret, sendSecrets } from './secrets.js';

const tmp = tempDir('inferd-audit-redaction-');
after(() => tmp.cleanup());

describe('redaction', () => {
  it('keeps redacted inputs and parameters out of the logs and the SQLite file', async () => {
    const path = join(tmp.dir, 'audit.db');
    const logs = capturedLogger();
    const server = await startAuditServer(
      { path, redact: REDACT },
      { log_level: 'trace', log_requests: 'all' },
      logs.logger,
    );
    try {
      await sendSecrets(server.url);
      await server.inferd.audit!.flush();
      const [p] = (await queryPredictions(server.url, 'request_id=secret-ok')).predictions;
      assert.equal(p.inputs[0].redacted, REDACTED, 'the record exists and its input is marked redacted');
      assert.deepEqual(p.parameters, { api_key: REDACTED });
      const fileBytes = () =>
        [path, `${path}-wal`]
          .filter(existsSync)
          .map((f) => readFileSync(f).toString('latin1'))
          .join('');
      assert.ok(fileBytes().includes('secret-ok'), 'the record is in the database files');
      assertNoSecret(fileBytes(), 'the SQLite files (while serving)');
    } finally {
      await server.close();
    }
    assert.ok(logs.text().includes('secret-ok'), 'the request was logged');
    assertNoSecret(logs.text(), 'the server log');
    assertNoSecret(readFileSync(path).toString('latin1'), 'the SQLite file (after stop)');
  });
});
