/**
 * The pair engine's public entry point. The engine lives in `./pair/` (one file per phase, the boundary
 * guard, the background push, progress and budgets); this module keeps the import path callers use.
 */
export { runPair } from './pair/run-pair.js';
export type { PairProgress } from './pair/progress.js';
export type { PairSandbox, PairWorkspace, RunPairOptions } from './pair/run-pair-options.js';
