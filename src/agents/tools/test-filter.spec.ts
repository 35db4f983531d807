import { describe, expect, it } from 'vitest';
import { filteredTestCommand, runnerOf } from './test-filter.js';

const noPackage = () => Promise.resolve(undefined);

describe('filteredTestCommand', () => {
  it('adds a test file as a path and a test name through the runner flag', async () => {
    const pytest = ['python3', '-B', '-m', 'pytest', '-q', '--junitxml={junit}'];
    expect(await filteredTestCommand(pytest, 'tests/test_calc.py', noPackage)).toEqual({
      argv: [...pytest, 'tests/test_calc.py'],
    });
    expect(await filteredTestCommand(pytest, 'test_add', noPackage)).toEqual({
      argv: [...pytest, '-k', 'test_add'],
    });
    expect(await filteredTestCommand(['npx', 'vitest', 'run'], 'adds two', noPackage)).toEqual({
      argv: ['npx', 'vitest', 'run', '-t', 'adds two'],
    });
    expect(await filteredTestCommand(['node', '--test'], 'sub', noPackage)).toEqual({
      argv: ['node', '--test', '--test-name-pattern=sub'],
    });
    expect(await filteredTestCommand(['./node_modules/.bin/mocha'], 'sub', noPackage)).toEqual({
      argv: ['./node_modules/.bin/mocha', '--grep', 'sub'],
    });
    expect(await filteredTestCommand(['go', 'test', './...'], 'TestSub', noPackage)).toEqual({
      argv: ['go', 'test', './...', '-run', 'TestSub'],
    });
    expect(await filteredTestCommand(['go', 'test', './...'], 'calc_test.go', noPackage)).toEqual({
      unsupported: 'go test filters by test name (-run); give a test name such as TestAdd',
    });
  });

  it('follows npm scripts into package.json and passes the filter after --', async () => {
    const pkg = () =>
      Promise.resolve(
        JSON.stringify({ scripts: { test: 'jest --ci', 'test:unit': 'vitest run' } }),
      );
    expect(await filteredTestCommand(['npm', 'test'], 'adds', pkg)).toEqual({
      argv: ['npm', 'test', '--', '-t', 'adds'],
    });
    expect(await filteredTestCommand(['npm', 'run', 'test:unit'], 'test/a.test.ts', pkg)).toEqual({
      argv: ['npm', 'run', 'test:unit', '--', 'test/a.test.ts'],
    });
  });

  it('says so when it cannot tell the runner', async () => {
    const pkg = () => Promise.resolve(JSON.stringify({ scripts: { test: 'tape test/*.js' } }));
    expect(await filteredTestCommand(['npm', 'test'], 'x', pkg)).toMatchObject({
      unsupported: expect.stringContaining('cannot tell which test runner'),
    });
    expect(await filteredTestCommand(['make', 'test'], 'x', noPackage)).toMatchObject({
      unsupported: expect.any(String),
    });
    expect(
      await filteredTestCommand(['npm', 'test'], 'x', () => Promise.resolve('{not json')),
    ).toMatchObject({
      unsupported: expect.any(String),
    });
  });

  it('recognises runners by their executable', () => {
    expect(runnerOf(['py.test'])).toBe('pytest');
    expect(runnerOf(['node', 'node_modules/jest/bin/jest.js'])).toBe('jest');
    expect(runnerOf(['node', 'index.js'])).toBeUndefined();
  });
});
