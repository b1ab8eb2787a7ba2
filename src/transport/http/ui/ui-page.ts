/**
 * The dashboard's one HTML page: the vendored modules named in an import map (so the page's modules import
 * 'preact', 'htm' and '@preact/signals' by name), uPlot as a classic script, and a Content-Security-Policy that
 * lets the page reach nothing but its own origin.
 */
import { createHash } from 'node:crypto';
import { APP_FILES } from './ui-assets.js';

/** The modules the page imports, fetched side by side from the start instead of one import level at a time. */
const MODULES = [
  'vendor/preact.mjs',
  'vendor/hooks.mjs',
  'vendor/htm.mjs',
  'vendor/signals.mjs',
  'vendor/signals-core.mjs',
];

export interface UiPage {
  readonly html: string;
  readonly csp: string;
}

/** The page served at `base` (e.g. /ui). */
export function uiPage(base: string): UiPage {
  const importMap = JSON.stringify({
    imports: {
      preact: `${base}/vendor/preact.mjs`,
      'preact/hooks': `${base}/vendor/hooks.mjs`,
      htm: `${base}/vendor/htm.mjs`,
      '@preact/signals': `${base}/vendor/signals.mjs`,
      '@preact/signals-core': `${base}/vendor/signals-core.mjs`,
    },
  });
  const mapHash = createHash('sha256').update(importMap).digest('base64');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>inferd dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/vendor/uPlot.min.css">
<link rel="stylesheet" href="${base}/app/style.css">
<script type="importmap">${importMap}</script>
<script src="${base}/vendor/uPlot.iife.min.js"></script>
${[...MODULES, ...APP_FILES.filter((f) => f.endsWith('.js')).map((f) => `app/${f}`)]
  .map((m) => `<link rel="modulepreload" href="${base}/${m}">`)
  .join('\n')}
<script type="module" src="${base}/app/app.js"></script>
</head>
<body data-base="${base}">
<noscript>The dashboard needs JavaScript.</noscript>
<div id="root"></div>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${mapHash}'`,
    "style-src 'self' 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}
