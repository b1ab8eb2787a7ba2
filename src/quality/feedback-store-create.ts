/** The feedback store beside the prediction log the `audit:` config names. */
import { resolve } from 'node:path';
import type { AuditConfig } from '../config/audit-config.js';
import type { FeedbackStore } from './feedback-store.js';
import { PostgresFeedbackStore } from './feedback-store-postgres.js';
import { SqliteFeedbackStore } from './feedback-store-sqlite.js';

/** Where the feedback store is, as plain data (it is sent to the quality worker thread, which opens its own). */
export type FeedbackStoreSpec =
  | { readonly store: 'sqlite'; readonly path: string; readonly mustExist?: boolean | undefined }
  | { readonly store: 'postgres'; readonly url: string; readonly schema: string };

/** `mustExist`: an SQLite file that is not there is an error (the commands that only read the log). */
export function feedbackStoreSpec(
  audit: AuditConfig,
  options: { readonly mustExist?: boolean } = {},
): FeedbackStoreSpec {
  if (audit.store === 'postgres') return { store: 'postgres', url: audit.url!, schema: audit.postgresSchema };
  return {
    store: 'sqlite',
    path: audit.path === ':memory:' ? audit.path : resolve(audit.path),
    mustExist: options.mustExist,
  };
}

/** A store on the calling thread, not started. */
export function openFeedbackStore(spec: FeedbackStoreSpec): FeedbackStore {
  if (spec.store === 'postgres') return new PostgresFeedbackStore({ url: spec.url, schema: spec.schema });
  return new SqliteFeedbackStore({ path: spec.path, mustExist: spec.mustExist });
}

/** Not started, on the calling thread (the export and replay commands). */
export function createFeedbackStore(audit: AuditConfig, options: { readonly mustExist?: boolean } = {}): FeedbackStore {
  return openFeedbackStore(feedbackStoreSpec(audit, options));
}
