/** The feedback store beside the prediction log the `audit:` config names. */
import { resolve } from 'node:path';
import type { AuditConfig } from '../config/audit-config.js';
import type { FeedbackStore } from './feedback-store.js';
import { PostgresFeedbackStore } from './feedback-store-postgres.js';
import { SqliteFeedbackStore } from './feedback-store-sqlite.js';

/** Not started. `mustExist`: an SQLite file that is not there is an error (the commands that only read the log). */
export function createFeedbackStore(audit: AuditConfig, options: { readonly mustExist?: boolean } = {}): FeedbackStore {
  if (audit.store === 'postgres') return new PostgresFeedbackStore({ url: audit.url!, schema: audit.postgresSchema });
  return new SqliteFeedbackStore({ path: audit.path === ':memory:' ? audit.path : resolve(audit.path), mustExist: options.mustExist });
}
