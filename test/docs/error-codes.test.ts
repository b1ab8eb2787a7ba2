/**
 * docs/errors.md documents every error code a caller can meet. It must stay true both ways, as fastify keeps its
 * error-code list: every code of the registry (src/errors/error-codes.ts) has a row, every row names a real code,
 * and each row's HTTP and gRPC statuses are the ones the server answers with.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ERROR_CODES, HTTP_ONLY_CODES, type PublicErrorCode } from '../../src/errors/index.js';
import { HTTP_STATUS } from '../../src/transport/http/status.js';
import { GRPC_STATUS } from '../../src/transport/grpc/status.js';

const DOC = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

interface Row {
  readonly code: string;
  readonly http: string;
  readonly grpc: string;
  readonly meaning: string;
  readonly action: string;
}

/** The rows of the codes table: lines `| \`code\` | HTTP | gRPC | meaning | what to do |`. */
function documentedRows(): Row[] {
  return DOC.split('\n')
    .filter((line) => /^\| `[^`]+` \|/.test(line))
    .map((line) => {
      const cells = line.slice(1, -1).split(' | ').map((c) => c.trim());
      assert.equal(cells.length, 5, `a row has 5 cells (code, HTTP, gRPC, meaning, what to do): ${line}`);
      const [code, http, grpc, meaning, action] = cells;
      return { code: code.replace(/`/g, ''), http, grpc: grpc.replace(/`/g, ''), meaning, action };
    });
}

const registered = Object.keys(ERROR_CODES) as PublicErrorCode[];

test('docs/errors.md has one row per code, and names no code the server does not have', () => {
  const rows = documentedRows();
  const documented = rows.map((r) => r.code);
  assert.equal(new Set(documented).size, documented.length, `a code is documented twice: ${documented.join(', ')}`);
  assert.deepEqual(registered.filter((c) => !documented.includes(c)), [], 'codes missing from docs/errors.md');
  assert.deepEqual(documented.filter((c) => !(registered as string[]).includes(c)), [], 'docs/errors.md names codes that do not exist');
});

test('each documented status is the one the server answers with', () => {
  for (const row of documentedRows()) {
    const code = row.code as PublicErrorCode;
    const cls = ERROR_CODES[code];
    assert.equal(row.http, String(HTTP_STATUS[cls]), `HTTP status of ${code}`);
    const grpc = HTTP_ONLY_CODES.includes(code) ? '—' : status[GRPC_STATUS[cls]];
    assert.equal(row.grpc, grpc, `gRPC status of ${code}`);
  }
});

test('each code says what it means and what to do, and every code is snake_case', () => {
  for (const row of documentedRows()) {
    assert.match(row.code, /^[a-z]+(_[a-z]+)*$/, `${row.code} is snake_case`);
    assert.ok(row.meaning.length > 20, `${row.code} says what it means`);
    assert.ok(row.action.length > 10, `${row.code} says what to do`);
  }
});
