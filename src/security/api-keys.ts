/**
 * API keys: the keys file holds only each key's SHA-256; a presented key is hashed and compared with every entry
 * in constant time. The file is re-read when it changes (polled with fs.watchFile) or on SIGHUP, so keys rotate
 * without a restart. A file that stops parsing keeps the last good keys and is logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { parseApiKeysFile, type ApiKeyEntry } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';
import type { Principal } from './principal.js';

/** The SHA-256 of a key, as the keys file stores it (hex). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function toPrincipal(entry: ApiKeyEntry): Principal {
  return {
    id: `key:${entry.name}`,
    keyClass: entry.name,
    tenant: entry.tenant,
    scopes: new Set(entry.scopes),
    rateLimit: entry.rateLimit,
  };
}

interface LoadedKey {
  readonly digest: Buffer;
  readonly principal: Principal;
}

export class ApiKeyStore {
  private keys: readonly LoadedKey[] = [];
  private readonly onHangup = () => this.reload();

  /** Reads `path` now; a broken file at start is an error (fail fast). */
  constructor(
    private readonly path: string,
    private readonly logger: Logger,
    private readonly pollMs = 1000,
  ) {
    this.keys = this.read();
  }

  /** Starts following the file: on change (polled every `pollMs`) and on SIGHUP. */
  start(): void {
    watchFile(this.path, { interval: this.pollMs, persistent: false }, () => this.reload());
    process.on('SIGHUP', this.onHangup);
  }

  stop(): void {
    unwatchFile(this.path);
    process.off('SIGHUP', this.onHangup);
  }

  /** The principal whose key this is, or undefined. Every entry is compared, so timing says nothing about which. */
  lookup(key: string): Principal | undefined {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: Principal | undefined;
    for (const k of this.keys) {
      if (timingSafeEqual(digest, k.digest) && found === undefined) found = k.principal;
    }
    return found;
  }

  /** Re-reads the file; on failure the previous keys stay in force. */
  reload(): void {
    try {
      this.keys = this.read();
      this.logger.info({ api_keys_file: this.path, keys: this.keys.length }, 'API keys reloaded');
    } catch (err) {
      this.logger.error(
        { api_keys_file: this.path, err: (err as Error).message },
        'API keys file unreadable; keeping the previous keys',
      );
    }
  }

  private read(): readonly LoadedKey[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `cannot read the API keys file ${this.path} (auth.api_keys_file): ${(err as Error).message}`,
        { cause: err },
      );
    }
    const entries = parseApiKeysFile(text, this.path);
    return entries.map((e) => ({ digest: Buffer.from(e.sha256, 'hex'), principal: toPrincipal(e) }));
  }
}
