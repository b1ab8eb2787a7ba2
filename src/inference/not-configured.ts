/** What a caller is told when it asks for a part this server was not configured with. */

export const NO_AUDIT =
  'the audit trail is off on this server; set audit.enabled: true in the server config to record predictions';

export const noFeatures = (view: string) =>
  `unknown feature view '${view}': this server has no features config (set features_config or put features.yaml in the model repository)`;
