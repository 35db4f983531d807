/**
 * Test ids of FAIL_TO_PASS / PASS_TO_PASS matched against a runner's JUnit cases.
 *
 * Ids are written as pytest node ids (`pkg/tests/test_x.py::TestCls::test_y[param]`, SWE-bench's form) or
 * as JUnit ids (`classname::name`, what `parseJunit` reports). A pytest node id is turned into the JUnit id
 * pytest itself writes (its junitxml `mangle_test_address`: `.py` dropped, `/` → `.`, every `::` but the
 * last → `.`); a match is exact, never by suffix, so one test cannot stand in for another.
 */
import type { TestCase } from '../agents/junit.js';

/** How one listed test ended in a grading run. `missing`: the runner reported no such test. */
export type TestOutcome = 'passed' | 'failed' | 'error' | 'skipped' | 'missing';

/** The JUnit id (`classname::name`) a test id stands for. */
export function junitIdOf(id: string): string {
  const bracket = id.indexOf('[');
  const head = bracket < 0 ? id : id.slice(0, bracket);
  const tail = bracket < 0 ? '' : id.slice(bracket);
  const parts = head.split('::');
  if (parts.length < 2 || !/\.py$/.test(parts[0]!)) {
    return id;
  }
  const module = parts[0]!.replace(/\.py$/, '').replaceAll('/', '.');
  const name = parts.at(-1)!;
  return `${[module, ...parts.slice(1, -1)].join('.')}::${name}${tail}`;
}

const RANK: Record<TestOutcome, number> = {
  missing: 0,
  passed: 1,
  skipped: 2,
  failed: 3,
  error: 4,
};

/**
 * The outcome of each id among `cases`. A test reported twice (a rerun, a duplicate name) keeps its worst
 * outcome.
 */
export function outcomesOf(
  ids: readonly string[],
  cases: readonly TestCase[],
): Record<string, TestOutcome> {
  const byId = new Map<string, TestOutcome>();
  for (const c of cases) {
    const prev = byId.get(c.id) ?? 'missing';
    byId.set(c.id, RANK[c.outcome] > RANK[prev] ? c.outcome : prev);
  }
  return Object.fromEntries(ids.map((id) => [id, byId.get(junitIdOf(id)) ?? 'missing']));
}
