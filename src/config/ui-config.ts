/**
 * The `ui:` block of the server config: the live dashboard on the HTTP port (README "Dashboard").
 *
 * ```yaml
 * ui:
 *   enabled: true      # false: no /ui route at all (404)
 *   path: /ui          # where the page, its assets and its event stream are served
 *   interval_ms: 2000  # how often the stream pushes a snapshot (events are pushed at once)
 * ```
 */
import { z } from 'zod';

export const uiConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  path: z
    .string()
    .regex(
      /^\/[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/,
      'a path such as /ui or /ops/dashboard: lower-case letters, digits, - and _, no trailing slash',
    )
    .refine((p) => !/^\/(v1|v2|metrics)(\/|$)/.test(p), 'the path may not be under /v1, /v2 or /metrics (the API)')
    .default('/ui'),
  interval_ms: z.number().int().min(100).max(60_000).default(2000),
});

export interface UiConfig {
  readonly enabled: boolean;
  /** Starts with '/', no trailing slash. */
  readonly path: string;
  /** Milliseconds between two snapshots on the stream. */
  readonly intervalMs: number;
}

export function toUiConfig(u: z.output<typeof uiConfigSchema>): UiConfig {
  return Object.freeze({ enabled: u.enabled, path: u.path, intervalMs: u.interval_ms });
}
