/**
 * The body of a ticket pull request (issue 7): "Closes #t", a summary, the acceptance-criteria ↔ tests
 * table, the red/green cycle log, the final test results and the model usage per role.
 */
import type { RunRecord } from '../agents/checkpoint.js';

/** Model usage of one role on the ticket: tokens, model time (ms, from `model_calls`) and cost (USD). */
export interface RoleUsage {
  role: string;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  costUsd: number;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
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
        `| AC${c.index} | ${cell(c.text)} | ${c.tests.map((t) => `\`${cell(t)}\``).join('<br>') || '_none_'} | ${c.passing ? 'yes' : 'no'} |`,
    ),
    '',
    '## Red/green cycles',
    '',
    '| cycle | criterion | red (failing test) | green | refactor |',
    '| --- | --- | --- | --- | --- |',
    ...record.cycles.map(
      (c) =>
        `| ${c.cycle} | AC${c.criterion + 1} | ${short(c.red?.commit)} ${cell(c.red?.failing.join(', ') ?? (c.alreadyMet ? 'already met' : ''))} | ${short(c.green?.commit)} | ${short(c.refactor?.commit)} |`,
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
