import type { VersionPolicy } from '../config/index.js';

/** The versions a policy selects from those present, in ascending order. Pure. */
export function selectVersions(available: readonly number[], policy: VersionPolicy): number[] {
  const sorted = [...available].sort((a, b) => a - b);
  switch (policy.kind) {
    case 'all':
      return sorted;
    case 'latest':
      return sorted.slice(Math.max(0, sorted.length - policy.numVersions));
    case 'specific':
      return sorted.filter((v) => policy.versions.includes(v));
  }
}
