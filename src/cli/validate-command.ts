/**
 * `inferd validate MODEL_DIR`: pre-deploy validation for CI pipelines. Prints each check as pass, WARN, FAIL or skip
 * with its reason; exits 0 only when no check failed.
 */
import { validateModel } from '../preflight/validate-model.js';
import type { ValidationReport } from '../preflight/validation-report.js';
import { jsonText, parseCommandArgs, runCommand, STDIO, UsageError, type CommandIo } from './admin-command.js';

export const VALIDATE_HELP = `Usage: inferd validate MODEL_DIR [options]

Checks a model folder before it is deployed, with the same code the server loads models with:
  config             config.yaml / config.pbtxt parses and matches the folder
  versions           the version asked for exists (default: those the model's version_policy selects)
  integrity          the model folder (config, labels) and each version pass the integrity policy
                     (manifest.json, manifest.sig; a file changed or added since signing fails)
  load               each version loads in the runtime
  warm-up            its warm-up requests run: a failing warmup.json fails; a failing request generated from
                     the signature is a WARN (the server serves the version cold; add a warmup.json)
  reference outputs  the requests in <version>/validation/*.json answer the expected outputs within tolerance

Exit codes: 0 no check failed (warnings allowed), 1 a check failed, 2 a mistake in the command line.

Options:
  --version V          validate version V only
  --integrity MODE     off | checksum | signed (default: off)
  --trusted-key FILE   ed25519 public key (PEM) trusted for signed manifests (repeatable; needed with signed)
  --features-config F  features config for a feature-backed model (default: features.yaml beside the model folder)
  --json               print the report as JSON
  -h, --help           show this help

Reference file (<version>/validation/NAME.json):
  {"request": {"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 64], "data": [...]}]},
   "expected": {"outputs": [{"name": "label", "data": [3]}, {"name": "logits", "shape": [1, 10], "data": [...]}]},
   "tolerance": {"absolute": 1e-4, "relative": 1e-4}}

Example:
  inferd validate models/digits --integrity signed --trusted-key keys/release.pub
`;

const OPTIONS = {
  version: { type: 'string' },
  integrity: { type: 'string' },
  'trusted-key': { type: 'string', multiple: true },
  'features-config': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function reportText(r: ValidationReport): string {
  const lines = [`validating model '${r.model}' (${r.dir})`];
  for (const c of r.checks) {
    const mark = c.status === 'fail' ? 'FAIL' : c.status === 'warn' ? 'WARN' : c.status;
    // One line per check (multi-line reasons, such as a config's list of problems, are joined) so CI logs grep well.
    const detail = c.detail
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ');
    lines.push(`  ${mark}  ${c.check}${c.version === undefined ? '' : ` (version ${c.version})`}: ${detail}`);
  }
  const failed = r.checks.filter((c) => c.status === 'fail').length;
  lines.push(
    r.ok
      ? `model '${r.model}' is valid`
      : `model '${r.model}' is NOT valid: ${failed} check${failed === 1 ? '' : 's'} failed`,
  );
  return `${lines.join('\n')}\n`;
}

function integrityMode(value: string | undefined, keys: readonly string[]): 'off' | 'checksum' | 'signed' {
  const mode = value ?? 'off';
  if (mode !== 'off' && mode !== 'checksum' && mode !== 'signed')
    throw new UsageError(`--integrity must be off, checksum or signed, got '${mode}'`);
  if (mode === 'signed' && keys.length === 0)
    throw new UsageError(
      `--integrity signed needs --trusted-key FILE (an ed25519 public key; 'inferd keygen' makes a pair)`,
    );
  return mode;
}

/** `inferd validate`: resolves with the exit code. */
export function validateCommand(args: string[], io: CommandIo = STDIO): Promise<number> {
  return runCommand('validate', io, async () => {
    const { values, positionals } = parseCommandArgs({ args, options: OPTIONS, allowPositionals: true });
    if (values.help) {
      io.out(VALIDATE_HELP);
      return 0;
    }
    if (positionals.length !== 1)
      throw new UsageError(
        positionals.length
          ? `give one model folder, got ${positionals.length}`
          : 'give the model folder to validate, e.g. inferd validate models/digits',
      );
    const version = values.version === undefined ? undefined : Number(values.version);
    if (version !== undefined && !(Number.isInteger(version) && version > 0))
      throw new UsageError(`--version must be a positive integer, got '${values.version}'`);
    const keys = values['trusted-key'] ?? [];
    const report = await validateModel({
      dir: positionals[0],
      version,
      integrity: integrityMode(values.integrity, keys),
      trustedKeys: keys,
      featuresConfig: values['features-config'],
    });
    io.out(values.json ? jsonText(report) : reportText(report));
    return report.ok ? 0 : 1;
  });
}
