import { ModelFormatError } from './model-format-error.js';

/** How margins become predictions. */
export type OutputTransform = 'identity' | 'sigmoid' | 'exp' | 'hinge' | 'softmax' | 'argmax';

/** How the stored `base_score` (prediction space) becomes a margin (XGBoost's ProbToMargin). */
export type BaseScoreLink = 'identity' | 'logit' | 'log';

/** A supported XGBoost objective. */
export interface Objective {
  readonly name: string;
  readonly transform: OutputTransform;
  readonly link: BaseScoreLink;
  readonly isClassifier: boolean;
  /** True for objectives whose margins are one per class (multi:*). */
  readonly multiclass: boolean;
}

type Spec = Omit<Objective, 'name'>;

const REGRESSION: Spec = { transform: 'identity', link: 'identity', isClassifier: false, multiclass: false };
const LOG_LINK: Spec = { transform: 'exp', link: 'log', isClassifier: false, multiclass: false };

const OBJECTIVES: ReadonlyMap<string, Spec> = new Map<string, Spec>([
  ['binary:logistic', { transform: 'sigmoid', link: 'logit', isClassifier: true, multiclass: false }],
  ['binary:logitraw', { transform: 'identity', link: 'identity', isClassifier: true, multiclass: false }],
  ['binary:hinge', { transform: 'hinge', link: 'identity', isClassifier: true, multiclass: false }],
  ['reg:logistic', { transform: 'sigmoid', link: 'logit', isClassifier: false, multiclass: false }],
  ['multi:softprob', { transform: 'softmax', link: 'identity', isClassifier: true, multiclass: true }],
  ['multi:softmax', { transform: 'argmax', link: 'identity', isClassifier: true, multiclass: true }],
  ['reg:squarederror', REGRESSION],
  ['reg:linear', REGRESSION],
  ['reg:squaredlogerror', REGRESSION],
  ['reg:pseudohubererror', REGRESSION],
  ['reg:absoluteerror', REGRESSION],
  ['count:poisson', LOG_LINK],
  ['reg:gamma', LOG_LINK],
  ['reg:tweedie', LOG_LINK],
]);

/** Names of all supported objectives. */
export const SUPPORTED_OBJECTIVES: readonly string[] = [...OBJECTIVES.keys()];

/**
 * Looks up an XGBoost objective by name.
 * @throws ModelFormatError (reported at `path`) for unsupported objectives.
 */
export function resolveObjective(name: string, path: string): Objective {
  const spec = OBJECTIVES.get(name);
  if (spec === undefined) {
    throw new ModelFormatError(path, `unsupported objective "${name}" (supported: ${SUPPORTED_OBJECTIVES.join(', ')})`);
  }
  return { name, ...spec };
}

/**
 * Converts a stored base_score to a float32 margin the way XGBoost 1.x's
 * `ObjFunction::ProbToMargin` does (float arithmetic).
 */
export function baseScoreToMargin(objective: Objective, baseScore: number, path: string): number {
  const p = Math.fround(baseScore);
  if (objective.link === 'logit') {
    if (!(p > 0 && p < 1))
      throw new ModelFormatError(path, `base_score ${baseScore} must be in (0, 1) for ${objective.name}`);
    return Math.fround(-Math.log(Math.fround(Math.fround(1 / p) - 1)));
  }
  if (objective.link === 'log') {
    if (!(p > 0)) throw new ModelFormatError(path, `base_score ${baseScore} must be positive for ${objective.name}`);
    return Math.fround(Math.log(p));
  }
  return p;
}
