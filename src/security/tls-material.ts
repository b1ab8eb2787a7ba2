/**
 * The server's TLS certificate, private key and client CA, read from the configured files and checked: each file
 * readable, each PEM parsing, the key belonging to the certificate. Followed for rotation: every `reloadMs` and on
 * SIGHUP the files are read again; a changed set that passes the checks replaces the current one and the listeners
 * (the HTTPS servers' secure context, the gRPC credentials) are told; a changed set that fails is logged once and
 * the previous certificate stays in force, so a half-written rotation never takes a listener down.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import type { TlsConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import type { Logger } from '../telemetry/logger.js';

/** A checked certificate, key and optional CA, as PEM bytes. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer | undefined;
  /** Of the leaf certificate, for logs: hex serial, SHA-256 fingerprint, expiry. */
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

interface RawFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer | undefined;
}

function readPem(path: string, setting: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `cannot read ${setting} ${path}: ${(err as Error).message}; set ${setting} (flag ${flag}) to a readable PEM file`,
      { cause: err },
    );
  }
}

function readRaw(config: TlsConfig): RawFiles {
  return {
    cert: readPem(config.certFile, 'tls.cert_file', '--tls-cert'),
    key: readPem(config.keyFile, 'tls.key_file', '--tls-key'),
    ca: config.caFile === undefined ? undefined : readPem(config.caFile, 'tls.ca_file', '--tls-ca'),
  };
}

function parseCertificate(pem: Buffer, setting: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(
      `${setting} ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function parseKey(pem: Buffer, path: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new ConfigError(`tls.key_file ${path} holds no unencrypted PEM private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Checks a set of files: PEM that parses, a key that belongs to the certificate, a context Node accepts. */
function check(raw: RawFiles, config: TlsConfig): TlsFiles {
  const leaf = parseCertificate(raw.cert, 'tls.cert_file', config.certFile);
  const key = parseKey(raw.key, config.keyFile);
  if (!leaf.checkPrivateKey(key)) {
    throw new ConfigError(
      `tls.key_file ${config.keyFile} is not the private key of the certificate in tls.cert_file ${config.certFile} (serial ${leaf.serialNumber}, ${leaf.subject.replace(/\n/g, ', ')}): give the key the certificate was issued for`,
    );
  }
  if (raw.ca) parseCertificate(raw.ca, 'tls.ca_file', config.caFile!);
  try {
    createSecureContext({ cert: raw.cert, key: raw.key, ca: raw.ca });
  } catch (err) {
    throw new ConfigError(
      `TLS files ${config.certFile}, ${config.keyFile}${config.caFile ? `, ${config.caFile}` : ''} are not usable together: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { ...raw, serialNumber: leaf.serialNumber, fingerprint256: leaf.fingerprint256, validTo: leaf.validTo };
}

function digestOf(raw: RawFiles): string {
  const hash = createHash('sha256');
  for (const part of [raw.cert, raw.key, raw.ca ?? Buffer.alloc(0)]) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** The secure-context part of the files (what `setSecureContext` replaces on a running server). */
export function secureContextOptions(files: TlsFiles): SecureContextOptions {
  return { cert: files.cert, key: files.key, ca: files.ca };
}

/** Options for an HTTPS server: the files plus whether client certificates are asked for and required. */
export function httpsServerOptions(files: TlsFiles, clientAuth: TlsConfig['clientAuth']): TlsOptions {
  return {
    ...secureContextOptions(files),
    requestCert: clientAuth !== 'none',
    rejectUnauthorized: clientAuth === 'require',
  };
}

export class TlsMaterial {
  private files: TlsFiles;
  private digest: string;
  /** The last changed set that failed its checks (logged once, not on every poll). */
  private failedDigest: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(files: TlsFiles) => void>();
  private readonly onHangup = () => this.reload();

  /** Reads and checks the files now: a missing, unreadable or mismatched file fails the start with its reason. */
  constructor(
    readonly config: TlsConfig,
    private readonly logger: Logger,
  ) {
    const raw = readRaw(config);
    this.files = check(raw, config);
    this.digest = digestOf(raw);
    this.warnIfExpired();
  }

  get current(): TlsFiles {
    return this.files;
  }

  /** Calls `listener` with every new set of files; returns the unsubscribe function. */
  onChange(listener: (files: TlsFiles) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Follows the files: every `reload_secs` (unless 0) and on SIGHUP. */
  start(): void {
    if (this.config.reloadMs > 0) {
      this.timer = setInterval(() => this.reload(), this.config.reloadMs);
      this.timer.unref();
    }
    process.on('SIGHUP', this.onHangup);
  }

  stop(): void {
    clearInterval(this.timer);
    process.off('SIGHUP', this.onHangup);
  }

  /** Reads the files again; a changed set that passes its checks takes effect. True when it did. */
  reload(): boolean {
    let next: TlsFiles;
    let digest: string | undefined;
    try {
      const raw = readRaw(this.config);
      digest = digestOf(raw);
      if (digest === this.digest) return false;
      next = check(raw, this.config);
    } catch (err) {
      this.reportFailure(err as Error, digest);
      return false;
    }
    this.files = next;
    this.digest = digest;
    this.failedDigest = undefined;
    this.logger.info(
      { serial: next.serialNumber, fingerprint256: next.fingerprint256, valid_to: next.validTo },
      'TLS certificate reloaded; new connections use it',
    );
    this.warnIfExpired();
    for (const listener of this.listeners) listener(next);
    return true;
  }

  private reportFailure(err: Error, digest: string | undefined): void {
    const key = digest ?? `unreadable:${err.message}`;
    if (key === this.failedDigest) return;
    this.failedDigest = key;
    this.logger.error(
      { err: err.message, serial: this.files.serialNumber },
      'TLS files changed but cannot be used; keeping the current certificate',
    );
  }

  private warnIfExpired(): void {
    if (new Date(this.files.validTo).getTime() < Date.now()) {
      this.logger.warn(
        { serial: this.files.serialNumber, valid_to: this.files.validTo },
        'the TLS certificate has expired; clients will refuse it until it is replaced',
      );
    }
  }
}
