/** The retraining trigger: a JSON POST to the model's drift webhook, with a timeout. */
import type { DriftWebhookConfig } from '../config/drift-config.js';

/** POSTs `body`; resolves with the HTTP status, rejects on a network error or timeout. */
export async function postDriftWebhook(webhook: DriftWebhookConfig, body: unknown): Promise<number> {
  const res = await fetch(webhook.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'inferd-drift' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(webhook.timeoutMs),
  });
  await res.arrayBuffer(); // free the connection
  return res.status;
}
