import { afterEach, describe, expect, it } from 'vitest';
import { call, toolWorkspace, type ToolWorkspace } from '../../../test/helpers/tool-context.js';
import { executeTool } from '../agent-tools.js';

let ws: ToolWorkspace;
afterEach(() => ws.remove());

const FILES = {
  'src/calc.ts': [
    "import { round } from './util.js';",
    '',
    'export class Calculator {',
    '  add(a: number, b: number): number {',
    '    return round(a + b);',
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/util.ts': 'export function round(x: number): number {\n  return Math.floor(x + 0.5);\n}\n',
  'src/deep/nested/calc_helpers.py': 'def add_all(xs):\n    return sum(xs)\n',
  'tests/calc.test.ts':
    "import { Calculator } from '../src/calc.js';\nnew Calculator().add(1, 2);\n",
  'README.md': 'Calculator: add numbers.\n',
  'logo.png': '\u0089PNG\u0000',
};

describe('find_file', () => {
  it('finds by part of the name (any case) or by glob', async () => {
    ws = await toolWorkspace(FILES);
    const ctx = await ws.context('developer');
    expect(await executeTool(call('find_file', { pattern: 'CALC' }), ctx)).toEqual({
      ok: true,
      files: ['src/calc.ts', 'src/deep/nested/calc_helpers.py', 'tests/calc.test.ts'],
      total: 3,
    });
    expect(await executeTool(call('find_file', { pattern: '*.py' }), ctx)).toMatchObject({
      files: ['src/deep/nested/calc_helpers.py'],
    });
    expect(await executeTool(call('find_file', { pattern: 'src/*.ts' }), ctx)).toMatchObject({
      files: ['src/calc.ts', 'src/util.ts'],
    });
    expect(
      await executeTool(call('find_file', { pattern: 'calc', dir: 'tests' }), ctx),
    ).toMatchObject({
      files: ['tests/calc.test.ts'],
    });
    expect(await executeTool(call('find_file', { pattern: 'nothing' }), ctx)).toEqual({
      ok: true,
      files: [],
      total: 0,
      note: 'no file name matches nothing',
    });
  });
});

describe('search', () => {
  it('finds literal text with context and per-file counts, skipping binary files', async () => {
    ws = await toolWorkspace(FILES);
    const ctx = await ws.context('developer');
    expect(await executeTool(call('search', { pattern: 'round(', context: 1 }), ctx)).toEqual({
      ok: true,
      total_matches: 2,
      files: [
        { path: 'src/calc.ts', matches: 1 },
        { path: 'src/util.ts', matches: 1 },
      ],
      results:
        'src/calc.ts (1 match)\n  4-   add(a: number, b: number): number {\n  5:     return round(a + b);\n  6-   }\nsrc/util.ts (1 match)\n  1: export function round(x: number): number {\n  2-   return Math.floor(x + 0.5);',
    });
  });

  it('takes regular expressions, case-insensitive search and a glob or directory as path', async () => {
    ws = await toolWorkspace(FILES);
    const ctx = await ws.context('developer');
    expect(
      await executeTool(
        call('search', { pattern: '^export (class|function) \\w+', regex: true, context: 0 }),
        ctx,
      ),
    ).toMatchObject({
      total_matches: 2,
    });
    expect(
      await executeTool(
        call('search', { pattern: 'calculator', ignore_case: true, path: '*.md', context: 0 }),
        ctx,
      ),
    ).toMatchObject({
      total_matches: 1,
      files: [{ path: 'README.md', matches: 1 }],
    });
    expect(
      await executeTool(call('search', { pattern: 'add', path: 'src/deep', context: 0 }), ctx),
    ).toMatchObject({
      files: [{ path: 'src/deep/nested/calc_helpers.py', matches: 1 }],
    });
  });

  it('caps the lines shown but counts them all', async () => {
    ws = await toolWorkspace({
      'many.txt': Array.from({ length: 120 }, (_, i) => `hit ${i}`).join('\n'),
    });
    const ctx = await ws.context('developer');
    const result = await executeTool(call('search', { pattern: 'hit', context: 0 }), ctx);
    expect(result).toMatchObject({
      ok: true,
      total_matches: 120,
      files: [{ path: 'many.txt', matches: 120 }],
      note: '50 of 120 matching lines shown; narrow the search with path or a more specific pattern',
    });
    expect(String(result.ok && result.results).split('\n')).toHaveLength(51);
  });

  it('answers invalid and runaway regular expressions as failures', async () => {
    ws = await toolWorkspace({ 'a.txt': `${'a'.repeat(40)}!\n` });
    const ctx = await ws.context('developer');
    expect(await executeTool(call('search', { pattern: '(', regex: true }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'invalid_pattern' },
    });
    expect(await executeTool(call('search', { pattern: '(a+)+$', regex: true }), ctx)).toEqual({
      ok: false,
      error: {
        type: 'invalid_pattern',
        message: 'the pattern took longer than 5000 ms; make it simpler or narrow path',
      },
    });
    // Literal text is escaped: the same characters are just text.
    expect(await executeTool(call('search', { pattern: '(a+)+$' }), ctx)).toMatchObject({
      ok: true,
      total_matches: 0,
    });
  }, 20_000);
});

describe('list_files', () => {
  it('lists a small tree in full and summarises a large one by directory', async () => {
    ws = await toolWorkspace(FILES);
    const ctx = await ws.context('developer');
    expect(await executeTool(call('list_files', { dir: 'src' }), ctx)).toEqual({
      ok: true,
      files: ['src/calc.ts', 'src/deep/nested/calc_helpers.py', 'src/util.ts'],
      total: 3,
    });
    const big: Record<string, string> = { 'top.txt': '' };
    for (let i = 0; i < 150; i++) {
      big[`a/f${i}.txt`] = '';
      big[`b/c/g${i}.txt`] = '';
    }
    await ws.remove();
    ws = await toolWorkspace(big);
    expect(await executeTool(call('list_files', {}), await ws.context('developer'))).toEqual({
      ok: true,
      total: 301,
      directories: ['a/ (150 files)', 'b/ (150 files)'],
      files: ['top.txt'],
      note: '301 files: too many to list; call list_files with one of the directories',
    });
  });
});

describe('symbols', () => {
  it('finds definitions and references across files', async () => {
    ws = await toolWorkspace(FILES);
    const ctx = await ws.context('developer');
    expect(await executeTool(call('symbols', { name: 'round' }), ctx)).toEqual({
      ok: true,
      name: 'round',
      definitions: ['src/util.ts:1 (function) export function round(x: number): number {'],
      references: [
        "src/calc.ts:1: import { round } from './util.js';",
        'src/calc.ts:5: return round(a + b);',
      ],
      references_per_file: [{ path: 'src/calc.ts', references: 2 }],
    });
    expect(await executeTool(call('symbols', { name: 'Calculator' }), ctx)).toMatchObject({
      definitions: ['src/calc.ts:3 (class) export class Calculator {'],
      references_per_file: [{ path: 'tests/calc.test.ts', references: 2 }],
    });
  });

  it('outlines a file, and names similar symbols when there is no match', async () => {
    ws = await toolWorkspace(FILES);
    const ctx = await ws.context('developer');
    expect(await executeTool(call('symbols', { path: 'src/calc.ts' }), ctx)).toEqual({
      ok: true,
      path: 'src/calc.ts',
      definitions: [
        '3-7 class export class Calculator {',
        '4-6 method add(a: number, b: number): number {',
      ],
    });
    expect(await executeTool(call('symbols', { name: 'calc' }), ctx)).toEqual({
      ok: false,
      error: {
        type: 'not_found',
        message: 'no definition or use of calc in 4 source files; similar names: Calculator',
      },
    });
    expect(await executeTool(call('symbols', { name: 'a b' }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments' },
    });
    expect(await executeTool(call('symbols', {}), ctx)).toMatchObject({
      ok: false,
      error: { type: 'invalid_arguments' },
    });
    expect(await executeTool(call('symbols', { path: 'README.md' }), ctx)).toMatchObject({
      ok: false,
      error: { type: 'unsupported_language' },
    });
  });
});
