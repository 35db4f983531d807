/**
 * One agent attempt of a phase: the repository map, the tools over the workspace and sandbox, the phase
 * prompt, the attempt's temperature, and the agent loop with the run's limits. The conversation id comes
 * from the checkpoint's counters, so a resumed attempt continues the same conversation.
 */
import type { ZodType } from 'zod';
import type { PairRole } from '../agent-models.js';
import { runAgent, type AgentOutcome } from '../agent-loop.js';
import type { ToolContext } from '../agent-tools.js';
import { phasePrompt } from '../prompts.js';
import { buildRepoMap } from '../repo-map.js';
import type { PairRun } from './pair-run.js';
import { describeStep } from './progress.js';
import { attemptTemperature, withTemperature } from './temperature.js';

/** What one phase asks of its agent. */
export interface PhaseAsk<T> {
  role: PairRole;
  /** The role's system prompt. */
  system: string;
  /** The phase's result schema (the `finish` tool's parameters). */
  schema: ZodType<T>;
  /** The task line of the user prompt. */
  task: string;
  /** 0-based sample of this attempt (several samples per attempt: `green-phase.ts`). */
  sample?: number;
}

/** The tools of a phase attempt over the run's workspace and sandbox. */
export function phaseTools(run: PairRun, role: PairRole, files: readonly string[]): ToolContext {
  const { workspace, sandbox, policy } = run.o;
  return {
    role,
    testGlobs: policy.sandbox.testGlobs,
    ...(run.o.protectedPaths ? { protectedPaths: run.o.protectedPaths } : {}),
    files: sandbox,
    listFiles: (dir) => workspace.listFiles(dir),
    repoMap: () => phaseMap(run, files),
    runTests: (options) => run.suite(options?.argv),
    testCommand: policy.sandbox.test,
    // The agent's own commands run under the run's abort signal and disk limit, like the engine's.
    runCommand: (argv, options) =>
      sandbox.exec(argv, {
        ...options,
        ...(run.o.signal ? { signal: run.o.signal } : {}),
        ...run.diskLimit(),
      }),
    commandTimeoutMs: policy.sandbox.commandTimeoutSeconds * 1000,
    ...(run.o.searchMemory ? { searchMemory: run.o.searchMemory } : {}),
  };
}

/**
 * The repository map of a phase, ranked towards the ticket: its title, description and criteria, and the
 * Architect's likely files as the files to start from.
 */
export function phaseMap(run: PairRun, files: readonly string[]): Promise<string> {
  const { ticket, sandbox } = run.o;
  const text = [ticket.title, ticket.description, ...ticket.acceptanceCriteria].join('\n');
  return buildRepoMap(files, (p) => sandbox.readFile(p), {
    focus: { text, ...(ticket.likelyFiles ? { files: ticket.likelyFiles } : {}) },
  });
}

/**
 * The conversation id of the current attempt, from the checkpoint only (so a resumed attempt continues
 * it): `<job>/<phase>-<cycle>[.d<disputes>]/<escalations>.<attempts>[.s<sample>]`. A cycle's dispute count
 * and a sample after the first make a new conversation: the test or the sample differs.
 */
export function conversationId(run: PairRun, sample = 0): string {
  const { cp } = run;
  const disputes = cp.disputes.filter((d) => d.cycle === cp.cycle).length;
  const round = disputes > 0 ? `.d${disputes}` : '';
  const tail = sample > 0 ? `.s${sample}` : '';
  return `${run.o.jobId}/${cp.phase}-${cp.cycle}${round}/${cp.escalations.length}.${cp.attempts}${tail}`;
}

/** Runs one agent attempt for the current phase. Model errors (budget, provider) propagate. */
export async function runPhaseAgent<T>(run: PairRun, ask: PhaseAsk<T>): Promise<AgentOutcome<T>> {
  const { o, cp } = run;
  const files = await o.workspace.listFiles();
  const map = await phaseMap(run, files);
  const sample = ask.sample ?? 0;
  const base = o.models.settings?.(ask.role).temperature;
  const temperature = attemptTemperature(cp.attempts, sample, base);
  await run.event('pair.agent_started', {
    role: ask.role,
    phase: cp.phase,
    attempt: cp.attempts + 1,
    sample: sample + 1,
    alias: o.models.alias(ask.role),
    temperature,
  });
  return runAgent({
    models: withTemperature(o.models, temperature),
    role: ask.role,
    step: `${cp.phase}-${cp.cycle}`,
    conversation: conversationId(run, sample),
    system: ask.system,
    user: phasePrompt(o.ticket, cp, ask.task, map),
    tools: phaseTools(run, ask.role, files),
    resultSchema: ask.schema,
    maxSteps: o.maxSteps ?? 24,
    loopLimit: o.loopLimit ?? 3,
    onEvent: (e) => {
      run.progress(describeStep(e));
      return run.event(e.kind, { role: e.role, step: e.step, ...e.data });
    },
    ...(o.signal ? { signal: o.signal } : {}),
  });
}
