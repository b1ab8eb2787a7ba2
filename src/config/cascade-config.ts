/**
 * A cascade, declared under `cascade:` in a model folder's `config.yaml` (the folder holds no version folders):
 * the cheap model answers when its confidence passes the threshold, else the expensive one does.
 *
 * ```yaml
 * cascade:
 *   cheap: breast_cancer_xgb
 *   expensive: breast_cancer
 *   rule: { kind: max_probability, output: probabilities, threshold: 0.98 }
 *   # classifiers: max_probability | margin (top two scores apart); over `output` (scores per class)
 *   # regressors:  { kind: interval_width, lower: q05, upper: q95, max_width: 3.0 }  (outputs of the cheap model,
 *   #              or of `interval_model`, a quantile model given the same inputs)
 *   #              { kind: expression, expression: "abs(value[0]) < 10", variables: [value] }  (1: confident)
 * ```
 */
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

export type CascadeRule =
  | { readonly kind: 'max_probability' | 'margin'; readonly output: string; readonly threshold: number }
  | {
      readonly kind: 'interval_width';
      readonly lower: string;
      readonly upper: string;
      readonly maxWidth: number;
      readonly intervalModel?: string;
    }
  | { readonly kind: 'expression'; readonly expression: string };

export interface CascadeConfig {
  readonly cheap: string;
  readonly expensive: string;
  readonly rule: CascadeRule;
}

const name = z.string().min(1).max(128);
const ruleSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.enum(['max_probability', 'margin']),
    output: z.string().min(1).default('probabilities'),
    threshold: z.number().min(0).max(1),
  }),
  z.strictObject({
    kind: z.literal('interval_width'),
    lower: z.string().min(1),
    upper: z.string().min(1),
    max_width: z.number().min(0),
    interval_model: name.optional(),
  }),
  z.strictObject({ kind: z.literal('expression'), expression: z.string().min(1).max(4096) }),
]);
const cascadeSchema = z.strictObject({ cheap: name, expensive: name, rule: ruleSchema });

export function parseCascadeConfig(raw: unknown, file: string): CascadeConfig {
  const parsed = cascadeSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(`${file}: invalid cascade (see docs/cascade.md):\n${z.prettifyError(parsed.error)}`);
  const { cheap, expensive, rule } = parsed.data;
  if (cheap === expensive)
    throw new ConfigError(`${file}: cascade cheap and expensive are both '${cheap}'; name two different models`);
  if (rule.kind === 'interval_width')
    return {
      cheap,
      expensive,
      rule: {
        kind: rule.kind,
        lower: rule.lower,
        upper: rule.upper,
        maxWidth: rule.max_width,
        ...(rule.interval_model ? { intervalModel: rule.interval_model } : {}),
      },
    };
  return { cheap, expensive, rule };
}
