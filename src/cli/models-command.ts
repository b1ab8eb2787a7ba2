/**
 * `inferd models list|load|unload`: the model repository API of a running server
 * (`POST /v2/repository/index`, `.../models/{m}/load`, `.../models/{m}/unload`).
 */
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP, type AdminClient } from './admin-client.js';
import {
  clientOf,
  jsonText,
  parseCommandArgs,
  runCommand,
  STDIO,
  UsageError,
  type CommandIo,
} from './admin-command.js';
import { textTable } from './text-table.js';

export const MODELS_HELP = `Usage: inferd models <command> [NAME] [options]

Lists, loads and unloads the models of a running inferd server.

Commands:
  list           every model in the repository with each version's state (--ready: only READY ones)
  load NAME      load or reload a model; waits until its versions are READY (explicit model-control mode)
  unload NAME    stop serving a model: queued requests are answered first (explicit model-control mode)

Options:
  --ready          list: only models and versions that are READY
${ADMIN_OPTIONS_HELP}

Loading and unloading need the server in explicit model-control mode (inferd serve --model-control-mode explicit)
and, with auth on, credentials with the 'admin' scope.

Examples:
  inferd models list
  inferd models load digits --url http://10.0.0.5:8000 --api-key "$KEY"
`;

interface IndexEntry {
  readonly name: string;
  readonly version?: string;
  readonly state: string;
  readonly reason?: string;
}

async function index(client: AdminClient, ready: boolean): Promise<IndexEntry[]> {
  return (await client.post('/v2/repository/index', ready ? { ready: true } : {})) as IndexEntry[];
}

function entriesText(entries: readonly IndexEntry[]): string {
  if (!entries.length) return 'no models\n';
  return textTable(
    ['MODEL', 'VERSION', 'STATE', 'REASON'],
    entries.map((e) => [e.name, e.version ?? '-', e.state, e.reason ?? '']),
  );
}

function modelName(positionals: readonly string[], command: string): string {
  const [name, ...extra] = positionals;
  if (!name) throw new UsageError(`'models ${command}' needs a model name, e.g. inferd models ${command} digits`);
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  return name;
}

/** `inferd models ...`: resolves with the exit code. */
export function modelsCommand(args: string[], io: CommandIo = STDIO): Promise<number> {
  return runCommand('models', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...ADMIN_OPTIONS, ready: { type: 'boolean' } },
      allowPositionals: true,
    });
    const [command, ...rest] = positionals;
    if (values.help || command === undefined) {
      (values.help ? io.out : io.err)(MODELS_HELP);
      return values.help ? 0 : 2;
    }
    const client = clientOf(values);
    if (command === 'list') {
      if (rest.length) throw new UsageError(`'models list' takes no argument, got '${rest[0]}'`);
      const entries = await index(client, values.ready === true);
      io.out(values.json ? jsonText(entries) : entriesText(entries));
      return 0;
    }
    if (command !== 'load' && command !== 'unload')
      throw new UsageError(`unknown command 'models ${command}': use list, load or unload`);
    const name = modelName(rest, command);
    await client.post(`/v2/repository/models/${encodeURIComponent(name)}/${command}`);
    const entries = (await index(client, false)).filter((e) => e.name === name);
    if (values.json) io.out(jsonText({ model: name, action: command, versions: entries }));
    else io.out(`model '${name}' ${command === 'load' ? 'loaded' : 'unloaded'}\n${entriesText(entries)}`);
    return 0;
  });
}
