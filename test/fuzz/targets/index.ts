/** Every fuzz target, in the order `npm run fuzz` runs them. */
import type { FuzzTarget } from '../harness.js';

/** Loads targets lazily (some build their seed corpus with sharp at import). */
export const TARGETS: Readonly<Record<string, () => Promise<FuzzTarget>>> = {
  container: async () => (await import('./container.js')).containerTarget as FuzzTarget,
  graph: async () => (await import('./graph.js')).graphTarget as FuzzTarget,
  y4m: async () => (await import('./y4m.js')).y4mTarget as FuzzTarget,
  pack: async () => (await import('./pack.js')).packTarget as FuzzTarget,
  model: async () => (await import('./model.js')).modelTarget as FuzzTarget,
  image: async () => (await import('./image.js')).imageTarget as FuzzTarget,
  detect: async () => (await import('./detect.js')).detectTarget as FuzzTarget,
};
