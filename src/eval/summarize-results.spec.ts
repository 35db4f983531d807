import { describe, expect, it } from 'vitest';
import type { EvalResult } from './eval-result.js';
import { reportMarkdown } from './eval-report.js';
import { outcomeGridSvg, tokensSvg } from './svg-charts.js';
import { summarizeResults, wilsonInterval } from './summarize-results.js';

describe('wilsonInterval', () => {
  it('matches published values', () => {
    // 5/10 at 95 %: 0.2366 – 0.7634; 0/10: 0 – 0.2775; 10/10: 0.7225 – 1.
    const [a, b] = wilsonInterval(5, 10);
    expect(a).toBeCloseTo(0.2366, 4);
    expect(b).toBeCloseTo(0.7634, 4);
    expect(wilsonInterval(0, 10)[0]).toBe(0);
    expect(wilsonInterval(0, 10)[1]).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(10, 10)[0]).toBeCloseTo(0.7225, 4);
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
  });
});

const times = (total: number): EvalResult['time_ms'] => ({
  total,
  prepare: 0,
  run: 0,
  grade: 0,
  setup: 0,
  tests: 0,
  model: 0,
  phases: {},
});

function result(over: Partial<EvalResult> & Pick<EvalResult, 'instance_id' | 'run'>): EvalResult {
  return {
    status: 'graded',
    resolved: false,
    hidden: { FAIL_TO_PASS: { a: 'failed' }, PASS_TO_PASS: {}, exit_code: 1, duration_ms: 10 },
    agent_verdict: 'blocked',
    block_reason: 'escalation_exhausted',
    what_failed: 'x',
    evidence: { cycles: [], red_before_green: true, commits: [], head_commit: null, branch: null },
    usage: {
      input_tokens: 0,
      output_tokens: 0,
      total_tokens: 100,
      cost_usd: 0,
      calls: 2,
      by_role: {},
    },
    model_calls: { attempts: 2, by_outcome: { ok: 2 }, by_alias: { m: 2 }, latency_ms: 0 },
    repairs: 0,
    loops: 0,
    failed_attempts: 0,
    escalations: 0,
    time_ms: times(1000),
    aliases: { developer: 'm', tester: 'm' },
    tandem: { version: '0.1.0', git_sha: null },
    started_at: '2026-01-01T00:00:00Z',
    finished_at: '2026-01-01T00:00:01Z',
    ...over,
  };
}

const green = {
  cycles: [
    {
      cycle: 1,
      criterion: 0,
      red_commit: 'r',
      failing: ['t'],
      already_met: false,
      green_commit: 'g',
    },
  ],
  red_before_green: true,
  commits: [],
  head_commit: 'g',
  branch: 'b',
};

describe('summarizeResults', () => {
  const lines = [
    result({
      instance_id: 'a',
      run: 1,
      resolved: true,
      agent_verdict: 'done',
      block_reason: null,
      evidence: green,
      usage: {
        input_tokens: 0,
        output_tokens: 0,
        total_tokens: 300,
        cost_usd: 0,
        calls: 3,
        by_role: {},
      },
      time_ms: times(3000),
    }),
    result({
      instance_id: 'a',
      run: 2,
      agent_verdict: 'done',
      block_reason: null,
      evidence: green,
    }),
    result({
      instance_id: 'b',
      run: 1,
      status: 'error',
      hidden: null,
      agent_verdict: null,
      block_reason: null,
      error: 'docker',
    }),
    // A retried error: the later line of b#1 replaces the first.
    result({ instance_id: 'b', run: 1 }),
  ];

  it('counts the last line of each task run; errors and blocked runs are unresolved', () => {
    const s = summarizeResults(lines);
    expect(s).toMatchObject({
      runs: 3,
      resolved: 1,
      errors: 0,
      tokensPerSolved: 300,
      msPerSolved: 3000,
    });
    expect(s.solveRate).toBeCloseTo(1 / 3);
    expect(s.withGreen).toBe(2);
    expect(s.redBeforeGreen).toBe(2);
    expect(s.doneButUnresolved).toBe(1);
    expect(s.tasks.map((t) => [t.instance_id, t.resolved, t.runs])).toEqual([
      ['a', 1, 2],
      ['b', 0, 1],
    ]);
  });

  it('renders the report and charts with every task and run', () => {
    const s = summarizeResults(lines);
    const md = reportMarkdown(lines.slice(0, 2).concat(lines[3]!), s, { set: 'eval', at: 'now' });
    expect(md).toContain('| solve rate | 33.3 % |');
    expect(md).toContain('| a | 1/2 | done 2 |');
    const grid = outcomeGridSvg(lines, ['a', 'b']);
    expect(grid.match(/<rect x="\d+" y="\d+" width="18"/g)).toHaveLength(4);
    expect(grid).toContain('#2e7d32');
    expect(tokensSvg(lines)).toContain('a run 1: 300 tokens');
  });
});
