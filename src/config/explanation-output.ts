/**
 * The output that carries per-prediction explanations (TreeSHAP); computed only when asked for. A file of its
 * own, with no imports, because model workers read it: importing the config module would compile its schemas in
 * every worker a load starts.
 */
export const EXPLANATION_OUTPUT = 'treeshap_output';
