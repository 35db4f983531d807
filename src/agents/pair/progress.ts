/** Live progress of a pair run, and the words a progress display shows for each step. */
import type { AgentOutcome, AgentStepEvent } from '../agent-loop.js';
import type { Checkpoint } from '../checkpoint.js';
import { summarizeRun, type SuiteRun } from '../run-suite.js';

/**
 * Live progress: emitted when a step starts and ends, after every model answer and tool call, and when a
 * test run starts (`message` says what is going on), so a display can show what a long step is waiting for.
 */
export interface PairProgress {
  phase: Checkpoint['phase'];
  cycle: number;
  /** 0-based index of the criterion being worked. */
  criterion: number;
  criteria: number;
  /** Passing and failing test cases of the last test run (0 without per-test results). */
  passing: number;
  failing: number;
  /** Model tokens used so far (input + output, across restarts). */
  tokens: number;
  /** Wall time across restarts, in ms. */
  elapsedMs: number;
  message: string;
}

/** What a step is doing when it starts. */
export const STEP_START: Partial<Record<Checkpoint['phase'], string>> = {
  red: 'tester writing a failing test',
  green: 'developer making the tests pass',
  refactor: 'developer refactoring',
  final: 'final full run',
};

/** The progress record of a checkpoint, the last test run and the usage so far. */
export function progressOf(
  cp: Pick<Checkpoint, 'phase' | 'cycle' | 'criterion' | 'criteria'>,
  lastRun: SuiteRun | null,
  tokens: number,
  elapsedMs: number,
  message: string,
): PairProgress {
  const summary = lastRun ? summarizeRun(lastRun) : { passed: 0, failed: 0 };
  return {
    phase: cp.phase,
    cycle: cp.cycle,
    criterion: cp.criterion,
    criteria: cp.criteria.length,
    passing: summary.passed,
    failing: summary.failed,
    tokens,
    elapsedMs,
    message,
  };
}

/** One progress line for an agent loop event: a model answer, a repair, or a tool call. */
export function describeStep(e: AgentStepEvent): string {
  if (e.kind === 'agent.model_call') {
    const calls = Array.isArray(e.data.toolCalls) ? e.data.toolCalls.join(', ') : '';
    return `${e.role}: model answered${calls ? ` (${calls})` : ''}`;
  }
  if (e.kind === 'agent.repair') {
    return `${e.role}: invalid answer, asking again`;
  }
  const path = typeof e.data.path === 'string' ? ` ${e.data.path}` : '';
  return `${e.role}: ${String(e.data.tool)}${path}`;
}

/** Why an agent attempt ended without a result, in words for the diagnosis and the next attempt. */
export function describeOutcome(outcome: AgentOutcome<unknown>): string {
  if (outcome.kind === 'loop') {
    return `the agent repeated the same ${outcome.call} call; phase ended`;
  }
  return outcome.kind === 'step_limit'
    ? `the agent did not finish within ${outcome.steps} steps`
    : 'finished';
}
