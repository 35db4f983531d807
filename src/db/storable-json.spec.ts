import { describe, expect, it } from 'vitest';
import { storableString, toStorableJson } from './storable-json.js';

describe('toStorableJson', () => {
  it('replaces NUL and lone surrogates in values and keys, at any depth', () => {
    const value = {
      body: 'a\u0000b',
      nested: [{ title: 'x\ud800y' }, 'ok', 3, null, true],
      ['k\u0000']: 'v',
      pair: '😀',
    };
    expect(toStorableJson(value)).toEqual({
      body: 'a\uFFFDb',
      nested: [{ title: 'x\uFFFDy' }, 'ok', 3, null, true],
      ['k\uFFFD']: 'v',
      pair: '😀',
    });
    expect(value.body).toBe('a\u0000b');
  });

  it('returns the same object when nothing needs a change', () => {
    const value = { a: ['b', { c: 'd' }], e: 1 };
    expect(toStorableJson(value)).toBe(value);
  });

  it('keeps a literal backslash-u text untouched', () => {
    expect(storableString('\\u0000')).toBe('\\u0000');
  });
});
