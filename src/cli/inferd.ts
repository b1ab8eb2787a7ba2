#!/usr/bin/env node
/** The `inferd` command. */
import { InferenceError } from '../errors/index.js';
import { VERSION } from '../version.js';
import { UsageError } from './command-args.js';
import { EXPORT_HELP, exportCommand } from './export-command.js';
import { FEATURES_HELP, featuresCommand } from './features-command.js';
import { MODELS_HELP, modelsCommand } from './models-command.js';
import { PROFILE_HELP, profileCommand } from './profile-command.js';
import { PROMETHEUS_RULES_HELP, prometheusRulesCommand } from './prometheus-rules-command.js';
import { REPLAY_HELP, replayCommand } from './replay-command.js';
import { ROLLOUT_HELP, rolloutCommand } from './rollout-command.js';
import { SERVE_HELP, serveCommand } from './serve-command.js';
import { KEYGEN_HELP, keygenCommand, SIGN_HELP, signCommand } from './sign-command.js';
import { OutputClosedError, watchStandardStreams, writeOut } from './stdout.js';
import { TRAFFIC_HELP, trafficCommand } from './traffic-command.js';
import { VALIDATE_HELP, validateCommand } from './validate-command.js';

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

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: { run: serveCommand, help: SERVE_HELP },
  features: { run: featuresCommand, help: FEATURES_HELP },
  'prometheus-rules': { run: prometheusRulesCommand, help: PROMETHEUS_RULES_HELP },
  sign: { run: signCommand, help: SIGN_HELP },
  keygen: { run: keygenCommand, help: KEYGEN_HELP },
  profile: { run: profileCommand, help: PROFILE_HELP },
  models: { run: modelsCommand, help: MODELS_HELP },
  rollout: { run: rolloutCommand, help: ROLLOUT_HELP },
  traffic: { run: trafficCommand, help: TRAFFIC_HELP },
  validate: { run: validateCommand, help: VALIDATE_HELP },
  replay: { run: replayCommand, help: REPLAY_HELP },
  export: { run: exportCommand, help: EXPORT_HELP },
};

/** The usage lines of a help text: everything before its first blank line. */
export function usageOf(help: string): string {
  return help.split('\n\n')[0];
}

/** A command-line mistake: the message, the command's usage, where to read more. */
function usageText(name: string, err: UsageError): string {
  return `inferd ${name}: ${err.message}\n\n${usageOf(COMMANDS[name].help)}\nRun 'inferd ${name} --help' for every option.\n`;
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
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`inferd: unknown command '${name}'\n\n${HELP}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(usageText(name, err));
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
