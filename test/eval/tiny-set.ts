/**
 * Test helper: a tiny eval set built on the spot, in SWE-bench's own shape (a git repository, a base
 * commit, `patch` and `test_patch` as unified diffs), so the grader's honesty checks need nothing fetched:
 * - `textkit-truncate` (Python, JUnit grading): a new function, its tests in a new hidden file;
 * - `textkit-collapse` (Python, JUnit grading, a two-criterion ticket): a fix whose hidden test file
 *   replaces an existing one;
 * - `padkit-pad-end` (JavaScript, per-file grading with node's own runner): a new function.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';

const SLUG_V1 = `import re


def slugify(text):
    return re.sub(r"[^a-z0-9]", "-", text.lower()).strip("-")
`;

const SLUG_TESTS_V1 = `from textkit import slugify


def test_slug():
    assert slugify("Hello World") == "hello-world"
`;

const TRUNCATE = `

def truncate(text, width):
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…"
`;

const TRUNCATE_TESTS = `import textkit


def test_truncate_short():
    assert textkit.truncate("abc", 5) == "abc"


def test_truncate_long():
    assert textkit.truncate("abcdef", 4) == "abc…"
`;

const SLUG_V2 = `import re


def slugify(text):
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", text.lower())).strip("-")
`;

const SLUG_TESTS_V2 = `${SLUG_TESTS_V1}

def test_collapse():
    assert slugify("a  --  b") == "a-b"
`;

const PAD_V1 = `'use strict';

function padStart(text, width) {
  return ' '.repeat(Math.max(0, width - text.length)) + text;
}

module.exports = { padStart };
`;

const PAD_V2 = `'use strict';

function padStart(text, width) {
  return ' '.repeat(Math.max(0, width - text.length)) + text;
}

function padEnd(text, width) {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

module.exports = { padStart, padEnd };
`;

const PAD_TEST = `'use strict';
const assert = require('node:assert');
const { padStart } = require('../pad.js');

assert.strictEqual(padStart('a', 3), '  a');
`;

const PAD_END_TEST = `'use strict';
const assert = require('node:assert');
const { padEnd } = require('../pad.js');

assert.strictEqual(padEnd('a', 3), 'a  ');
assert.strictEqual(padEnd('abcd', 3), 'abcd');
`;

const PYTEST = [
  'python3',
  '-B',
  '-m',
  'pytest',
  '-q',
  '-p',
  'no:cacheprovider',
  '--junitxml={junit}',
];

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const git = (repo: string, args: string[]) =>
  execa('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);

/** A repository with a base commit, and the reference's code and test changes as two diffs. */
async function repoWithChange(
  root: string,
  name: string,
  base: Record<string, string>,
  reference: Record<string, string>,
  testPath: string,
): Promise<{ repo: string; baseCommit: string; patch: string; testPatch: string }> {
  const repo = join(root, name);
  await writeFiles(repo, base);
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-qm', 'base']);
  const baseCommit = (await git(repo, ['rev-parse', 'HEAD'])).stdout.trim();
  await writeFiles(repo, reference);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-qm', 'reference']);
  const diff = async (...paths: string[]) =>
    `${(await git(repo, ['diff', baseCommit, 'HEAD', '--', ...paths])).stdout}\n`;
  return {
    repo,
    baseCommit,
    patch: await diff('.', `:!${testPath}`),
    testPatch: await diff(testPath),
  };
}

/** Builds the set; returns the directory and the path of its `tasks.jsonl`. */
export async function makeTinySet(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-eval-set-'));
  const truncate = await repoWithChange(
    dir,
    'textkit-a',
    { 'textkit.py': SLUG_V1, 'tests/test_slug.py': SLUG_TESTS_V1 },
    { 'textkit.py': SLUG_V1 + TRUNCATE, 'tests/test_truncate.py': TRUNCATE_TESTS },
    'tests',
  );
  const textkitBase = { 'textkit.py': SLUG_V1, 'tests/test_slug.py': SLUG_TESTS_V1 };
  const collapse = await repoWithChange(
    dir,
    'textkit-b',
    textkitBase,
    { 'textkit.py': SLUG_V2, 'tests/test_slug.py': SLUG_TESTS_V2 },
    'tests',
  );
  const pad = await repoWithChange(
    dir,
    'padkit',
    { 'pad.js': PAD_V1, 'test/pad.test.js': PAD_TEST },
    { 'pad.js': PAD_V2, 'test/pad-end.test.js': PAD_END_TEST },
    'test',
  );
  const tasks = [
    {
      instance_id: 'textkit-truncate',
      repo: truncate.repo,
      base_commit: truncate.baseCommit,
      problem_statement:
        'Add truncate(text, width): text longer than width is cut to width characters, the last one being "…".',
      patch: truncate.patch,
      test_patch: truncate.testPatch,
      FAIL_TO_PASS: JSON.stringify([
        'tests/test_truncate.py::test_truncate_short',
        'tests/test_truncate.py::test_truncate_long',
      ]),
      PASS_TO_PASS: JSON.stringify(['tests/test_slug.py::test_slug']),
      test_command: PYTEST,
      test_globs: ['tests/**'],
      timeout_seconds: 120,
      memory_mb: 512,
    },
    {
      instance_id: 'textkit-collapse',
      repo: collapse.repo,
      base_commit: collapse.baseCommit,
      problem_statement: 'slugify leaves runs of dashes: "a  --  b" gives "a-----b".',
      ticket: {
        title: 'slugify collapses runs of dashes',
        description: 'slugify("a  --  b") gives "a-----b"; it should give "a-b".',
        acceptanceCriteria: ['Runs of separators become one dash', 'Existing slugs are unchanged'],
      },
      patch: collapse.patch,
      test_patch: collapse.testPatch,
      FAIL_TO_PASS: ['tests/test_slug.py::test_collapse'],
      PASS_TO_PASS: ['tests/test_slug.py::test_slug'],
      test_command: PYTEST,
      test_globs: ['tests/**'],
      timeout_seconds: 120,
      memory_mb: 512,
    },
    {
      instance_id: 'padkit-pad-end',
      repo: pad.repo,
      base_commit: pad.baseCommit,
      problem_statement: 'Add padEnd(text, width) next to padStart: spaces after the text.',
      patch: pad.patch,
      test_patch: pad.testPatch,
      FAIL_TO_PASS: ['test/pad-end.test.js'],
      PASS_TO_PASS: ['test/pad.test.js'],
      test_command: ['node', '--test', 'test/'],
      grading: 'file',
      test_file_command: ['node', '{file}'],
      test_globs: ['test/**'],
      timeout_seconds: 120,
      memory_mb: 512,
    },
  ];
  const file = join(dir, 'tasks.jsonl');
  await writeFile(file, tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
  return { dir, file };
}
