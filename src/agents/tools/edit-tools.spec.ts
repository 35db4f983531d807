import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { call, toolWorkspace, type ToolWorkspace } from '../../../test/helpers/tool-context.js';
import { executeTool } from '../agent-tools.js';

let ws: ToolWorkspace;
afterEach(() => ws.remove());

const CALC = [
  'def add(a, b):',
  '    return a + b',
  '',
  '',
  'def sub(a, b):',
  '    return a + b',
  '',
].join('\n');

const read = (path: string) => readFile(join(ws.dir, path), 'utf8');

describe('str_replace', () => {
  it('replaces the one exact match and answers with the numbered region and a syntax check', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC });
    const ctx = await ws.context('developer');
    const result = await executeTool(
      call('str_replace', {
        path: './calc.py',
        old_str: 'def sub(a, b):\n    return a + b',
        new_str: 'def sub(a, b):\n    return a - b',
      }),
      ctx,
    );
    expect(result).toEqual({
      ok: true,
      path: 'calc.py',
      snippet:
        '   1\tdef add(a, b):\n   2\t    return a + b\n   3\t\n   4\t\n   5\tdef sub(a, b):\n   6\t    return a - b',
      syntax: { ok: true, language: 'python' },
    });
    expect(await read('calc.py')).toBe(CALC.replace(/return a \+ b\n$/, 'return a - b\n'));
  });

  it('refuses several matches with their line numbers, and changes nothing', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC });
    const ctx = await ws.context('developer');
    expect(
      await executeTool(
        call('str_replace', { path: 'calc.py', old_str: 'return a + b', new_str: 'x' }),
        ctx,
      ),
    ).toEqual({
      ok: false,
      error: {
        type: 'ambiguous_match',
        message:
          'old_str occurs 2 times in calc.py (starting on lines 2, 6); include more of the surrounding lines so it matches exactly once',
      },
    });
    expect(await read('calc.py')).toBe(CALC);
  });

  it('shows where an unmatched old_str was meant: ignoring indentation, else the most similar lines', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC });
    const ctx = await ws.context('developer');
    const indented = await executeTool(
      call('str_replace', {
        path: 'calc.py',
        old_str: 'def sub(a, b):\n  return a + b',
        new_str: 'x',
      }),
      ctx,
    );
    expect(indented).toEqual({
      ok: false,
      error: {
        type: 'no_match',
        message:
          'old_str was not found in calc.py exactly, but matches when indentation and trailing spaces are ignored. The file has:\nlines from 5:\n   5\tdef sub(a, b):\n   6\t    return a + b\nCopy the exact text (without the line numbers) into old_str.',
      },
    });
    const similar = await executeTool(
      call('str_replace', {
        path: 'calc.py',
        old_str: 'def subtract(a, b):\n    return a + b',
        new_str: 'x',
      }),
      ctx,
    );
    expect(similar.ok).toBe(false);
    expect(!similar.ok && similar.error.message).toMatch(
      /^old_str was not found in calc.py. The most similar lines are:\nlines from 5:\n {3}5\tdef sub\(a, b\):\n {3}6\t {4}return a \+ b/,
    );
    const nothing = await executeTool(
      call('str_replace', { path: 'calc.py', old_str: 'zzzzzzzzzzzz', new_str: 'x' }),
      ctx,
    );
    expect(nothing).toMatchObject({ ok: false, error: { type: 'no_match' } });
    expect(await read('calc.py')).toBe(CALC);
  });

  it('keeps a CRLF file in its own convention', async () => {
    ws = await toolWorkspace({ 'a.js': 'const a = 1;\r\nconst b = 2;\r\n' });
    const ctx = await ws.context('developer');
    expect(
      await executeTool(
        call('str_replace', {
          path: 'a.js',
          old_str: 'const a = 1;\nconst b = 2;',
          new_str: 'const a = 1;\nconst b = 3;',
        }),
        ctx,
      ),
    ).toMatchObject({ ok: true, syntax: { ok: true, language: 'javascript' } });
    expect(await read('a.js')).toBe('const a = 1;\r\nconst b = 3;\r\n');
  });

  it('applies an edit that breaks the syntax, and says where', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC });
    const ctx = await ws.context('developer');
    const result = await executeTool(
      call('str_replace', {
        path: 'calc.py',
        old_str: 'def sub(a, b):\n    return a + b',
        new_str: 'def sub(a, b):\n    return a -',
      }),
      ctx,
    );
    expect(result).toMatchObject({
      ok: true,
      syntax: {
        ok: false,
        language: 'python',
        note: 'This edit leaves a syntax error (line 6, column 5: unexpected "return a -"). The edit was applied; fix it with another edit.',
      },
    });
    expect(await read('calc.py')).toContain('return a -\n');
  });
});

describe('insert and replace_lines', () => {
  it('inserts after a line (0: at the top) and replaces or deletes a range', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC });
    const ctx = await ws.context('developer');
    expect(
      await executeTool(call('insert', { path: 'calc.py', line: 0, text: 'import math\n' }), ctx),
    ).toMatchObject({
      ok: true,
      snippet: '   1\timport math\n   2\tdef add(a, b):\n   3\t    return a + b\n   4\t\n   5\t',
      syntax: { ok: true },
    });
    expect(
      await executeTool(
        call('replace_lines', {
          path: 'calc.py',
          start_line: 7,
          end_line: 7,
          text: '    return a - b',
        }),
        ctx,
      ),
    ).toMatchObject({ ok: true, replaced: '1 lines with 1', syntax: { ok: true } });
    expect(await read('calc.py')).toBe(
      `import math\n${CALC.replace(/return a \+ b\n$/, 'return a - b\n')}`,
    );
    expect(
      await executeTool(
        call('replace_lines', { path: 'calc.py', start_line: 1, end_line: 1, text: '' }),
        ctx,
      ),
    ).toMatchObject({
      ok: true,
      replaced: '1 lines with 0',
    });
    expect(await read('calc.py')).toBe(CALC.replace(/return a \+ b\n$/, 'return a - b\n'));
  });

  it('refuses lines past the end and reversed ranges', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC });
    const ctx = await ws.context('developer');
    expect(await executeTool(call('insert', { path: 'calc.py', line: 7, text: 'x' }), ctx)).toEqual(
      {
        ok: false,
        error: { type: 'invalid_range', message: 'line 7 is past the end: calc.py has 6 lines' },
      },
    );
    expect(
      await executeTool(
        call('replace_lines', { path: 'calc.py', start_line: 3, end_line: 2, text: '' }),
        ctx,
      ),
    ).toMatchObject({
      ok: false,
      error: { type: 'invalid_range' },
    });
    expect(
      await executeTool(
        call('replace_lines', { path: 'calc.py', start_line: 1, end_line: 9, text: '' }),
        ctx,
      ),
    ).toMatchObject({
      ok: false,
      error: { type: 'invalid_range', message: 'end_line 9 is past the end: calc.py has 6 lines' },
    });
    expect(await read('calc.py')).toBe(CALC);
  });
});

describe('create_file', () => {
  it('creates files with parents, refuses an existing file unless overwrite is set', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC });
    const ctx = await ws.context('tester');
    expect(
      await executeTool(
        call('create_file', {
          path: 'tests/unit/test_calc.py',
          content: 'def test_x():\n    assert True\n',
        }),
        ctx,
      ),
    ).toEqual({
      ok: true,
      path: 'tests/unit/test_calc.py',
      created: true,
      lines: 2,
      syntax: { ok: true, language: 'python' },
    });
    expect(
      await executeTool(call('create_file', { path: 'tests/unit/test_calc.py', content: '' }), ctx),
    ).toMatchObject({
      ok: false,
      error: { type: 'file_exists' },
    });
    expect(
      await executeTool(
        call('create_file', {
          path: 'tests/unit/test_calc.py',
          content: 'x = (\n',
          overwrite: true,
        }),
        ctx,
      ),
    ).toMatchObject({
      ok: true,
      overwritten: true,
      syntax: { ok: false, language: 'python' },
    });
    expect(await read('tests/unit/test_calc.py')).toBe('x = (\n');
  });
});

describe('the edit tools refuse up front what the role or the protected paths forbid', () => {
  it('the developer never edits a test, the tester only tests; also through non-canonical paths', async () => {
    ws = await toolWorkspace({ 'calc.py': CALC, 'tests/test_calc.py': 'x = 1\n' });
    const developer = await ws.context('developer');
    for (const path of ['tests/test_calc.py', 'tests//test_calc.py', 'src/../tests/test_calc.py']) {
      expect(
        await executeTool(
          call('str_replace', { path, old_str: 'x = 1', new_str: 'x = 2' }),
          developer,
        ),
      ).toEqual({
        ok: false,
        error: {
          type: 'forbidden',
          message: 'tests/test_calc.py is a test file; the developer never changes tests',
        },
      });
    }
    const tester = await ws.context('tester');
    for (const [tool, args] of [
      ['insert', { path: 'calc.py', line: 0, text: '# x' }],
      ['replace_lines', { path: 'calc.py', start_line: 1, end_line: 1, text: '' }],
      ['create_file', { path: 'calc2.py', content: '' }],
      ['write_file', { path: 'calc.py', content: '' }],
    ] as const) {
      expect(await executeTool(call(tool, args), tester)).toMatchObject({
        ok: false,
        error: { type: 'forbidden' },
      });
    }
    expect(await read('calc.py')).toBe(CALC);
    expect(await read('tests/test_calc.py')).toBe('x = 1\n');
  });

  it('refuses protected paths and the operator globs for both roles', async () => {
    ws = await toolWorkspace({
      '.github/workflows/ci.yml': 'on: push\n',
      'deploy/prod.env': 'A=1\n',
    });
    for (const role of ['developer', 'tester'] as const) {
      const ctx = await ws.context(role, { protectedPaths: ['deploy/**'], testGlobs: ['**'] });
      expect(
        await executeTool(
          call('create_file', { path: '.github/workflows/evil.yml', content: 'x' }),
          ctx,
        ),
      ).toEqual({
        ok: false,
        error: {
          type: 'protected_path',
          message:
            ".github/workflows/evil.yml is protected: no agent changes CI workflows, Tandem's policy, CODEOWNERS, .gitmodules or .gitattributes",
        },
      });
      expect(
        await executeTool(
          call('str_replace', { path: 'deploy/prod.env', old_str: 'A=1', new_str: 'A=2' }),
          ctx,
        ),
      ).toMatchObject({
        ok: false,
        error: { type: 'protected_path' },
      });
    }
    expect(await read('deploy/prod.env')).toBe('A=1\n');
  });
});
