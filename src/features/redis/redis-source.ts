/**
 * The Redis feature store, in inferd's own layout (redis-layout.ts). A batch read is one pipeline of HMGETs: one
 * round trip for any number of entities. Writes are an atomic compare-and-replace script per row, pipelined.
 */
import type { FeatureViewConfig } from '../../config/index.js';
import type { Logger } from '../../telemetry/logger.js';
import type { FeatureSource } from '../feature-source.js';
import type { EntityKey, StoredRow, WriteResult, WriteRow } from '../types.js';
import { escapeGlob, pipelineValues } from './redis-client.js';
import { RedisConnection } from './redis-connection.js';
import { decodeRow, readFields, rowKey, upsertArgs, UPSERT_SCRIPT } from './redis-layout.js';

export interface RedisSourceOptions {
  readonly name: string;
  readonly url: string;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
}

export class RedisFeatureSource extends RedisConnection implements FeatureSource {
  constructor(private readonly options: RedisSourceOptions) {
    super(options);
  }

  async read(view: FeatureViewConfig, keys: readonly EntityKey[]): Promise<Array<StoredRow | undefined>> {
    const fields = readFields(view);
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.hmget(rowKey(this.options.keyPrefix, view, key), ...fields);
    const answers = pipelineValues<Array<string | null>>(await pipeline.exec());
    return answers.map((values) => decodeRow(view, values));
  }

  async write(view: FeatureViewConfig, rows: readonly WriteRow[]): Promise<WriteResult> {
    const pipeline = this.client.pipeline();
    for (const row of rows)
      pipeline.eval(UPSERT_SCRIPT, 1, rowKey(this.options.keyPrefix, view, row.entity), ...upsertArgs(row));
    const results = pipelineValues<number>(await pipeline.exec());
    const written = results.filter((r) => r === 1).length;
    return { written, skippedOlder: rows.length - written };
  }

  async hasRows(view: FeatureViewConfig): Promise<boolean> {
    const match = `${escapeGlob(this.options.keyPrefix)}${escapeGlob(view.name)}:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      if (keys.length) return true;
      cursor = next;
    } while (cursor !== '0');
    return false;
  }
}
