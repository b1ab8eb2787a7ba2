/**
 * A PostgreSQL server of the test's own (initdb into a temporary folder, a spare port, trust auth), so a test may
 * stop and restart it while the machine's shared PostgreSQL is left alone. PostgreSQL refuses to run as root: as
 * root, every command runs as the `postgres` user (runuser), and the folder is handed to it.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest installed PostgreSQL's bin folder, or undefined. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

/** False when a PostgreSQL server can be started here; else the reason to skip, said loudly (an error in CI). */
export function postgresServerSkipReason(what: string): false | string {
  if (binDir()) return false;
  const message = `no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql); ${what} needs a PostgreSQL of its own`;
  if (process.env.INFERD_CI === '1') throw new Error(`INFERD_CI=1: ${message}`);
  process.stderr.write(`\n!!! SKIPPING ${what}: ${message} !!!\n\n`);
  return message;
}

/** A port nothing listens on now. */
export async function sparePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export class OwnPostgres {
  private readonly dir: string;
  private readonly bin: string;
  private constructor(readonly port: number) {
    this.bin = binDir()!;
    this.dir = mkdtempSync(join(tmpdir(), 'inferd-own-pg-'));
  }

  /** Creates the cluster (initdb) on a spare port; call start(). */
  static async create(): Promise<OwnPostgres> {
    const pg = new OwnPostgres(await sparePort());
    try {
      if (process.getuid?.() === 0) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        chownSync(pg.dir, Number(stdout.trim()), Number(gid.trim()));
      }
      await pg.as('initdb', ['-D', pg.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    } catch (err) {
      pg.remove();
      throw err;
    }
    return pg;
  }

  /** postgres://postgres@127.0.0.1:<port>/postgres */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private get data(): string {
    return join(this.dir, 'data');
  }

  /** Starts the server and waits until it takes connections. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    await this.as('pg_ctl', ['-D', this.data, '-o', options, '-l', join(this.dir, 'log'), '-w', '-t', '120', 'start']);
  }

  /** Stops it: `immediate` as a crash would (connections cut, no checkpoint), `fast` as an operator would. */
  async stop(mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
    await this.as('pg_ctl', ['-D', this.data, '-m', mode, '-w', '-t', '120', 'stop']);
  }

  /** Stops it if it runs and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    this.remove();
  }

  private remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async as(tool: string, args: string[]): Promise<void> {
    const path = join(this.bin, tool);
    const [file, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    await run(file, argv, { cwd: this.dir, timeout: 180_000 });
  }
}
