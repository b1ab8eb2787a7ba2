/**
 * Messages about a model are shown to clients (load answers, the repository index, readiness, inference errors):
 * they name files relative to the model repository, never by their absolute path. Messages built deep down (the
 * ONNX runtime's "Load model from /srv/models/m/1/model.onnx failed", a config parser's error) are rewritten here,
 * once, where the registry records or throws them.
 */
import { realpathSync } from 'node:fs';
import { sep } from 'node:path';

/** Rewrites a message so that no path under `root` (as given or as resolved on disk) appears absolute. */
export function repositoryRelative(root: string): (message: string) => string {
  const roots = new Set([root]);
  try {
    roots.add(realpathSync(root));
  } catch {
    // a repository that cannot be resolved: rewrite the path as given
  }
  // Longest first, so a root that contains another (a symlink's target under it) is rewritten whole.
  const ordered = [...roots].filter((r) => r.length > 1).sort((a, b) => b.length - a.length);
  return (message) => {
    let out = message;
    for (const r of ordered)
      out = out
        .split(r + sep)
        .join('')
        .split(r)
        .join('the model repository');
    return out;
  };
}

/** The same error with its message rewritten by `rewrite` (typed errors keep their class and code). */
export function rewriteMessage(err: unknown, rewrite: (message: string) => string): unknown {
  if (err instanceof Error) {
    const message = rewrite(err.message);
    if (message !== err.message) err.message = message;
  }
  return err;
}
