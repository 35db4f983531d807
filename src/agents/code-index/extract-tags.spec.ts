import { describe, expect, it } from 'vitest';
import { CodeParser } from './code-parser.js';
import { extractTags } from './extract-tags.js';

const tags = async (path: string, text: string) => extractTags(await CodeParser.load(), path, text);
const defs = async (path: string, text: string) =>
  (await tags(path, text))?.definitions.map((d) => `${d.kind} ${d.name}:${d.line}`);

describe('extractTags', () => {
  it('reads TypeScript definitions: functions, classes, methods, types, module-level constants', async () => {
    const text = [
      "import { x } from './x.js';",
      'export function add(a: number, b: number): number { return a + b; }',
      'export const mul = (a: number) => a;',
      'export class Calc {',
      '  plus(n: number) { const local = 1; return add(n, local); }',
      '}',
      'interface Opts { a: string }',
      'type T = Opts;',
      'enum E { A }',
    ].join('\n');
    expect(await defs('src/calc.ts', text)).toEqual([
      'function add:2',
      'variable mul:3',
      'class Calc:4',
      'method plus:5',
      'interface Opts:7',
      'type T:8',
      'enum E:9',
    ]);
    const t = await tags('src/calc.ts', text);
    expect(t?.definitions[0]?.signature).toBe(
      'export function add(a: number, b: number): number { return a + b; }',
    );
    // A use is a reference; the defining name is not.
    expect(t?.references.filter((r) => r.name === 'add')).toEqual([{ name: 'add', line: 5 }]);
    expect(t?.references.some((r) => r.name === 'Opts' && r.line === 8)).toBe(true);
  });

  it('reads CommonJS: functions assigned to exports and object methods, not require() bindings', async () => {
    const text = [
      "const path = require('path');",
      'function a() {}',
      'exports.c = function () { a(); };',
      'module.exports = { d() {}, e: () => 1 };',
    ].join('\n');
    expect(await defs('lib/x.js', text)).toEqual([
      'function a:2',
      'function c:3',
      'method d:4',
      'method e:4',
    ]);
  });

  it('reads Python: functions, classes, methods, module-level assignments', async () => {
    const text = [
      'import os',
      'LIMIT = 10',
      'class Calc:',
      '    def add(self, a):',
      '        return helper(a)',
      '',
      'def helper(a):',
      '    local = 2',
      '    return a',
    ].join('\n');
    expect(await defs('calc.py', text)).toEqual([
      'variable LIMIT:2',
      'class Calc:3',
      'method add:4',
      'function helper:7',
    ]);
    expect((await tags('calc.py', text))?.definitions[1]?.endLine).toBe(5);
  });

  it('reads Go: functions, methods and types', async () => {
    const text =
      'package m\nfunc Add(a int) int { return a }\ntype S struct{}\nfunc (s *S) Do() { Add(1) }\n';
    expect(await defs('m.go', text)).toEqual(['function Add:2', 'type S:3', 'method Do:4']);
  });

  it('gives nothing for unknown languages, declaration files and oversized files', async () => {
    expect(await tags('README.md', '# add')).toBeUndefined();
    expect(await tags('types.d.ts', 'export declare function add(): void;')).toBeUndefined();
    expect(await tags('big.js', 'x;'.repeat(200_000))).toBeUndefined();
  });
});
