/**
 * Test certificates made with openssl at run time, in a temporary folder (no private key is kept in the
 * repository): a CA, server certificates for 127.0.0.1/localhost, and client certificates, each with a serial
 * the test chooses so a rotation can be told apart.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { PeerCertificate, TLSSocket } from 'node:tls';

export const OPENSSL = '/usr/bin/openssl';

/** A skip message when openssl is missing (a failure under INFERD_CI=1). */
export function opensslSkip(): false | string {
  if (existsSync(OPENSSL)) return false;
  const message = `${OPENSSL} is not installed (apt-get install openssl); the TLS tests make their certificates with it`;
  if (process.env.INFERD_CI === '1') throw new Error(`INFERD_CI=1: ${message}`);
  process.stderr.write(`\n!!! SKIPPING the TLS tests: ${message} !!!\n\n`);
  return message;
}

export interface Pem {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Upper-case hex, as X509Certificate.serialNumber and getPeerCertificate() give it. */
  readonly serial: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export class TestPki {
  private constructor(readonly dir: string) {}

  static async create(): Promise<TestPki> {
    return new TestPki(await mkdtemp(join(tmpdir(), 'inferd-tls-')));
  }

  /** A self-signed CA named `name` (files name.crt, name.key). */
  async ca(name: string): Promise<Pem> {
    openssl(this.dir, [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-set_serial',
      '0x01',
    ]);
    return this.read(name);
  }

  /**
   * A certificate for `name` signed by CA `ca`, with `serial` (hex): a server certificate for 127.0.0.1 and
   * localhost, or a client certificate.
   */
  async leaf(name: string, ca: string, serial: string, use: 'server' | 'client'): Promise<Pem> {
    const ext =
      use === 'server'
        ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
        : 'extendedKeyUsage=clientAuth\n';
    await writeFile(join(this.dir, `${name}.ext`), ext);
    openssl(this.dir, [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]);
    openssl(this.dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-set_serial',
      `0x${serial}`,
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ]);
    return this.read(name);
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  /** Replaces `target` with `source`'s content the way rotation tools do: write beside, then rename over. */
  async install(source: string, target: string): Promise<void> {
    const tmp = this.path(`${target}.tmp`);
    await writeFile(tmp, await readFile(this.path(source)));
    await rename(tmp, this.path(target));
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private async read(name: string): Promise<Pem> {
    const cert = await readFile(this.path(`${name}.crt`));
    const key = await readFile(this.path(`${name}.key`));
    const serial = execFileSync(OPENSSL, ['x509', '-noout', '-serial', '-in', this.path(`${name}.crt`)])
      .toString()
      .trim()
      .replace(/^serial=/, '');
    return { cert, key, serial };
  }
}

/** What a test client presents: the CA it trusts and its own certificate. */
export interface TlsClient {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** GET over a new HTTPS connection; resolves with the status and the certificate the server showed. */
export function httpsGet(url: string, client: TlsClient): Promise<{ status: number; peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...client, agent: false }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, peer }));
    });
    req.on('error', reject);
    req.end();
  });
}
