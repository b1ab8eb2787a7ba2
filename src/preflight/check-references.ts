/**
 * Runs a version's reference requests (`<version>/validation/*.json`) through the inference service, exactly as
 * a V2 JSON request over HTTP would run (decode, validate, schedule, post-process, encode), and compares the
 * answers with the expected outputs.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InferenceService } from '../inference/inference-service.js';
import { decodeInferRequest, encodeInferResponse } from '../protocol/v2-json.js';
import { compareOutputs, parseReferenceCase, VALIDATION_FOLDER, type JsonOutput } from './reference-outputs.js';
import { fail, pass, skip, type ValidationCheck } from './validation-report.js';
import { versionLabel } from '../config/version-label.js';

async function referenceFiles(versionDir: string): Promise<string[]> {
  try {
    return (await readdir(join(versionDir, VALIDATION_FOLDER))).filter((f) => f.endsWith('.json')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The problems of one reference file (empty when its answer matches). */
async function checkFile(
  service: InferenceService,
  model: string,
  version: number,
  path: string,
  label: string,
): Promise<string[]> {
  try {
    const c = parseReferenceCase(await readFile(path, 'utf8'), label);
    const response = await service.infer(decodeInferRequest(c.request, model, versionLabel(version)));
    const outputs = (JSON.parse(encodeInferResponse(response)) as { outputs: JsonOutput[] }).outputs;
    return compareOutputs(outputs, c).map((p) => `${label}: ${p}`);
  } catch (err) {
    return [`${label}: ${(err as Error).message}`];
  }
}

/** The reference-outputs check of one loaded version. */
export async function checkReferenceOutputs(
  service: InferenceService,
  model: string,
  version: number,
  versionDir: string,
): Promise<ValidationCheck> {
  const files = await referenceFiles(versionDir);
  if (!files.length)
    return skip(
      'reference outputs',
      `none shipped: add ${version}/${VALIDATION_FOLDER}/*.json to compare outputs (README, "Validating a model")`,
      version,
    );
  const problems: string[] = [];
  for (const f of files)
    problems.push(
      ...(await checkFile(
        service,
        model,
        version,
        join(versionDir, VALIDATION_FOLDER, f),
        `${VALIDATION_FOLDER}/${f}`,
      )),
    );
  if (problems.length) return fail('reference outputs', problems.join('; '), version);
  return pass(
    'reference outputs',
    `${files.length} reference file${files.length === 1 ? '' : 's'} (${files.join(', ')}): every output within tolerance`,
    version,
  );
}
