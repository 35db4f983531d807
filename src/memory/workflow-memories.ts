/**
 * What the workflow remembers, built from what it has at hand when it happens: the approved spec (and its
 * decision sections), the Architect's plan and each ticket, a review with what changed in answer, a blocked
 * run's diagnosis, and the repository facts a finished run confirms. Pure functions: the workflow writes
 * their results with `ProjectMemory.remember`. Refs follow {@link MemoryKind}'s provenance scheme; what a
 * ticket's runs and reviews leave has refs under `issue#<ticket>/` so the ticket's next run finds it.
 */
import { createHash } from 'node:crypto';
import type { Diagnosis, RunRecord } from '../agents/checkpoint.js';
import type { PlannedTicket } from '../planning/ticket-plan.js';
import type { MemoryInput } from './project-memory.js';

/** Headings of spec sections remembered as decisions (English; case-insensitive). */
const DECISION_HEADING =
  /^#{2,4}\s+(.*(?:decision|out of scope|non-goal|constraint|trade-?off).*)$/i;

/** Tail of a test output kept in a diagnosis, in characters. */
const OUTPUT_TAIL = 2_000;

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40) || 'section';

/** The approved spec of a request. */
export interface ApprovedSpec {
  /** The request issue. */
  issueNumber: number;
  title: string;
  path: string;
  /** Blob sha of the approved version. */
  sha: string;
  specPrNumber: number | null;
  approvedBy: string | null;
  markdown: string;
}

/**
 * The spec (ref `issue#<n>`) and one `decision` memory per section headed Decisions, Out of scope,
 * Non-goals, Constraints or Trade-offs (ref `issue#<n>/decision/<slug>`).
 */
export function specMemories(spec: ApprovedSpec): MemoryInput[] {
  const metadata = {
    issue: spec.issueNumber,
    path: spec.path,
    sha: spec.sha,
    pr: spec.specPrNumber,
    approvedBy: spec.approvedBy,
  };
  const out: MemoryInput[] = [
    {
      kind: 'spec',
      ref: `issue#${spec.issueNumber}`,
      content: `Approved spec for #${spec.issueNumber} (${spec.path}): ${spec.title}\n\n${spec.markdown}`,
      metadata,
    },
  ];
  const lines = spec.markdown.split('\n');
  const seen = new Set<string>();
  lines.forEach((line, i) => {
    const heading = DECISION_HEADING.exec(line)?.[1]?.trim();
    if (heading === undefined) {
      return;
    }
    const level = /^#+/.exec(line)?.[0].length ?? 2;
    const end = lines.findIndex((l, j) => j > i && new RegExp(`^#{1,${level}}\\s`).test(l));
    const body = lines
      .slice(i + 1, end === -1 ? undefined : end)
      .join('\n')
      .trim();
    let key = slug(heading);
    while (seen.has(key)) {
      key = `${key}-${seen.size}`;
    }
    seen.add(key);
    if (body !== '' && !/^_?(none|nothing listed)_?$/i.test(body)) {
      out.push({
        kind: 'decision',
        ref: `issue#${spec.issueNumber}/decision/${key}`,
        content: `${heading} (spec for #${spec.issueNumber}: ${spec.title})\n${body}`,
        metadata,
      });
    }
  });
  return out;
}

/** A planned ticket with the issue it became. */
export interface PlannedTicketIssue {
  issueNumber: number | null;
  ticket: PlannedTicket;
}

/**
 * The Architect's plan (ref `issue#<request>/plan`: every ticket in order with its dependencies, likely
 * files and description, and the rationale when the Architect gave one) and one `ticket` memory per
 * ticket issue (ref `issue#<ticket>`).
 */
export function planMemories(
  request: { issueNumber: number; title: string },
  tickets: readonly PlannedTicketIssue[],
  rationale?: string,
): MemoryInput[] {
  const name = (key: string): string => {
    const t = tickets.find((x) => x.ticket.key === key);
    return t?.issueNumber ? `#${t.issueNumber}` : key;
  };
  const plan = [
    `Plan for #${request.issueNumber} (${request.title}): ${tickets.length} tickets.`,
    ...(rationale ? ['', `Rationale: ${rationale}`] : []),
    '',
    ...tickets.map(({ issueNumber, ticket: t }, i) =>
      [
        `${i + 1}. ${issueNumber ? `#${issueNumber} ` : ''}${t.title}`,
        `   ${t.description.replace(/\n/g, '\n   ')}`,
        ...(t.dependsOn.length ? [`   Depends on: ${t.dependsOn.map(name).join(', ')}`] : []),
        ...(t.likelyFiles.length ? [`   Likely files: ${t.likelyFiles.join(', ')}`] : []),
      ].join('\n'),
    ),
  ].join('\n');
  return [
    {
      kind: 'plan',
      ref: `issue#${request.issueNumber}/plan`,
      content: plan,
      metadata: { issue: request.issueNumber, tickets: tickets.length },
    },
    ...tickets.flatMap(({ issueNumber, ticket: t }) =>
      issueNumber === null
        ? []
        : [
            {
              kind: 'ticket' as const,
              ref: `issue#${issueNumber}`,
              content: [
                `Ticket #${issueNumber} (part of #${request.issueNumber}): ${t.title}`,
                '',
                t.description,
                '',
                'Acceptance criteria:',
                ...t.acceptanceCriteria.map((c, i) => `${i + 1}. ${c}`),
                ...(t.likelyFiles.length ? ['', `Likely files: ${t.likelyFiles.join(', ')}`] : []),
              ].join('\n'),
              metadata: { issue: issueNumber, request: request.issueNumber },
            },
          ],
    ),
  ];
}

/**
 * Feedback on a spec under review (`/reject <why>`, requested changes) and the revision that answered it
 * (ref `issue#<request>/spec-review/<hash of the feedback>`).
 */
export function specFeedbackMemory(feedback: {
  issueNumber: number;
  feedback: string;
  revised: { title: string; acceptanceCriteria: readonly string[]; outOfScope: readonly string[] };
}): MemoryInput {
  const { revised } = feedback;
  return {
    kind: 'review',
    ref: `issue#${feedback.issueNumber}/spec-review/${createHash('sha256').update(feedback.feedback).digest('hex').slice(0, 12)}`,
    content: [
      `Feedback on the spec for #${feedback.issueNumber}: ${feedback.feedback}`,
      '',
      `The PM revised the spec in answer ("${revised.title}"). Acceptance criteria now:`,
      ...revised.acceptanceCriteria.map((c, i) => `${i + 1}. ${c}`),
      ...(revised.outOfScope.length
        ? ['Out of scope:', ...revised.outOfScope.map((o) => `- ${o}`)]
        : []),
    ].join('\n'),
    metadata: { issue: feedback.issueNumber },
  };
}

/** The criterion text the ticket job gives the pair for one point of review feedback. */
export const REVIEW_CRITERION_PREFIX = 'Review feedback is addressed: ';

/**
 * A review and what changed in answer (ref `issue#<ticket>/review/<review id or run key>`): the
 * feedback, then each feedback criterion's outcome and the commits that answered it.
 */
export function reviewMemory(review: {
  ticketIssue: number;
  prNumber: number;
  reviewId: number | null;
  runKey: string;
  feedback: readonly string[];
  record: RunRecord;
}): MemoryInput {
  const { record } = review;
  const answered = record.criteria.filter((c) => c.text.startsWith(REVIEW_CRITERION_PREFIX));
  const commits = record.cycles
    .filter((c) => answered.some((a) => a.index === c.criterion))
    .flatMap((c) => [c.red, c.green, c.refactor])
    .flatMap((step) => (step ? [`- ${step.commit.slice(0, 10)} ${step.summary}`] : []));
  return {
    kind: 'review',
    ref: `issue#${review.ticketIssue}/review/${review.reviewId ?? review.runKey}`,
    content: [
      `Review of PR #${review.prNumber} (ticket #${review.ticketIssue}: ${record.ticket.title}):`,
      ...review.feedback.map((f) => `- ${f}`),
      '',
      `What changed in answer (run ${review.runKey}, head ${record.headCommit.slice(0, 10)}):`,
      ...answered.map(
        (c) =>
          `- ${c.status === 'met' ? 'met' : 'open'}: ${c.text.slice(REVIEW_CRITERION_PREFIX.length)}` +
          (c.tests.length ? ` (tests: ${c.tests.join(', ')})` : ''),
      ),
      ...commits,
    ].join('\n'),
    metadata: {
      ticket: review.ticketIssue,
      pr: review.prNumber,
      review: review.reviewId,
      head: record.headCommit,
    },
  };
}

/**
 * Why a run was blocked and what was tried (ref `issue#<ticket>/run/<run key>`), with the tail of the
 * last test output.
 */
export function diagnosisMemory(run: {
  ticketIssue: number;
  title: string;
  runKey: string;
  branch: string;
  diagnosis: Diagnosis;
}): MemoryInput {
  const d = run.diagnosis;
  const output = d.lastTestOutput.slice(-OUTPUT_TAIL);
  return {
    kind: 'diagnosis',
    ref: `issue#${run.ticketIssue}/run/${run.runKey}`,
    content: [
      `Run ${run.runKey} of ticket #${run.ticketIssue} (${run.title}) was blocked: ${d.reason} in the ${d.phase} phase, cycle ${d.cycle}.`,
      ...(d.criterion ? [`Criterion: ${d.criterion}`] : []),
      `What failed: ${d.whatFailed}`,
      'What was tried:',
      ...d.tried.map((t) => `- ${t}`),
      ...(output.trim() ? ['Last test output (end):', output] : []),
    ].join('\n'),
    metadata: { ticket: run.ticketIssue, branch: run.branch, reason: d.reason },
  };
}

/**
 * A run that failed outright (not blocked by the pair: an infrastructure failure that ended its job), as a
 * diagnosis of the ticket (ref `issue#<ticket>/run/<activation key>`).
 */
export function failedRunMemory(run: {
  ticketIssue: number;
  key: string;
  reason: string;
}): MemoryInput {
  return {
    kind: 'diagnosis',
    ref: `issue#${run.ticketIssue}/run/${run.key}`,
    content: `The pair job of ticket #${run.ticketIssue} failed and was not retried: ${run.reason}`,
    metadata: { ticket: run.ticketIssue, reason: 'job_failed' },
  };
}

/**
 * The facts a finished run confirms about the repository: how it is set up and tested (ref
 * `fact/commands`), and which files count as tests (ref `fact/test-files`).
 */
export function runFactMemories(run: {
  setup: readonly string[];
  test: readonly string[];
  testGlobs: readonly string[];
  record: RunRecord;
}): MemoryInput[] {
  const argv = (a: readonly string[]): string => a.join(' ');
  const final = run.record.finalRun;
  return [
    {
      kind: 'fact',
      ref: 'fact/commands',
      content: [
        run.setup.length ? `Setup command: ${argv(run.setup)}` : 'No setup command.',
        `Test command: ${argv(run.test)}` +
          (final
            ? ` (${final.passed} passing, ${final.failed} failing at ${run.record.headCommit.slice(0, 10)})`
            : ''),
      ].join('\n'),
      metadata: { commit: run.record.headCommit },
    },
    {
      kind: 'fact',
      ref: 'fact/test-files',
      content: `Test files are the files matching: ${run.testGlobs.join(', ')}. Tests the pair wrote here: ${
        run.record.criteria
          .flatMap((c) => c.tests)
          .slice(0, 12)
          .join('; ') || 'none'
      }.`,
      metadata: { commit: run.record.headCommit },
    },
  ];
}
