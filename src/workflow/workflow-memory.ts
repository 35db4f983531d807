/**
 * The workflow's side of project memory: writing what happened (through `deps.memory`, which is absent
 * when the server runs without memory) and scheduling the code index. Memory is best effort: nothing here
 * fails the step that calls it (`ProjectMemory.remember` logs its own failures once; a failed enqueue
 * is logged here).
 */
import type { RepoPolicy } from '../config/repo-policy.js';
import {
  memoryScope,
  type MemoryInput,
  type MemoryScope,
  type ProjectMemory,
} from '../memory/project-memory.js';
import type { Recalled } from '../memory/recall.js';
import type { WorkflowDeps } from './workflow-deps.js';

/** Writes memories of the repository when memory is on for it; never throws. */
export async function remember(
  deps: Pick<WorkflowDeps, 'memory'>,
  repositoryId: number,
  policy: RepoPolicy,
  inputs: readonly MemoryInput[],
): Promise<void> {
  if (deps.memory === undefined || !policy.memory.enabled || inputs.length === 0) {
    return;
  }
  await deps.memory.remember(memoryScope(repositoryId, policy), inputs);
}

/**
 * Adds a `memory-index` job for the repository (deduplicated: a burst of pushes is one job) when memory
 * is on for it; never throws.
 */
export async function enqueueCodeIndex(
  deps: Pick<WorkflowDeps, 'memory' | 'enqueue' | 'logger'>,
  repositoryId: number,
  policy: RepoPolicy,
): Promise<void> {
  if (deps.memory === undefined || !policy.memory.enabled) {
    return;
  }
  try {
    await deps.enqueue.enqueue(
      'memory-index',
      { repositoryId },
      { dedupe: { id: `memory-index-${repositoryId}` }, priority: 10 },
    );
  } catch (error) {
    deps.logger.warn(
      { repositoryId, err: error instanceof Error ? error.message : String(error) },
      'memory: could not schedule the code index',
    );
  }
}

/**
 * Tokens each agent's recalled sections may take in its prompt: enough for a handful of memories next to
 * the repository map and the spec, small beside the 16k context of the default local models.
 */
export const RECALL_BUDGET_TOKENS = { pm: 1_500, architect: 2_500, pair: 2_000 } as const;

/**
 * Runs one recall (`recallForPm`, `recallForArchitect`, `recallForPair`) when memory is on for the
 * repository and answers its text ('' otherwise). A failing recall (the database, say) is logged and
 * answers '': an agent without memories still does its work.
 */
export async function recallText(
  deps: Pick<WorkflowDeps, 'memory' | 'logger'>,
  repositoryId: number,
  policy: RepoPolicy,
  recall: (memory: ProjectMemory, scope: MemoryScope) => Promise<Recalled>,
): Promise<string> {
  if (deps.memory === undefined || !policy.memory.enabled) {
    return '';
  }
  try {
    return (await recall(deps.memory, memoryScope(repositoryId, policy))).text;
  } catch (error) {
    deps.logger.warn(
      { repositoryId, err: error instanceof Error ? error.message : String(error) },
      'memory: recall failed, the agent goes on without it',
    );
    return '';
  }
}
