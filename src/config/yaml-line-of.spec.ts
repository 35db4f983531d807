import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { yamlLineOf } from './yaml-line-of.js';

function lineOf(text: string, path: PropertyKey[]) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return yamlLineOf(doc, lineCounter, path);
}

const text = `# comment
a:
  b:
    - x
    -
      c: 1
  d: { e: [10, 20] }
list:
  - 1
`;

describe('yamlLineOf', () => {
  it('finds block and flow keys and sequence items', () => {
    expect(lineOf(text, ['a'])).toBe(2);
    expect(lineOf(text, ['a', 'b'])).toBe(3);
    expect(lineOf(text, ['a', 'b', 0])).toBe(4);
    expect(lineOf(text, ['a', 'b', 1, 'c'])).toBe(6);
    expect(lineOf(text, ['a', 'd', 'e', 1])).toBe(7);
    expect(lineOf(text, ['list', 0])).toBe(9);
  });

  it('falls back to the deepest node that exists', () => {
    expect(lineOf(text, ['a', 'd', 'missing'])).toBe(7);
    expect(lineOf(text, ['a', 'b', 5])).toBe(3);
    expect(lineOf(text, ['nope'])).toBe(2);
  });

  it('is undefined for an empty document', () => {
    expect(lineOf('', ['a'])).toBeUndefined();
    expect(lineOf('# only a comment\n', [])).toBeUndefined();
  });
});
