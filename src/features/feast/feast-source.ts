/**
 * A feature store over Redis in Feast's own layout (feast-layout.ts), so inferd reads what a Feast deployment
 * materialized. Reads are one pipeline of HMGETs per batch, as Feast's `online_read`. Writes follow Feast's
 * `online_write_batch`: read every row's `_ts:<view>`, then HSET the rows whose event second is newer (Feast
 * keeps whole seconds and skips a write whose second is not after the stored one).
 */
import type { EntitySpec, FeatureViewConfig } from '../../config/index.js';
import type { Logger } from '../../telemetry/logger.js';
import type { FeatureSource } from '../feature-source.js';
import { pipelineValues } from '../redis/redis-client.js';
import { RedisConnection } from '../redis/redis-connection.js';
import type { EntityKey, StoredRow, WriteResult, WriteRow } from '../types.js';
import { feastRedisKey } from './feast-entity-key.js';
import { decodeFeastRow, feastReadFields, featureField, timestampField } from './feast-layout.js';
import { decodeTimestampMs, encodeFeastValue, encodeTimestampSeconds } from './feast-value.js';

export interface FeastSourceOptions {
  readonly name: string;
  readonly url: string;
  readonly project: string;
  readonly entityKeySerializationVersion: 2 | 3;
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
}

export class FeastFeatureSource extends RedisConnection implements FeatureSource {
  constructor(private readonly options: FeastSourceOptions) {
    super(options);
  }

  async read(view: FeatureViewConfig, keys: readonly EntityKey[]): Promise<Array<StoredRow | undefined>> {
    const fields = feastReadFields(view);
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.hmgetBuffer(this.key(view.entities, key), ...fields);
    const answers = pipelineValues<Array<Buffer | null>>(await pipeline.exec());
    return answers.map((values) => decodeFeastRow(view, values));
  }

  async write(view: FeatureViewConfig, rows: readonly WriteRow[]): Promise<WriteResult> {
    const tsField = timestampField(view.name);
    const keys = rows.map((r) => this.key(view.entities, r.entity));
    const check = this.client.pipeline();
    for (const key of keys) check.hmgetBuffer(key, tsField);
    const previous = pipelineValues<Array<Buffer | null>>(await check.exec()).map((v) => v[0]);
    const pipeline = this.client.pipeline();
    let written = 0;
    rows.forEach((row, i) => {
      const seconds = Math.floor(row.eventTimeMs / 1000);
      const prev = previous[i];
      if (prev && seconds <= Math.floor(decodeTimestampMs(prev) / 1000)) return;
      pipeline.hset(keys[i], this.mapping(view, row, seconds));
      written++;
    });
    if (written) pipelineValues(await pipeline.exec());
    return { written, skippedOlder: rows.length - written };
  }

  async hasRows(view: FeatureViewConfig): Promise<boolean> {
    // Feast keys end with the project; a view has rows when one of them carries its timestamp field.
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scanBuffer(cursor, 'COUNT', 1000);
      const mine = keys.filter(
        (k) => k.subarray(k.length - Buffer.byteLength(this.options.project)).toString('utf8') === this.options.project,
      );
      for (const k of mine) if (await this.client.hexists(k, timestampField(view.name))) return true;
      cursor = next.toString();
    } while (cursor !== '0');
    return false;
  }

  private key(entities: readonly EntitySpec[], key: EntityKey): Buffer {
    return feastRedisKey(entities, key, this.options.project, this.options.entityKeySerializationVersion);
  }

  private mapping(view: FeatureViewConfig, row: WriteRow, seconds: number): Map<Buffer | string, Buffer> {
    const m = new Map<Buffer | string, Buffer>([
      [timestampField(view.name), Buffer.from(encodeTimestampSeconds(seconds))],
    ]);
    for (const f of view.features) {
      if (f.name in row.values)
        m.set(featureField(view.name, f.name), Buffer.from(encodeFeastValue(f.type, row.values[f.name])));
    }
    return m;
  }
}
