/** The `inferd` command: its commands, their help, and the exit code (run by `inferd.ts`, from the bundle or not). */
import { InferenceError } from '../errors/index.js';
import { VERSION } from '../version.js';
import { UsageError } from './command-args.js';
import { OutputClosedError, watchStandardStreams, writeOut } from './stdout.js';

const HELP = `inferd ${VERSION}: an online inference server for ONNX and tree models (Open Inference Protocol V2)

Usage: inferd <command> [options]

Commands:
  serve      serve a model repository over HTTP and gRPC (inferd serve --help for options)
  features   load feature tables: inferd features ingest --view VIEW FILE.csv (inferd features --help)
  prometheus-rules  print Prometheus SLO recording rules and burn-rate alerts (inferd prometheus-rules --help)
  sign       write a version folder's sha256 manifest and ed25519 signature: inferd sign --key KEY DIR
  keygen     make an ed25519 key pair for signing model versions
  profile    compute a version's baseline profile for drift monitoring: inferd profile --model M --version V --data train.csv
  models     list, load and unload the models of a running server (inferd models --help)
  rollout    start, watch and steer canary rollouts on a running server (inferd rollout --help)
  traffic    show or set a model's traffic weights on a running server (inferd traffic --help)
  validate   check a model folder before deploying it: config, integrity, load, warm-up, reference outputs
  replay     send logged inputs again to another version or server and compare: inferd replay --config F --model M --since 1h
  export     write logged inputs, outputs and feedback labels: inferd export --config F --model M --since 7d --labeled
  cascade    pick a cascade's threshold from labelled data: inferd cascade tune --cascade C --data FILE.csv

Options:
  -h, --help     show this help
  -v, --version  print the version

Example:
  inferd serve --model-repository ./models --http-port 8000
`;

interface Command {
  readonly run: (args: string[]) => Promise<number>;
  readonly help: string;
}

/**
 * Each command's module is loaded only when it runs: a client command (models, rollout, traffic) starts in a
 * fraction of the time `serve` needs to load the whole server.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  serve: async () => {
    // A model worker starts first: its thread's bootstrap and onnxruntime load while the server's code loads.
    (await import('../registry/prestart-worker.js')).prestartWorker();
    return import('./serve-command.js').then((m) => ({ run: m.serveCommand, help: m.SERVE_HELP }));
  },
  features: async () =>
    import('./features-command.js').then((m) => ({ run: m.featuresCommand, help: m.FEATURES_HELP })),
  'prometheus-rules': async () =>
    import('./prometheus-rules-command.js').then((m) => ({
      run: m.prometheusRulesCommand,
      help: m.PROMETHEUS_RULES_HELP,
    })),
  sign: async () => import('./sign-command.js').then((m) => ({ run: m.signCommand, help: m.SIGN_HELP })),
  keygen: async () => import('./sign-command.js').then((m) => ({ run: m.keygenCommand, help: m.KEYGEN_HELP })),
  profile: async () => import('./profile-command.js').then((m) => ({ run: m.profileCommand, help: m.PROFILE_HELP })),
  models: async () => import('./models-command.js').then((m) => ({ run: m.modelsCommand, help: m.MODELS_HELP })),
  rollout: async () => import('./rollout-command.js').then((m) => ({ run: m.rolloutCommand, help: m.ROLLOUT_HELP })),
  traffic: async () => import('./traffic-command.js').then((m) => ({ run: m.trafficCommand, help: m.TRAFFIC_HELP })),
  validate: async () =>
    import('./validate-command.js').then((m) => ({ run: m.validateCommand, help: m.VALIDATE_HELP })),
  replay: async () => import('./replay-command.js').then((m) => ({ run: m.replayCommand, help: m.REPLAY_HELP })),
  export: async () => import('./export-command.js').then((m) => ({ run: m.exportCommand, help: m.EXPORT_HELP })),
  cascade: async () => import('./cascade-command.js').then((m) => ({ run: m.cascadeCommand, help: m.CASCADE_HELP })),
};

/** The usage lines of a help text: everything before its first blank line. */
export function usageOf(help: string): string {
  return help.split('\n\n')[0];
}

/** A command-line mistake: the message, the command's usage, where to read more. */
function usageText(name: string, help: string, err: UsageError): string {
  return `inferd ${name}: ${err.message}\n\n${usageOf(help)}\nRun 'inferd ${name} --help' for every option.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    writeOut(HELP);
    return 0;
  }
  if (name === '-v' || name === '--version') {
    writeOut(`${VERSION}\n`);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`inferd: unknown command '${name}'\n\n${HELP}`);
    return 2;
  }
  const command = await load();
  try {
    return await command.run(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(usageText(name, command.help, err));
    return 2;
  }
}

/** What an error the commands did not handle prints, and the exit code: a stack trace only for a bug. */
function fail(err: unknown): number {
  if (err instanceof OutputClosedError) return 0;
  const known = err instanceof InferenceError || (err instanceof Error && 'code' in err);
  process.stderr.write(`inferd: ${known ? (err as Error).message : String((err as Error)?.stack ?? err)}\n`);
  return err instanceof InferenceError ? 2 : 1;
}

watchStandardStreams();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(fail(err)),
);
