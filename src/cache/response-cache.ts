/**
 * One model version's exact response cache: answers in memory (bounded by bytes, LRU, TTL) and, when configured,
 * in Redis for replicas; the bypass policy that skips both while computing is cheaper; the counts the statistics
 * endpoint and metrics report. Bound to one loaded version: built when it loads, dropped when it closes, so an
 * answer can only ever be served by the version load that computed it.
 */
import type { ResponseCacheConfig } from '../config/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Tensor } from '../tensor/index.js';
import { BypassPolicy, type BypassFigures } from './bypass-policy.js';
import { ByteLru } from './byte-lru.js';
import { SharedTier } from './shared-tier.js';

export interface CacheStatistics extends BypassFigures {
  readonly hits: number;
  /** Hits served by the shared tier (counted in hits too). */
  readonly sharedHits: number;
  readonly misses: number;
  /** Requests that skipped the cache (bypass policy). */
  readonly bypassed: number;
  readonly evictions: number;
  readonly entries: number;
  readonly bytes: number;
  /** Shared-tier reads and writes that failed or timed out. */
  readonly sharedErrors: number;
}

export interface ResponseCacheOptions {
  readonly config: ResponseCacheConfig;
  /** `<model>:<version>:<load>:`: the shared tier's key prefix for this version load. */
  readonly versionPrefix: string;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** Per-tensor bookkeeping added to its bytes when the memory bound is counted. */
const ENTRY_OVERHEAD_BYTES = 96;

export class ResponseCache {
  private readonly lru: ByteLru<readonly Tensor[]>;
  private readonly shared: SharedTier | undefined;
  readonly policy: BypassPolicy;
  private hits = 0;
  private sharedHits = 0;
  private misses = 0;
  private bypassed = 0;

  constructor(private readonly o: ResponseCacheOptions) {
    this.lru = new ByteLru({ maxBytes: o.config.maxBytes, ttlMs: o.config.ttlMs, now: o.now ?? Date.now });
    this.policy = new BypassPolicy(o.config.bypass);
    this.shared = o.config.redis && new SharedTier(o.config.redis, o.versionPrefix, o.logger);
  }

  /** True when this request should skip the cache (counted). */
  skip(): boolean {
    if (!this.policy.skip()) return false;
    this.bypassed++;
    return true;
  }

  /** The answer kept in memory under `key`; a promise only when the shared tier must be asked. */
  lookup(key: string): readonly Tensor[] | undefined | Promise<readonly Tensor[] | undefined> {
    const local = this.lru.get(key);
    if (local) {
      this.hits++;
      return local;
    }
    if (!this.shared) {
      this.misses++;
      return undefined;
    }
    return this.shared.get(key).then((found) => {
      if (!found) {
        this.misses++;
        return undefined;
      }
      this.hits++;
      this.sharedHits++;
      this.lru.set(key, found, bytesOf(key, found));
      return found;
    });
  }

  /** Keeps a computed answer (copied: the outputs may be views into a batch's buffers). */
  store(key: string, outputs: readonly Tensor[]): void {
    const kept = outputs.map(copyTensor);
    this.lru.set(key, kept, bytesOf(key, kept));
    this.shared?.set(key, kept, this.o.config.ttlMs);
  }

  statistics(): CacheStatistics {
    return {
      hits: this.hits,
      sharedHits: this.sharedHits,
      misses: this.misses,
      bypassed: this.bypassed,
      evictions: this.lru.evictions,
      entries: this.lru.size,
      bytes: this.lru.bytes,
      sharedErrors: this.shared?.errors ?? 0,
      ...this.policy.figures(),
    };
  }

  close(): void {
    this.lru.clear();
    this.shared?.close();
  }
}

/** A tensor with storage of its own. */
export function copyTensor(t: Tensor): Tensor {
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: t.data.slice() };
}

function bytesOf(key: string, outputs: readonly Tensor[]): number {
  let bytes = key.length;
  for (const t of outputs) {
    bytes += ENTRY_OVERHEAD_BYTES;
    bytes += Array.isArray(t.data) ? t.data.reduce((n, s) => n + 2 * s.length, 0) : t.data.byteLength;
  }
  return bytes;
}
