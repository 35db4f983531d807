import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { InvalidRefNameError } from '../errors/invalid-ref-name-error.js';
import { assertBranchName, refNameProblem, slugify, ticketBranchName } from './ref-name.js';

const NAMES = [
  'tandem/12-add-parser',
  'main',
  'feature/a.b',
  'a/.hidden',
  'a/b.lock',
  'a..b',
  'a b',
  'a~1',
  'a^',
  'a:b',
  'a?',
  'a*',
  'a[b',
  'a\\b',
  'a@{1}',
  '/a',
  'a/',
  'a//b',
  'a.',
  '-a',
  'a\tb',
  'ümlaut',
  'x@y',
];

describe('refNameProblem', () => {
  it('agrees with git check-ref-format --branch', async () => {
    for (const name of NAMES) {
      const git = await execa('git', ['check-ref-format', '--branch', name], { reject: false });
      expect({ name, valid: refNameProblem(name) === null }).toEqual({
        name,
        valid: git.exitCode === 0,
      });
    }
  });

  it('throws a typed error naming the rule', () => {
    expect(() => assertBranchName('a..b')).toThrow(InvalidRefNameError);
    // `git check-ref-format --branch @` expands `@` to HEAD's branch; as a literal name it is refused.
    expect(() => assertBranchName('@')).toThrow(InvalidRefNameError);
    try {
      assertBranchName('x y');
    } catch (error) {
      expect((error as InvalidRefNameError).code).toBe('git_invalid_ref_name');
    }
  });
});

describe('ticketBranchName', () => {
  it('builds tandem/<ticket>-<slug>', () => {
    expect(ticketBranchName('tandem/', 12, 'Add a parser: for CSV (RFC 4180)!')).toBe(
      'tandem/12-add-a-parser-for-csv-rfc-4180',
    );
  });

  it('cuts long titles at a word boundary and never yields an empty slug', () => {
    expect(slugify('word '.repeat(30)).length).toBeLessThanOrEqual(40);
    expect(slugify('word '.repeat(30)).endsWith('-')).toBe(false);
    expect(slugify('!!!')).toBe('ticket');
  });
});
