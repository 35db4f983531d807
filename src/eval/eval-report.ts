/**
 * What a person reads after an eval: a plain-text table for the terminal, and `report.md` with the same
 * figures, per-task rows, and the two SVG charts (`outcomes.svg`, `tokens.svg`) beside it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalResult } from './eval-result.js';
import { outcomeGridSvg, tokensSvg } from './svg-charts.js';
import { summarizeResults, type EvalSummary } from './summarize-results.js';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const int = (x: number | null) => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));
const secs = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** The summary lines printed by `tandem eval` (and put at the top of the report). */
export function summaryLines(s: EvalSummary): string[] {
  return [
    `solve rate      ${s.resolved}/${s.runs} = ${pct(s.solveRate)}  (95 % Wilson interval ${pct(s.interval[0])} – ${pct(s.interval[1])})`,
    `tokens/solved   ${int(s.tokensPerSolved)}   (mean over all runs ${int(s.meanTokens)})`,
    `time/solved     ${secs(s.msPerSolved)}   (mean over all runs ${secs(s.meanMs)})`,
    `red before green ${s.redBeforeGreen}/${s.withGreen} runs with a green commit`,
    `pair done but hidden tests fail: ${s.doneButUnresolved}; harness errors: ${s.errors}`,
  ];
}

/** Per-task rows, aligned, for the terminal. */
export function taskTable(s: EvalSummary): string[] {
  const width = Math.max(4, ...s.tasks.map((t) => t.instance_id.length));
  const head = `${'task'.padEnd(width)}  resolved  verdicts              tokens(mean)  time(mean)  blocked by`;
  return [
    head,
    '-'.repeat(head.length),
    ...s.tasks.map(
      (t) =>
        `${t.instance_id.padEnd(width)}  ${`${t.resolved}/${t.runs}`.padEnd(8)}  ${verdicts(t.verdicts).padEnd(20)}  ${int(t.meanTokens).padStart(12)}  ${secs(t.meanMs).padStart(10)}  ${t.blockReasons.join(', ')}`,
    ),
  ];
}

const verdicts = (v: Record<string, number>) =>
  Object.entries(v)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** Context shown in the report's header. */
export interface ReportContext {
  /** What was evaluated, e.g. the set path. */
  set: string;
  /** When the report was written (ISO). */
  at: string;
}

/** Writes `report.md`, `outcomes.svg` and `tokens.svg` into `outDir`; returns the report's path. */
export async function writeReport(
  outDir: string,
  results: readonly EvalResult[],
  context: ReportContext,
): Promise<string> {
  const latest = [...new Map(results.map((r) => [`${r.instance_id}#${r.run}`, r])).values()];
  const summary = summarizeResults(latest);
  const order = summary.tasks.map((t) => t.instance_id);
  await writeFile(join(outDir, 'outcomes.svg'), outcomeGridSvg(latest, order));
  await writeFile(join(outDir, 'tokens.svg'), tokensSvg(latest));
  const path = join(outDir, 'report.md');
  await writeFile(path, reportMarkdown(latest, summary, context));
  return path;
}

/** The Markdown text of the report. */
export function reportMarkdown(
  results: readonly EvalResult[],
  s: EvalSummary,
  context: ReportContext,
): string {
  const aliases = [...new Set(results.map((r) => `${r.aliases.developer} / ${r.aliases.tester}`))];
  const tandem = [
    ...new Set(
      results.map((r) => `${r.tandem.version} (${r.tandem.git_sha?.slice(0, 12) ?? 'no git'})`),
    ),
  ];
  const rows = s.tasks.map(
    (t) =>
      `| ${t.instance_id} | ${t.resolved}/${t.runs} | ${verdicts(t.verdicts)} | ${int(t.meanTokens)} | ${secs(t.meanMs)} | ${t.blockReasons.join(', ') || '–'} |`,
  );
  const runRows = results.map((r) => {
    const f2p = Object.values(r.hidden?.FAIL_TO_PASS ?? {});
    const p2p = Object.values(r.hidden?.PASS_TO_PASS ?? {});
    const ok = (xs: string[]) => `${xs.filter((o) => o === 'passed').length}/${xs.length}`;
    let resolved = r.resolved ? '**yes**' : 'no';
    if (r.status === 'error') {
      resolved = 'error';
    }
    return `| ${r.instance_id} | ${r.run} | ${resolved} | ${r.agent_verdict ?? '–'} | ${ok(f2p)} | ${ok(p2p)} | ${r.evidence.red_before_green ? 'yes' : 'no'} | ${int(r.usage.total_tokens)} | ${r.usage.calls} | ${r.repairs} | ${r.loops} | ${secs(r.time_ms.total)} | ${r.block_reason ?? (r.error ? r.error.replace(/\|/g, '/').slice(0, 80) : '–')} |`;
  });
  return [
    '# Tandem eval report',
    '',
    `Set: \`${context.set}\` · written ${context.at} · models (developer / tester): ${aliases.join(', ')} · Tandem ${tandem.join(', ')}`,
    '',
    '## Summary',
    '',
    '```',
    ...summaryLines(s),
    '```',
    '',
    '| figure | value |',
    '| --- | --- |',
    `| runs | ${s.runs} (${s.tasks.length} tasks) |`,
    `| resolved | ${s.resolved} |`,
    `| solve rate | ${pct(s.solveRate)} |`,
    `| 95 % Wilson interval | ${pct(s.interval[0])} – ${pct(s.interval[1])} |`,
    `| tokens per solved task | ${int(s.tokensPerSolved)} |`,
    `| time per solved task | ${secs(s.msPerSolved)} |`,
    `| red before green | ${s.redBeforeGreen}/${s.withGreen} |`,
    `| pair done, hidden tests fail | ${s.doneButUnresolved} |`,
    `| harness errors | ${s.errors} |`,
    '',
    '![Outcome per task and run](outcomes.svg)',
    '',
    '![Tokens per run by outcome](tokens.svg)',
    '',
    '## Tasks',
    '',
    '| task | resolved | pair verdicts | tokens (mean) | time (mean) | blocked by |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Runs',
    '',
    '| task | run | resolved | pair | FAIL_TO_PASS | PASS_TO_PASS | red before green | tokens | calls | repairs | loops | time | block reason / error |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...runRows,
    '',
    'Resolved: every FAIL_TO_PASS and PASS_TO_PASS test passes on the final tree, with the hidden tests',
    "copied in after the run (SWE-bench's definition). The interval is Wilson's score interval at 95 %.",
    '',
  ].join('\n');
}
