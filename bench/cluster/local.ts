/**
 * `npm run cluster:local [-- --port 8080 --replicas 3 --schema NAME --keep]`: a local inferd cluster behind
 * haproxy (see cluster.ts) until Ctrl-C. On SIGINT or SIGTERM every replica is drained with SIGTERM, haproxy is
 * stopped, and the PostgreSQL schema and the Redis keys of the cluster are dropped unless --keep.
 */
import { parseArgs } from 'node:util';
import { Cluster, DEFAULT_PG_URL, DEFAULT_REDIS_URL } from './cluster.js';
import { haproxyMissing } from './haproxy.js';

const log = (msg: string): void => void process.stderr.write(`cluster: ${msg}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      replicas: { type: 'string', default: '3' },
      'pg-url': { type: 'string', default: DEFAULT_PG_URL },
      schema: { type: 'string' },
      'redis-url': { type: 'string', default: DEFAULT_REDIS_URL },
      'redis-prefix': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'Usage: npm run cluster:local -- [--port N] [--replicas 3] [--pg-url URL] [--schema NAME]\n' +
        '         [--redis-url URL] [--redis-prefix P] [--keep]\n' +
        'Starts replicas of dist/src/cli/inferd.js on 127.0.0.1 behind haproxy; Ctrl-C stops everything.\n',
    );
    return;
  }
  const missing = haproxyMissing();
  if (missing) throw new Error(missing);
  const cluster = await Cluster.start({
    replicas: Number(values.replicas),
    port: Number(values.port),
    pgUrl: values['pg-url'],
    redisUrl: values['redis-url'],
    keep: values.keep,
    log,
    ...(values.schema ? { schema: values.schema } : {}),
    ...(values['redis-prefix'] ? { redisPrefix: values['redis-prefix'] } : {}),
  });
  process.on('exit', () => cluster.killNow());
  if (cluster.sharedState !== 'postgres') {
    log(`WARNING: shared state ${cluster.sharedState}; each replica keeps its own rollouts and traffic policies`);
  }
  for (const r of cluster.replicas) log(`${r.name} ${r.url} (pid ${r.pid ?? '?'}, config ${r.configFile})`);
  log(`PostgreSQL schema "${cluster.schema}" on ${new URL(cluster.pgUrl).host}; Redis prefix "${cluster.redisPrefix}"`);
  log(`haproxy admin socket: ${cluster.haproxy.socket} (echo "show stat" | socat - ${cluster.haproxy.socket})`);
  process.stdout.write(`${cluster.url}\n`);
  log(`serving on ${cluster.url}  (Ctrl-C stops everything)`);

  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log(`${signal}: draining replicas, stopping haproxy${values.keep ? '' : ', dropping the schema and keys'}…`);
      resolve();
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    // A replica that dies on its own is reported (haproxy takes it out); the cluster keeps running.
    const reported = new Set<string>();
    const watch = setInterval(() => {
      for (const r of cluster.replicas) {
        if (r.alive() || reported.has(r.name)) continue;
        reported.add(r.name);
        log(`${r.name} is not running (haproxy took it out):\n${r.tail()}`);
      }
    }, 5000);
    watch.unref();
  });
  await cluster.stop();
  log('stopped');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(`FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
