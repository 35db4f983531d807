import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../agents/checkpoint.js';
import {
  diagnosisMemory,
  planMemories,
  REVIEW_CRITERION_PREFIX,
  reviewMemory,
  runFactMemories,
  specFeedbackMemory,
  specMemories,
} from './workflow-memories.js';

const record = (over: Partial<RunRecord> = {}): RunRecord => ({
  ticket: { id: '14', title: 'CSV writer' },
  branch: 'tandem/14-csv-writer',
  baseCommit: 'b'.repeat(40),
  headCommit: 'h'.repeat(40),
  status: 'done',
  criteria: [
    {
      index: 0,
      text: 'header line first',
      status: 'met',
      tests: ['writes a header'],
      passing: true,
    },
    {
      index: 1,
      text: `${REVIEW_CRITERION_PREFIX}quote fields with commas`,
      status: 'met',
      tests: ['quotes commas'],
      passing: true,
    },
  ],
  cycles: [
    {
      cycle: 1,
      criterion: 0,
      attempts: {},
      testMs: 0,
      green: { commit: 'c1'.repeat(20), summary: 'header' },
    },
    {
      cycle: 2,
      criterion: 1,
      attempts: {},
      testMs: 0,
      red: { commit: 'r2'.repeat(20), failing: ['quotes commas'], summary: 'test: quoting' },
      green: { commit: 'g2'.repeat(20), summary: 'quote fields containing commas' },
    },
  ],
  finalRun: { status: 'passed', passed: 7, failed: 0, output: '' },
  usage: {},
  commits: [],
  durationMs: 1,
  ...over,
});

describe('what the workflow remembers', () => {
  it('remembers the approved spec and each decision section, not the empty ones', () => {
    const markdown = [
      '# CSV export',
      '## Summary',
      'Export as CSV.',
      '## Out of scope',
      '- Excel files',
      '## Open questions',
      '_none_',
      '## Decisions',
      '- Use RFC 4180 quoting.',
      '### Why',
      'Spreadsheets read it.',
      '## Non-goals',
      '_none_',
    ].join('\n');
    const out = specMemories({
      issueNumber: 12,
      title: 'CSV export',
      path: 'docs/specs/12-csv-export.md',
      sha: 'abc',
      specPrNumber: 13,
      approvedBy: 'maria',
      markdown,
    });
    expect(out.map((m) => [m.kind, m.ref])).toEqual([
      ['spec', 'issue#12'],
      ['decision', 'issue#12/decision/out-of-scope'],
      ['decision', 'issue#12/decision/decisions'],
    ]);
    expect(out[2]?.content).toContain('RFC 4180');
    expect(out[2]?.content).toContain('Spreadsheets read it.');
    expect(out[0]?.metadata).toMatchObject({ sha: 'abc', pr: 13, approvedBy: 'maria' });
  });

  it('remembers the plan with dependencies by issue number, and each ticket', () => {
    const t = (key: string, dependsOn: string[] = []) => ({
      key,
      title: `Ticket ${key}`,
      description: `Do ${key}`,
      acceptanceCriteria: [`${key} works`],
      dependsOn,
      likelyFiles: [`src/${key}.ts`],
    });
    const out = planMemories({ issueNumber: 12, title: 'CSV export' }, [
      { issueNumber: 20, ticket: t('T1') },
      { issueNumber: 21, ticket: t('T2', ['T1']) },
    ]);
    expect(out.map((m) => m.ref)).toEqual(['issue#12/plan', 'issue#20', 'issue#21']);
    expect(out[0]?.content).toContain('Depends on: #20');
    expect(out[2]?.content).toContain('1. T2 works');
  });

  it('remembers a review with what changed in answer: outcome per point and the commits', () => {
    const m = reviewMemory({
      ticketIssue: 14,
      prNumber: 40,
      reviewId: 991,
      runKey: 't3-rev1',
      feedback: ['quote fields with commas'],
      record: record(),
    });
    expect(m.ref).toBe('issue#14/review/991');
    expect(m.content).toContain('Review of PR #40');
    expect(m.content).toContain('- met: quote fields with commas (tests: quotes commas)');
    expect(m.content).toContain('quote fields containing commas');
    expect(m.content).not.toContain('header');
  });

  it('remembers a blocked run with what was tried and the end of the output', () => {
    const m = diagnosisMemory({
      ticketIssue: 14,
      title: 'CSV writer',
      runKey: 't3',
      branch: 'tandem/14-csv-writer',
      diagnosis: {
        reason: 'escalation_exhausted',
        phase: 'green',
        cycle: 2,
        whatFailed: 'the suite stayed red',
        lastTestOutput: `${'x'.repeat(5_000)}AssertionError: expected 1 to be 2`,
        tried: ['green attempt 1 with local-coder: suite failed'],
      },
    });
    expect(m.ref).toBe('issue#14/run/t3');
    expect(m.content).toContain('green attempt 1 with local-coder');
    expect(m.content).toContain('AssertionError: expected 1 to be 2');
    expect(m.content.length).toBeLessThan(2_600);
  });

  it('remembers the commands and test files a finished run confirms, and spec feedback under a stable ref', () => {
    const [commands, tests] = runFactMemories({
      setup: ['npm', 'ci'],
      test: ['npm', 'test'],
      testGlobs: ['**/*.spec.*'],
      record: record(),
    });
    expect(commands?.content).toBe(
      'Setup command: npm ci\nTest command: npm test (7 passing, 0 failing at hhhhhhhhhh)',
    );
    expect(tests?.content).toContain('**/*.spec.*');
    const feedback = (text: string) =>
      specFeedbackMemory({
        issueNumber: 12,
        feedback: text,
        revised: { title: 'CSV export', acceptanceCriteria: ['a'], outOfScope: [] },
      }).ref;
    expect(feedback('too broad')).toBe(feedback('too broad'));
    expect(feedback('too broad')).not.toBe(feedback('too narrow'));
  });
});
