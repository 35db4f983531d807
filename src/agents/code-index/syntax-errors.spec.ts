import { describe, expect, it } from 'vitest';
import { CodeParser } from './code-parser.js';
import { checkSyntax } from './syntax-errors.js';

const check = async (path: string, text: string) =>
  checkSyntax(await CodeParser.load(), path, text);

describe('checkSyntax', () => {
  it('passes valid code, including recent syntax', async () => {
    expect(
      await check('a.ts', 'const x = y satisfies number;\n@dec class A { accessor x = 1 }\n'),
    ).toEqual({
      checked: true,
      language: 'typescript',
      problems: [],
    });
    expect(
      await check('a.py', 'match x:\n    case 1:\n        pass\nprint(f"{x!r:>{w}}")\n'),
    ).toMatchObject({
      problems: [],
    });
    expect(
      await check('a.tsx', 'export const A = () => <div className="a">{1}</div>;\n'),
    ).toMatchObject({
      problems: [],
    });
  });

  it('locates errors in Python, TypeScript and JavaScript', async () => {
    expect(await check('a.py', 'def f(x):\n    return x +\n')).toEqual({
      checked: true,
      language: 'python',
      problems: [{ line: 2, column: 5, message: 'unexpected "return x +"' }],
    });
    const ts = await check('a.ts', 'export function f() {\n  return [1, 2;\n}\n');
    expect(ts).toMatchObject({ checked: true, language: 'typescript' });
    expect(ts.checked && ts.problems[0]?.line).toBe(2);
    const js = await check('a.js', 'function f() {\n  if (x) {\n    g();\n}\n');
    expect(js.checked && js.problems.length).toBeGreaterThan(0);
  });

  it('checks JSON strictly and JSON with comments where tools allow them', async () => {
    expect(await check('package.json', '{"a": 1,\n "b": }')).toEqual({
      checked: true,
      language: 'json',
      problems: [{ line: 2, column: 7, message: 'value expected' }],
    });
    expect(await check('tsconfig.json', '{\n  // comment\n  "a": 1,\n}\n')).toEqual({
      checked: true,
      language: 'jsonc',
      problems: [],
    });
    expect(await check('data.json', '{\n  // comment\n  "a": 1\n}\n')).toMatchObject({
      problems: [{ line: 2, message: 'invalid comment token' }],
    });
  });

  it('does not check other file types', async () => {
    expect(await check('README.md', '# (')).toEqual({
      checked: false,
      reason: 'no syntax check for this file type',
    });
  });
});
