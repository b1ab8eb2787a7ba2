/**
 * `inferd rollout start|status|pause|resume|promote|abort MODEL`: the canary rollout API of a running server
 * (`/v1/models/{m}/rollouts...`, `/v1/models/{m}/events`).
 */
import { ADMIN_OPTIONS, ADMIN_OPTIONS_HELP, AdminRequestError, type AdminClient } from './admin-client.js';
import {
  clientOf,
  jsonText,
  parseCommandArgs,
  runCommand,
  STDIO,
  UsageError,
  type CommandIo,
} from './admin-command.js';
import {
  eventsText,
  isActive,
  rolloutsTable,
  rolloutText,
  type EventJson,
  type RolloutJson,
} from './rollout-format.js';
import { CHECK_NAMES, rolloutBody, START_OPTIONS } from './rollout-spec-args.js';

export const ROLLOUT_HELP = `Usage: inferd rollout <command> MODEL [ROLLOUT_ID] [options]

Runs automated canary rollouts on a running inferd server: the candidate version takes a rising share of the
model's traffic, step by step; at each step the server compares it with the stable version and rolls it back at
once when a check fails.

Commands:
  start MODEL      start a rollout (--spec FILE.json and/or the flags below)
  status MODEL     the model's rollouts: the active one in detail with its events, then every rollout
                   (with ROLLOUT_ID: that one)
  pause MODEL      hold the current step; the analysis stops deciding
  resume MODEL     carry on from the current step (its interval restarts)
  promote MODEL    send all traffic to the candidate now
  abort MODEL      send all traffic back to the stable version now
  pause, resume, promote and abort act on the model's active rollout, or on ROLLOUT_ID when given.

Options of start (flags win over the spec file):
  --spec FILE            the rollout as JSON, as POST /v1/models/{m}/rollouts takes it (README, "Canary rollouts")
  --candidate N          the version rolled out
  --stable N             the version compared with and rolled back to (default: the one taking most traffic)
  --steps LIST           candidate weights in percent, rising (default: 5,25,50,100)
  --interval DURATION    how long each step lasts before it is judged, with its unit (ms, s, m, h): 90s, 5m,
                         1500ms; a bare number is refused (default: 60s)
  --checks LIST          checks to run, with the server's default thresholds: ${CHECK_NAMES.join(', ')}
  --min-samples N        requests per version each check needs before it judges
  --shadow-sample-rate R mirror this share (0..1) of the stable version's requests to the candidate
${ADMIN_OPTIONS_HELP}

Exit codes: 0 done, 1 the server refused (its message is printed), 2 a mistake in the command line.

Examples:
  inferd rollout start digits --candidate 2 --steps 10,50,100 --interval 5m
  inferd rollout status digits
  inferd rollout abort digits
`;

const ACTIONS = ['pause', 'resume', 'promote', 'abort'] as const;
type ActionName = (typeof ACTIONS)[number];

const rolloutsPath = (model: string) => `/v1/models/${encodeURIComponent(model)}/rollouts`;

async function list(client: AdminClient, model: string): Promise<RolloutJson[]> {
  return ((await client.get(rolloutsPath(model))) as { rollouts: RolloutJson[] }).rollouts;
}

async function eventsOf(client: AdminClient, model: string, rollout: string): Promise<EventJson[]> {
  const { events } = (await client.get(`/v1/models/${encodeURIComponent(model)}/events`)) as { events: EventJson[] };
  return events.filter((e) => e.rollout === rollout);
}

/** ROLLOUT_ID when given, else the model's active rollout. */
async function targetId(client: AdminClient, model: string, id: string | undefined, action: string): Promise<string> {
  if (id !== undefined) return id;
  const active = (await list(client, model)).find(isActive);
  if (!active)
    throw new AdminRequestError(
      `model '${model}' has no rollout progressing or paused to ${action}; 'inferd rollout status ${model}' lists its rollouts`,
    );
  return active.id;
}

async function status(
  client: AdminClient,
  model: string,
  id: string | undefined,
  json: boolean,
  io: CommandIo,
): Promise<number> {
  if (id !== undefined) {
    const r = (await client.get(`${rolloutsPath(model)}/${encodeURIComponent(id)}`)) as RolloutJson;
    const events = await eventsOf(client, model, r.id);
    io.out(json ? jsonText({ ...r, events }) : `${rolloutText(r)}events:\n${eventsText(events)}`);
    return 0;
  }
  const rollouts = await list(client, model);
  if (json) {
    io.out(jsonText({ rollouts }));
    return 0;
  }
  if (!rollouts.length) {
    io.out(`model '${model}' has no rollouts; start one with 'inferd rollout start ${model} --candidate N'\n`);
    return 0;
  }
  const shown = rollouts.find(isActive) ?? rollouts[rollouts.length - 1];
  io.out(
    `${rolloutText(shown)}events:\n${eventsText(await eventsOf(client, model, shown.id))}\nall rollouts of '${model}':\n${rolloutsTable(rollouts)}`,
  );
  return 0;
}

async function act(
  client: AdminClient,
  model: string,
  id: string | undefined,
  action: ActionName,
  json: boolean,
  io: CommandIo,
): Promise<number> {
  const target = await targetId(client, model, id, action);
  const r = (await client.post(`${rolloutsPath(model)}/${encodeURIComponent(target)}/${action}`)) as RolloutJson;
  io.out(json ? jsonText(r) : rolloutText(r));
  return 0;
}

/** `inferd rollout ...`: resolves with the exit code. */
export function rolloutCommand(args: string[], io: CommandIo = STDIO): Promise<number> {
  return runCommand('rollout', io, async () => {
    const { values, positionals } = parseCommandArgs({
      args,
      options: { ...ADMIN_OPTIONS, ...START_OPTIONS },
      allowPositionals: true,
    });
    const [command, model, id, ...extra] = positionals;
    if (values.help || command === undefined) {
      (values.help ? io.out : io.err)(ROLLOUT_HELP);
      return values.help ? 0 : 2;
    }
    const known = command === 'start' || command === 'status' || (ACTIONS as readonly string[]).includes(command);
    if (!known) throw new UsageError(`unknown command 'rollout ${command}': use start, status, ${ACTIONS.join(', ')}`);
    if (model === undefined)
      throw new UsageError(`'rollout ${command}' needs a model name, e.g. inferd rollout ${command} digits`);
    if (extra.length || (command === 'start' && id !== undefined))
      throw new UsageError(`unexpected argument '${extra[0] ?? id}'`);
    const startFlag = Object.keys(START_OPTIONS).find((k) => k in values);
    if (command !== 'start' && startFlag) throw new UsageError(`--${startFlag} is an option of 'rollout start' only`);
    const client = clientOf(values);
    const json = values.json === true;
    if (command === 'status') return status(client, model, id, json, io);
    if (command !== 'start') return act(client, model, id, command as ActionName, json, io);
    const r = (await client.post(rolloutsPath(model), rolloutBody(values))) as RolloutJson;
    io.out(json ? jsonText(r) : `started ${rolloutText(r)}`);
    return 0;
  });
}
