/**
 * How an agent attempt ended, what went wrong with the model's answers on the way, and the words that
 * name the cause in a block reason ("the model answered in text 3 times in a row instead of calling a
 * tool") rather than a step count that hides it.
 */

/** What was wrong with one model answer. */
export type AnswerProblem =
  /** Prose where a tool call or the finish result was expected. */
  | 'text_answer'
  /** A finish result (tool call or JSON answer) that does not match the phase's schema. */
  | 'invalid_finish'
  /** The answer stopped at the output limit, inside or before its tool call. */
  | 'truncated'
  /** A tool call whose JSON could not be read. */
  | 'invalid_call'
  /** A call of a tool that does not exist. */
  | 'unknown_tool'
  /** A call whose arguments do not match the tool's schema. */
  | 'invalid_arguments'
  /** The same call (name and arguments) as the one just before. */
  | 'repeated_call';

/** A problem as it happened: kind, and the detail worth showing (tool name, validation issue). */
export interface ProblemRecord {
  problem: AnswerProblem;
  detail: string;
}

/** How an attempt ended. `steps` counts model calls. */
export type AgentOutcome<T> =
  | { kind: 'result'; result: T; steps: number }
  /** Out of steps; `dominant` is the problem of at least half the answers, if one was. */
  | { kind: 'step_limit'; steps: number; dominant?: ProblemRecord & { count: number } }
  /** The same call `repeats` (the loop limit) times in a row. */
  | { kind: 'loop'; call: string; repeats: number; steps: number }
  /** The same problem `patience` answers in a row. */
  | { kind: 'gave_up'; steps: number; problem: AnswerProblem; count: number; detail: string }
  /** The conversation cannot be fitted into the alias's context window any more. */
  | { kind: 'context_overflow'; steps: number; message: string };

const CAUSES: Record<AnswerProblem, (n: string, detail: string) => string> = {
  text_answer: (n) => `the model answered in text ${n} instead of calling a tool`,
  invalid_finish: (n, d) => `the model's finish result did not match the schema ${n} (${d})`,
  truncated: (n) => `the model's answer was cut off at the output limit ${n}`,
  invalid_call: (n, d) => `the model wrote tool calls that could not be read ${n} (${d})`,
  unknown_tool: (n, d) => `the model called the unknown tool ${d} ${n}`,
  invalid_arguments: (n, d) => `the model's tool arguments did not match the schema ${n} (${d})`,
  repeated_call: (n, d) => `the model repeated the same ${d} call ${n}`,
};

const times = (count: number): string => (count === 1 ? 'once' : `${count} times`);

/** The cause of an attempt that did not finish, in words for a block reason and the next attempt. */
export function describeOutcome(outcome: AgentOutcome<unknown>): string {
  switch (outcome.kind) {
    case 'result':
      return 'finished';
    case 'loop':
      return `the model repeated the same ${outcome.call} call ${times(outcome.repeats)} in a row; phase ended`;
    case 'gave_up':
      return CAUSES[outcome.problem](`${times(outcome.count)} in a row`, outcome.detail);
    case 'context_overflow':
      return `the conversation no longer fits the model's context window: ${outcome.message}`;
    case 'step_limit': {
      const d = outcome.dominant;
      return d
        ? `${CAUSES[d.problem](`${d.count} of ${outcome.steps} times`, d.detail)}; no result within ${outcome.steps} steps`
        : `the agent did not finish within ${outcome.steps} steps`;
    }
  }
}

/** Counts problems over an attempt, and the current run of one problem. */
export class ProblemTally {
  private readonly totals = new Map<AnswerProblem, { count: number; detail: string }>();
  private run: (ProblemRecord & { count: number }) | undefined;

  /** An answer with `record` as its problem. Returns the length of the current run of that problem. */
  record(record: ProblemRecord): number {
    const total = this.totals.get(record.problem);
    this.totals.set(record.problem, { count: (total?.count ?? 0) + 1, detail: record.detail });
    this.run =
      this.run?.problem === record.problem
        ? { ...record, count: this.run.count + 1 }
        : { ...record, count: 1 };
    return this.run.count;
  }

  /** An answer that made progress: the run of problems is over. */
  progress(): void {
    this.run = undefined;
  }

  /** The problem of at least half of `steps` answers, if any (the most frequent). */
  dominant(steps: number): (ProblemRecord & { count: number }) | undefined {
    let best: (ProblemRecord & { count: number }) | undefined;
    for (const [problem, { count, detail }] of this.totals) {
      if (count * 2 >= steps && (best === undefined || count > best.count)) {
        best = { problem, count, detail };
      }
    }
    return best;
  }
}
