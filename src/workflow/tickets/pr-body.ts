/**
 * The body of a ticket pull request: "Closes #t", a summary, the acceptance-criteria ↔ tests
 * table, the red/green cycle log, the final test results and the model usage per role. Test names and
 * criteria come from agents and people: they are rendered through `markdown.ts`, never as raw Markdown.
 */
import type { RunRecord } from '../../agents/checkpoint.js';
import { escapeInline, inlineCode } from '../markdown.js';

/** Model usage of one role on the ticket: tokens, model time (ms, from `model_calls`) and cost (USD). */
export interface RoleUsage {
  role: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  costUsd: number;
}

/** A table cell of untrusted text (criteria, failure notes): escaped, one line. */
const cell = (s: string): string => escapeInline(s);
/** A test name as code in a table cell: GFM splits cells at `|` even inside code, unless escaped. */
const testCell = (name: string): string => inlineCode(name).replace(/\|/g, '\\|');
/** The red step of a cycle: its failing tests, or "already met". */
const redCell = (c: RunRecord['cycles'][number]): string => {
  if (c.red) {
    return c.red.failing.map(testCell).join(', ');
  }
  return c.alreadyMet ? 'already met' : '';
};
const short = (sha: string | undefined): string => (sha ? `\`${sha.slice(0, 7)}\`` : '');

/** Renders the PR body for ticket issue `issueNumber`. */
export function renderPrBody(
  issueNumber: number,
  record: RunRecord,
  usage: readonly RoleUsage[],
): string {
  const met = record.criteria.filter((c) => c.passing).length;
  const lines = [
    `Closes #${issueNumber}`,
    '',
    '## Summary',
    '',
    `${record.ticket.title}: ${met} of ${record.criteria.length} acceptance criteria covered by passing tests, ` +
      `in ${record.cycles.length} red/green cycle${record.cycles.length === 1 ? '' : 's'} ` +
      `(${Math.round(record.durationMs / 1000)} s).`,
    '',
    '## Acceptance criteria ↔ tests',
    '',
    '| # | criterion | tests | passing |',
    '| --- | --- | --- | --- |',
    ...record.criteria.map(
      (c) =>
        `| AC${c.index} | ${cell(c.text)} | ${c.tests.map(testCell).join('<br>') || '_none_'} | ${c.passing ? 'yes' : 'no'} |`,
    ),
    '',
    '## Red/green cycles',
    '',
    '| cycle | criterion | red (failing test) | green | refactor |',
    '| --- | --- | --- | --- | --- |',
    ...record.cycles.map(
      (c) =>
        `| ${c.cycle} | AC${c.criterion + 1} | ${short(c.red?.commit)} ${redCell(c)} | ${short(c.green?.commit)} | ${short(c.refactor?.commit)} |`,
    ),
    '',
    '## Final test run',
    '',
    record.finalRun
      ? `${record.finalRun.status}: ${record.finalRun.passed} passed, ${record.finalRun.failed} failed.`
      : '_no final run_',
    '',
    '## Model usage',
    '',
    '| role | tokens in | tokens out | model time | cost |',
    '| --- | --- | --- | --- | --- |',
    ...usage.map(
      (u) =>
        `| ${u.role} | ${u.inputTokens} | ${u.outputTokens} | ${(u.latencyMs / 1000).toFixed(1)} s | $${u.costUsd.toFixed(4)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
