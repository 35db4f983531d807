/** The Architect's code context over a real git workspace (git grep) of a small repository. */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitWorkspace } from '../git/git-workspace.js';
import { renderSpec } from './render-spec.js';
import { architectContext, specKeyTerms, termPattern } from './code-context.js';

const SPEC = renderSpec(
  {
    title: 'CSV export of the report',
    slug: 'csv-export',
    summary:
      'The report can be exported as CSV through `exportCsv(report)` in `src/report/export.ts`. ' +
      'Quoting follows RFC 4180: quoting of fields with commas, quoting of quotes.',
    userStories: ['As an accountant I download the report as CSV'],
    acceptanceCriteria: ['exportCsv writes a header row', 'fields with commas are quoted'],
    outOfScope: [],
    openQuestions: [],
  },
  12,
);

let dir: string;
let workspace: GitWorkspace;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-code-context-'));
  const repo = join(dir, 'repo');
  const files: Record<string, string> = {
    'src/report/report.ts':
      'export interface Report { rows: string[][] }\nexport function total(r: Report) { return r.rows.length; }\n',
    'src/report/export.ts':
      "import type { Report } from './report.js';\nexport function exportJson(report: Report) { return JSON.stringify(report); }\n",
    'src/util/quote.ts':
      'export function quote(field: string) { return field.includes(",") ? `"${field}"` : field; }\n',
    'README.md': 'A reporting tool.\n',
    'src/unrelated.ts': 'export const nothing = 1;\n',
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(repo, path, '..'), { recursive: true });
    await writeFile(join(repo, path), content);
  }
  await execa('git', ['init', '-q', '-b', 'main', repo]);
  await execa('git', ['-C', repo, 'add', '-A']);
  await execa('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@t',
    'commit',
    '-qm',
    'init',
  ]);
  workspace = await GitWorkspace.open({
    remote: repo,
    branch: 'tandem-plan',
    gitDir: join(dir, 'git'),
    workTree: join(dir, 'tree'),
  });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('specKeyTerms', () => {
  it('puts the spec’s code spans and identifiers first, then its most frequent prose words', () => {
    const terms = specKeyTerms(SPEC);
    expect(terms.slice(0, 2)).toEqual(['exportCsv', 'src/report/export.ts']);
    expect(terms).toContain('report');
    expect(terms).toContain('quoting');
    expect(terms).not.toContain('acceptance');
    expect(terms.length).toBeLessThanOrEqual(12);
  });

  it('escapes a term for git grep -E, its first letter in either case', () => {
    expect(termPattern('src/a.ts')).toBe('[Ss]rc\\/a\\.ts');
    expect(termPattern('(x)')).toBe('\\(x\\)');
  });
});

describe('architectContext', () => {
  it('finds where the terms occur and shows the likeliest files, within the budget', async () => {
    const context = await architectContext(
      SPEC,
      {
        files: await workspace.listFiles(),
        grep: (pattern, max) => workspace.grep(pattern, max),
        readFile: (path) =>
          import('node:fs/promises').then((fs) =>
            fs.readFile(join(workspace.workTree, path), 'utf8'),
          ),
      },
      { files: 2, filesChars: 400 },
    );
    expect(context.searchHits).toContain('report: src/report/export.ts:1:');
    expect(context.searchHits).toContain('quoting: src/util/quote.ts:1:');
    // export.ts: the spec names it and it holds `report`; quote.ts: quoting and fields, in its name too.
    expect(context.files.map((f) => f.path)).toEqual(['src/report/export.ts', 'src/util/quote.ts']);
    expect(context.files[0]!.content).toContain('exportJson');
    expect(context.files.every((f) => f.content.length <= 200 + 8)).toBe(true);
    expect(context.searchHits).not.toContain('unrelated');
  });
});
