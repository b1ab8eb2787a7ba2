/**
 * Priority overload benchmark: `node dist/bench/overload-priorities.js [factor] [seconds]` (default 3× capacity
 * for 30 s). Starts a built inferd serving a copy of mlp_heavy (64-row requests) with three priority levels, measures its capacity
 * closed-loop, drives it open-loop at `factor` × capacity with 10 % high, 30 % middle and 60 % low priority, and
 * prints per priority: answered, refused (503) and their latencies, against the unloaded p99.
 */
import { installCleanup } from './children.js';
import { runOverloadScenario } from './priority-load.js';

installCleanup(() => {});
const factor = Number(process.argv[2] ?? 3);
const durationS = Number(process.argv[3] ?? 30);
const r = await runOverloadScenario({ factor, durationS, probeS: 3, log: (l) => process.stderr.write(`${l}\n`) });

const pad = (v: unknown, n: number) => String(v).padStart(n);
console.log(
  `\ncapacity ${r.capacityRps} req/s; offered ${r.offeredRps} req/s (${factor}×) for ${durationS} s; unloaded p50 ${r.unloadedP50Ms} ms, p99 ${r.unloadedP99Ms} ms\n`,
);
console.log(
  [
    'priority',
    'sent',
    '200',
    '503',
    'other',
    'success %',
    '200 p50 ms',
    '200 p99 ms',
    'p99 / unloaded',
    '503 p50 ms',
    '503 p99 ms',
  ]
    .map((h, i) => pad(h, i ? 11 : 8))
    .join(' '),
);
for (const l of r.levels) {
  const share = l.sent ? ((100 * l.ok) / l.sent).toFixed(1) : '-';
  const ratio = r.unloadedP99Ms > 0 && l.ok ? (l.okP99Ms / r.unloadedP99Ms).toFixed(2) : '-';
  console.log(
    [
      pad(l.priority, 8),
      ...[l.sent, l.ok, l.refused, l.other, share, l.okP50Ms, l.okP99Ms, ratio, l.refusedP50Ms, l.refusedP99Ms].map(
        (v) => pad(v, 11),
      ),
    ].join(' '),
  );
}
console.log(
  `\nRSS start ${r.rssStartMb} MB, max ${r.rssMaxMb} MB, end ${r.rssEndMb} MB; alive after: ${r.aliveAfter}; /v2/health/ready after: ${r.healthAfter}`,
);
console.log(
  `inferd_shed_total: ${
    Object.entries(r.shed)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ') || '(none)'
  }`,
);
