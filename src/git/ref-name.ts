/**
 * Git ref-name validation and ticket branch naming.
 *
 * The rules are those of `git check-ref-format --branch` (git-check-ref-format(1), "RULES"): no component
 * starting with `.` or ending with `.lock`, no `..`, no control characters, space, `~ ^ : ? * [ \`, no `@{`,
 * not `@`, no leading/trailing or doubled `/`, no trailing `.`, and (for branches) no leading `-`.
 * `test/git/ref-name.spec.ts` checks this function against the real `git check-ref-format`.
 */
import { InvalidRefNameError } from '../errors/invalid-ref-name-error.js';

/** Maximum branch name length Tandem accepts, in characters (forges reject very long refs). */
export const MAX_BRANCH_LENGTH = 200;

/** Returns the reason `name` is not a valid branch name, or `null` when it is valid. */
export function refNameProblem(name: string): string | null {
  if (name.length === 0) {
    return 'empty';
  }
  if (name.length > MAX_BRANCH_LENGTH) {
    return `longer than ${MAX_BRANCH_LENGTH} characters`;
  }
  if (name === '@') {
    return 'is "@"';
  }
  if (name.startsWith('-')) {
    return 'starts with "-"';
  }
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) {
    return 'leading, trailing or doubled "/"';
  }
  if (name.endsWith('.')) {
    return 'ends with "."';
  }
  if (name.includes('..')) {
    return 'contains ".."';
  }
  if (name.includes('@{')) {
    return 'contains "@{"';
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) {
    return 'contains a control character, space or one of ~ ^ : ? * [ \\';
  }
  for (const component of name.split('/')) {
    if (component.startsWith('.')) {
      return 'a component starts with "."';
    }
    if (component.endsWith('.lock')) {
      return 'a component ends with ".lock"';
    }
  }
  return null;
}

/**
 * Throws {@link InvalidRefNameError} unless `name` is a valid branch name (see the module comment).
 * Returns the name unchanged, so it can wrap an expression.
 */
export function assertBranchName(name: string): string {
  const problem = refNameProblem(name);
  if (problem !== null) {
    throw new InvalidRefNameError(name, problem);
  }
  return name;
}

/**
 * A lower-case ASCII slug of `title`: runs of other characters become `-`, at most `maxLength`
 * characters, cut at a word boundary where possible; `ticket` when nothing is left.
 */
export function slugify(title: string, maxLength = 40): string {
  const slug = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= maxLength) {
    return slug || 'ticket';
  }
  const cut = slug.slice(0, maxLength);
  const lastDash = cut.lastIndexOf('-');
  return (lastDash > maxLength / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, '');
}

/**
 * The ticket branch `<prefix><ticket>-<slug>` (DESIGN.md: `tandem/<ticket>-<slug>`), validated.
 * @throws InvalidRefNameError when the prefix makes the name invalid.
 */
export function ticketBranchName(prefix: string, ticket: number | string, title: string): string {
  return assertBranchName(`${prefix}${ticket}-${slugify(title)}`);
}
