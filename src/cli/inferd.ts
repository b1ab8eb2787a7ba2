#!/usr/bin/env node
/** The `inferd` command. */
import { InferenceError } from '../errors/index.js';
import { VERSION } from '../version.js';
import { SERVE_HELP, serveCommand } from './serve-command.js';
import { featuresCommand } from './features-command.js';
import { prometheusRulesCommand } from './prometheus-rules-command.js';
import { keygenCommand, signCommand } from './sign-command.js';
import { profileCommand } from './profile-command.js';
import { modelsCommand } from './models-command.js';
import { rolloutCommand } from './rollout-command.js';
import { validateCommand } from './validate-command.js';
import { replayCommand } from './replay-command.js';
import { exportCommand } from './export-command.js';

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
  validate   check a model folder before deploying it: config, integrity, load, warm-up, reference outputs
  replay     send logged inputs again to another version or server and compare: inferd replay --model M --since 1h
  export     write logged inputs, outputs and feedback labels: inferd export --model M --since 7d --labeled

Options:
  -h, --help     show this help
  -v, --version  print the version

Example:
  inferd serve --model-repository ./models --http-port 8000
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '-v' || command === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === 'serve') return serveCommand(rest);
  if (command === 'features') return featuresCommand(rest);
  if (command === 'prometheus-rules') return prometheusRulesCommand(rest);
  if (command === 'sign') return signCommand(rest);
  if (command === 'keygen') return keygenCommand(rest);
  if (command === 'profile') return profileCommand(rest);
  if (command === 'models') return modelsCommand(rest);
  if (command === 'rollout') return rolloutCommand(rest);
  if (command === 'validate') return validateCommand(rest);
  if (command === 'replay') return replayCommand(rest);
  if (command === 'export') return exportCommand(rest);
  process.stderr.write(`inferd: unknown command '${command}'\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof InferenceError || (err instanceof Error && 'code' in err) ? (err as Error).message : String((err as Error)?.stack ?? err);
    process.stderr.write(`inferd: ${message}\n`);
    process.exit(err instanceof InferenceError ? 2 : 1);
  },
);
void SERVE_HELP;
