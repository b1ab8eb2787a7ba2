#!/usr/bin/env node
/** The `inferd` command. */
import { InferenceError } from '../errors/index.js';
import { VERSION } from '../version.js';
import { SERVE_HELP, serveCommand } from './serve-command.js';

const HELP = `inferd ${VERSION}: an online inference server for ONNX and tree models (Open Inference Protocol V2)

Usage: inferd <command> [options]

Commands:
  serve      serve a model repository over HTTP and gRPC (inferd serve --help for options)

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
