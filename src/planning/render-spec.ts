import type { SpecDraft } from './pm-decision.js';

/**
 * Renders a spec draft as the markdown file committed on the spec branch. Acceptance criteria are numbered
 * `AC1…` so tickets and PRs can cite them.
 * @param issueNumber the request issue the spec answers (linked in the header)
 */
export function renderSpec(spec: SpecDraft, issueNumber: number): string {
  const list = (items: readonly string[], empty: string): string =>
    items.length === 0 ? `_${empty}_` : items.map((i) => `- ${i}`).join('\n');
  return [
    `# ${spec.title}`,
    '',
    `Spec for #${issueNumber}. Comment on the pull request to change it; \`/approve\` to start the work.`,
    '',
    '## Summary',
    '',
    spec.summary,
    '',
    '## User stories',
    '',
    list(spec.userStories, 'none'),
    '',
    '## Acceptance criteria',
    '',
    spec.acceptanceCriteria.map((c, i) => `${i + 1}. **AC${i + 1}**: ${c}`).join('\n'),
    '',
    '## Out of scope',
    '',
    list(spec.outOfScope, 'nothing listed'),
    '',
    '## Open questions',
    '',
    list(spec.openQuestions, 'none'),
    '',
  ].join('\n');
}
