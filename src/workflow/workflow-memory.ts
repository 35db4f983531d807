/**
 * The workflow's side of project memory: writing what happened (through `deps.memory`, which is absent
 * when the server runs without memory) and scheduling the code index. Memory is best effort: nothing here
 * fails the step that calls it (`ProjectMemory.remember` logs its own failures once; a failed enqueue
 * is logged here).
 */
import type { RepoPolicy } from '../config/repo-policy.js';
import { memoryScope, type MemoryInput } from '../memory/project-memory.js';
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
