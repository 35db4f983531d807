import { describe, expect, it } from 'vitest';
import type { TestCase } from '../agents/junit.js';
import type { HiddenResults } from './grade-tree.js';
import { candidateIds } from './validate-task.js';

const graded = (cases: [string, TestCase['outcome']][]): HiddenResults => ({
  resolved: false,
  FAIL_TO_PASS: {},
  PASS_TO_PASS: {},
  exitCode: 1,
  durationMs: 0,
  output: '',
  cases: cases.map(([id, outcome]) => ({ id, name: id, classname: '', outcome })),
});

describe('candidateIds', () => {
  it('splits the reference passes by how they ended on the base', () => {
    const base = graded([
      ['t::a', 'passed'],
      ['t::b', 'failed'],
      ['t::c', 'error'],
      ['t::e', 'passed'],
    ]);
    const reference = graded([
      ['t::a', 'passed'],
      ['t::b', 'passed'],
      ['t::c', 'passed'],
      ['t::d', 'passed'],
      ['t::e', 'failed'],
    ]);
    expect(candidateIds({ base, reference })).toEqual({
      failToPass: ['t::b', 't::c', 't::d'],
      passToPass: ['t::a'],
    });
  });
});
