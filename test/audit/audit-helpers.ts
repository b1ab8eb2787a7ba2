/**
 * Shared pieces of the audit tests: digits requests, a temp folder, servers with an audit block, metric reads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { RunningServer } from '../../src/index.js';
import type { StoredPrediction } from '../../src/audit/audit-record.js';
import type { AuditConfigFile } from '../../src/config/audit-config.js';
import { readJsonFixture, startTestServer, type ServerConfigFields } from '../helpers/server.js';

interface DigitsReference {
  readonly inputs: number[][];
  readonly labels: number[];
}

export const DIGITS = readJsonFixture<DigitsReference>('test/fixtures/reference/digits.json');

/** A folder under the OS temp dir, removed by `cleanup()`. */
export function tempDir(prefix: string): { readonly dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface InferOptions {
  readonly id: string;
  /** A row of the digits reference set (default 0). */
  readonly row?: number;
  /** Replaces the row's values. */
  readonly values?: readonly number[];
  readonly caller?: string;
  readonly parameters?: Record<string, unknown>;
  readonly model?: string;
}

/** POSTs one digits row; resolves with the status. */
export async function inferDigits(url: string, o: InferOptions): Promise<number> {
  const data = o.values ?? DIGITS.inputs[o.row ?? 0];
  const body = {
    id: o.id,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, data.length], data }],
    parameters: o.parameters,
  };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (o.caller) headers['x-inferd-caller'] = o.caller;
  const res = await fetch(`${url}/v2/models/${o.model ?? 'digits'}/infer`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** GET /v1/predictions with a query string; resolves with status and body. */
export async function queryPredictions(
  url: string,
  query: string,
): Promise<{ status: number; predictions: StoredPrediction[]; error?: string | undefined }> {
  const res = await fetch(`${url}/v1/predictions?${query}`);
  const body = (await res.json()) as { predictions?: StoredPrediction[]; error?: string };
  return { status: res.status, predictions: body.predictions ?? [], error: body.error };
}

/** Starts a server on the example models with the given audit block (plus overrides). */
export function startAuditServer(
  audit: AuditConfigFile,
  extra: ServerConfigFields = {},
  logger?: pino.Logger,
): Promise<RunningServer> {
  return startTestServer({ config: { ...extra, audit: { enabled: true, ...audit } }, ...(logger ? { logger } : {}) });
}

/** A pino logger at trace level whose lines are collected in `text()`. */
export function capturedLogger(): { readonly logger: pino.Logger; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => chunks.join('') };
}

/** The value of a Prometheus sample (`name{labels}` exactly as exposed), 0 when absent. */
export async function metricValue(metricsUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
