/**
 * A protocol without dead ends, with fakes (test/engine/fake-pair.ts): a red that fails to load because
 * the code lacks a name, disputes, what a retry sees, temperatures, and samples chosen by the tests.
 */
import { describe, expect, it } from 'vitest';
import {
  CALC,
  CALC_MUL,
  TEST_MUL,
  calcPairs,
  eventsOfKind,
  finish,
  miniSuite,
  write,
  type FakeAnswer,
  type FakePair,
} from '../../../test/engine/fake-pair.js';
import { runPair } from './run-pair.js';

const CALC_ZERO = `${CALC}\ndef mul(a, b):\n    return 0\n`;
const TEST_IMPORT = 'import mul from calc.py\ntest test_mul: return a * b in calc.py\n';
/** A wrong test: it wants a sum from `mul`. */
const TEST_WRONG = 'test test_mul: return a + b + 0 in calc.py\n';

const tester = (step: string, extra: Partial<FakeAnswer> = {}) => ({
  role: 'tester' as const,
  step,
  ...extra,
});
const developer = (step: string, extra: Partial<FakeAnswer> = {}) => ({
  role: 'developer' as const,
  step,
  ...extra,
});

const setUp = calcPairs();

const kinds = eventsOfKind;
/** The first user prompt of each attempt of `step`. */
const starts = (p: FakePair, step: string) =>
  p.models.requests
    .filter((r) => r.request.step === step && r.request.messages.length === 2)
    .map((r) => r.request.messages[1]!.content);

describe('a red that fails to load', () => {
  it('is committed when only the new test fails to load for a missing name, and green follows', async () => {
    const p = await setUp([
      tester('red-1', write('tests/test_mul.t', TEST_IMPORT)),
      tester('red-1', finish({ tests: ['test_mul'], summary: 'mul multiplies' })),
      developer('green-1', write('calc.py', CALC_MUL)),
      developer('green-1', finish({ summary: 'add mul' })),
    ]);
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    expect(kinds(p, 'pair.test_run').map((d) => d.status)).toEqual([
      'passed',
      'broken', // red: the test cannot import mul
      'passed',
      'passed',
    ]);
    expect(record.cycles[0]!.red).toMatchObject({
      loadFailure: true,
      files: ['tests/test_mul.t'],
      failing: ['tests.test_mul'],
    });
    // The Developer is told what the tests need and where they are.
    const green = starts(p, 'green-1')[0]!;
    expect(green).toContain('Tests for criterion 1 (written by the Tester): test_mul');
    expect(green).toContain('In: tests/test_mul.t');
    expect(green).toContain(
      'The new tests fail to load: the code lacks a name or module they use.',
    );
    expect(green).toContain("ImportError: cannot import name 'mul'");
  });

  it('goes back to the tester when the new test has a syntax error', async () => {
    const p = await setUp(
      [
        tester('red-1', write('tests/test_mul.t', 'SYNTAX ERROR\n')),
        tester('red-1', finish({ tests: ['test_mul'], summary: 'mul' })),
      ],
      { policy: { budgets: { attemptsPerPhase: 1 } } },
    );
    const record = await runPair(p.options);
    expect(record.diagnosis).toMatchObject({
      reason: 'escalation_exhausted',
      whatFailed: 'the new test does not compile or collect (the new test has a syntax error)',
    });
  });
});

describe('disputes', () => {
  const RED = [
    tester('red-1', write('tests/test_mul.t', TEST_WRONG)),
    tester('red-1', finish({ tests: ['test_mul'], summary: 'mul adds' })),
  ];
  const DISPUTE = developer(
    'green-1',
    finish({
      summary: 'x',
      dispute: 'test_mul expects a sum from mul; the criterion asks for a product',
    }),
  );

  it('sends a wrong test back to the tester, who rewrites it; green then passes', async () => {
    const p = await setUp([
      ...RED,
      developer('green-1', write('calc.py', CALC_ZERO)),
      DISPUTE,
      tester('red-1', {
        contains: 'The Developer disputes your test',
        ...write('tests/test_mul.t', TEST_MUL),
      }),
      tester('red-1', finish({ tests: ['test_mul'], summary: 'mul multiplies' })),
      developer('green-1', write('calc.py', CALC_MUL)),
      developer('green-1', finish({ summary: 'add mul' })),
    ]);
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    expect(record.commits.map((c) => c.subject)).toEqual([
      'test(#1): mul adds',
      'test(#1): mul multiplies',
      'feat(#1): add mul',
    ]);
    expect(record.disputes).toEqual([
      { cycle: 1, reason: expect.stringContaining('expects a sum'), upheld: false },
    ]);
    expect(kinds(p, 'pair.test_disputed')).toHaveLength(1);
    // The dispute dropped the developer's change and did not count as a failed attempt.
    expect(kinds(p, 'pair.attempt_failed')).toEqual([]);
    expect(p.workspace.commits.at(-1)!.tree.get('calc.py')).toBe(CALC_MUL);
    // A new conversation for the tester's answer and for the green after it.
    const conversations = new Set(p.models.requests.map((r) => r.request.conversation));
    expect(conversations).toEqual(
      new Set([
        'job-1/red-1/0.0',
        'job-1/green-1/0.0',
        'job-1/red-1.d1/0.0',
        'job-1/green-1.d1/0.0',
      ]),
    );
  });

  it('resumes green with the tester’s answer when it keeps the test', async () => {
    const p = await setUp([
      tester('red-1', write('tests/test_mul.t', TEST_MUL)),
      tester('red-1', finish({ tests: ['test_mul'], summary: 'mul multiplies' })),
      developer(
        'green-1',
        finish({ summary: 'x', dispute: 'test_mul is too strict about the operator' }),
      ),
      tester(
        'red-1',
        finish({ tests: ['test_mul'], summary: 'the criterion asks for a * b, the test is right' }),
      ),
      developer('green-1', write('calc.py', CALC_MUL)),
      developer('green-1', finish({ summary: 'add mul' })),
    ]);
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    expect(record.disputes).toEqual([expect.objectContaining({ upheld: true })]);
    expect(record.commits).toHaveLength(2);
    expect(starts(p, 'green-1')[1]).toContain(
      'The Tester kept the test you disputed: the criterion asks for a * b, the test is right',
    );
  });

  it('refuses a dispute past the per-cycle cap and counts it as a failed attempt', async () => {
    const p = await setUp([...RED, DISPUTE], {
      policy: { budgets: { attemptsPerPhase: 1 } },
    });
    const record = await runPair({ ...p.options, disputesPerCycle: 0 });
    expect(record.status).toBe('blocked');
    expect(record.diagnosis!.whatFailed).toContain('the dispute was refused');
    expect(record.disputes).toBeUndefined();
  });
});

describe('retries', () => {
  it('see the previous attempt’s diff and failing lines, at a higher temperature', async () => {
    const p = await setUp([
      tester('red-1', write('tests/test_mul.t', TEST_MUL)),
      tester('red-1', finish({ tests: ['test_mul'], summary: 'mul multiplies' })),
      developer('green-1', write('calc.py', CALC_ZERO)),
      developer('green-1', write('calc_util.py', 'def helper():\n    return 1\n')),
      developer('green-1', finish({ summary: 'try' })),
      developer('green-1', write('calc.py', CALC_MUL)),
      developer('green-1', finish({ summary: 'add mul' })),
    ]);
    // Lots of passing noise after the failure: a tail cut would lose the failing line.
    p.sandbox.suite = (files) => {
      const run = miniSuite(files);
      return { ...run, output: `${run.output}\n${'PASSED noise\n'.repeat(400)}` };
    };
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    const retry = starts(p, 'green-1')[1]!;
    expect(retry).toContain('the suite is failed after the change');
    expect(retry).toContain(
      'FAILED tests.test_mul::test_mul: AssertionError: return a * b not in calc.py',
    );
    expect(retry).toContain('Your previous attempt changed this');
    expect(retry).toContain('+    return 0');
    expect(retry).toContain('+++ b/calc_util.py');
    const temperatures = p.models.requests
      .filter((r) => r.role === 'developer')
      .map((r) => r.request.temperature);
    expect(temperatures).toEqual([0.2, 0.2, 0.2, 0.5, 0.5]);
    expect(kinds(p, 'pair.agent_started').map((d) => [d.role, d.attempt, d.temperature])).toEqual([
      ['tester', 1, 0.2],
      ['developer', 1, 0.2],
      ['developer', 2, 0.5],
    ]);
  });
});

describe('samples', () => {
  it('draws samples until the suite passes one, each hotter and in its own conversation', async () => {
    const p = await setUp([
      tester('red-1', write('tests/test_mul.t', TEST_MUL)),
      tester('red-1', finish({ tests: ['test_mul'], summary: 'mul multiplies' })),
      developer('green-1', write('calc.py', CALC_ZERO)),
      developer('green-1', finish({ summary: 'zero' })),
      developer('green-1', write('calc.py', CALC_MUL)),
      developer('green-1', finish({ summary: 'add mul' })),
    ]);
    p.models.samplesByAlias = { fake: 3 };
    const record = await runPair(p.options);
    expect(record.status).toBe('done');
    expect(record.commits.map((c) => c.subject)).toEqual([
      'test(#1): mul multiplies',
      'feat(#1): add mul',
    ]);
    expect(kinds(p, 'pair.sample')).toEqual([
      expect.objectContaining({ sample: 1, of: 3, status: 'failed', failing: 1 }),
    ]);
    // The second sample started from the committed state, not from the first sample's change.
    const second = p.models.requests.find((r) => r.request.conversation === 'job-1/green-1/0.0.s1');
    expect(second?.request.temperature).toBe(0.4);
    expect(record.cycles[0]!.attempts).toEqual({ red: 1, green: 1 });
    expect(p.models.pending).toBe(0);
  });

  it('fails the attempt with the sample that failed the fewest tests when none passes', async () => {
    const p = await setUp(
      [
        tester(
          'red-1',
          write('tests/test_mul.t', `${TEST_MUL}test test_two: def two in calc.py\n`),
        ),
        tester('red-1', finish({ tests: ['test_mul', 'test_two'], summary: 'mul and two' })),
        developer('green-1', write('calc.py', CALC_ZERO)),
        developer('green-1', finish({ summary: 'both fail' })),
        developer('green-1', write('calc.py', CALC_MUL)),
        developer('green-1', finish({ summary: 'one fails' })),
      ],
      { policy: { budgets: { attemptsPerPhase: 1 } } },
    );
    p.models.samplesByAlias = { fake: 2 };
    const record = await runPair(p.options);
    expect(record.status).toBe('blocked');
    expect(record.diagnosis!.tried).toEqual([
      'green cycle 1 attempt 1 (fake): the suite is failed after the change',
    ]);
    const saved = [...p.store.runs.values()][0]!.checkpoint!;
    expect(saved.previousChange).toContain('+    return a * b');
  });
});
