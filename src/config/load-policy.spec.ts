import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/index.js';
import { formatKeyPath, loadPolicy, parsePolicy } from './load-policy.js';
import { DEFAULT_POLICY } from './repo-policy.js';

function issuesOf(text: string, options: Parameters<typeof parsePolicy>[2] = {}) {
  try {
    parsePolicy(text, 'tandem.yml', options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected parsePolicy to throw');
}

describe('parsePolicy', () => {
  it('gives the defaults for an empty file, a comment-only file and empty sections', () => {
    expect(parsePolicy('', 'a')).toEqual(DEFAULT_POLICY);
    expect(parsePolicy('# nothing yet\n', 'a')).toEqual(DEFAULT_POLICY);
    expect(parsePolicy('budgets:\nsandbox:\n', 'a')).toEqual(DEFAULT_POLICY);
  });

  it('merges given keys over the defaults', () => {
    const policy = parsePolicy('budgets:\n  cycles: 4\nmodels:\n  pm: { alias: big }\n', 'a');
    expect(policy.budgets).toEqual({ ...DEFAULT_POLICY.budgets, cycles: 4 });
    expect(policy.models.pm).toEqual({ alias: 'big', escalation: [] });
    expect(policy.models.developer).toEqual(DEFAULT_POLICY.models.developer);
  });

  it('reports each bad key with its dotted path and the line of the key', () => {
    const text = [
      'triggerLabel: ai', // 1
      'budgets:', // 2
      '  cycles: 0', // 3
      'sandbox:', // 4
      '  memoryMb: lots', // 5
      '  test:', // 6
      '    - npm', // 7
      '    - ""', // 8
      'priority: 11', // 9
    ].join('\n');
    expect(issuesOf(text).map(({ path, line }) => ({ path, line }))).toEqual([
      { path: 'budgets.cycles', line: 3 },
      { path: 'sandbox.memoryMb', line: 5 },
      { path: 'sandbox.test[1]', line: 8 },
      { path: 'priority', line: 9 },
    ]);
  });

  it('names unknown keys with a "did you mean" hint, at any depth', () => {
    const issues = issuesOf('trigerLabel: x\nbudgets:\n  Cycles: 3\n  frobnicate: 1\n');
    expect(issues).toEqual([
      { path: 'trigerLabel', line: 1, message: 'unknown key (did you mean "triggerLabel"?)' },
      { path: 'budgets.Cycles', line: 3, message: 'unknown key (did you mean "cycles"?)' },
      { path: 'budgets.frobnicate', line: 4, message: 'unknown key' },
    ]);
  });

  it('refuses a URL as a model alias and an escalation chain that repeats an alias', () => {
    const text = `models:
  tester:
    alias: https://internal.example/v1
  developer:
    alias: coder
    escalation: [big, coder, big]
`;
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['models.tester.alias', 3],
      ['models.developer.escalation[1]', 6],
      ['models.developer.escalation[2]', 6],
    ]);
    expect(issues[1]?.message).toBe(`repeats the role's own alias "coder"`);
    expect(issues[2]?.message).toBe('names "big" twice in the escalation chain');
  });

  it('refuses test globs leaving the repository and a base that is not a branch name', () => {
    const text =
      "sandbox:\n  testGlobs: ['**/*.spec.ts', '../x/**', /etc/*]\nbranches:\n  base: 'a..b'\n";
    expect(issuesOf(text).map((i) => [i.path, i.line, i.message])).toEqual([
      [
        'sandbox.testGlobs[1]',
        2,
        'must be relative to the repository root (no leading "/", no "..")',
      ],
      [
        'sandbox.testGlobs[2]',
        2,
        'must be relative to the repository root (no leading "/", no "..")',
      ],
      ['branches.base', 4, 'must be empty or a valid branch name'],
    ]);
    expect(parsePolicy('branches:\n  base: release/2.x\n', 'a').branches.base).toBe('release/2.x');
  });

  it('refuses identical spec and ticket branch prefixes', () => {
    expect(issuesOf('branches:\n  spec: t/\n  ticket: t/\n')).toEqual([
      {
        path: 'branches.spec',
        line: 2,
        message: 'must differ from branches.ticket so spec and ticket branches stay apart',
      },
    ]);
  });

  it('reports malformed YAML with the parser line and checks nothing else', () => {
    const issues = issuesOf('triggerLabel: ai\nbudgets:\n  cycles: 0\n  x: [1, 2\nfoo: 1\n');
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.message).toMatch(/^YAML syntax error: /);
    expect(issues[0]?.line).toBe(5);
    expect(issues.some((i) => i.path !== '')).toBe(false);
  });

  it('refuses duplicate keys, a non-mapping document and alias bombs', () => {
    const dup = issuesOf('priority: 1\npriority: 2\n');
    expect(dup[0]).toMatchObject({ line: 2 });
    expect(dup[0]?.message).toMatch(/unique/i);
    expect(issuesOf('- a\n- b\n')).toEqual([
      { path: '', message: 'the policy must be a YAML mapping of keys', line: 1 },
    ]);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) {
      const prev = String.fromCharCode(97 + i);
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${prev}`).join(', ')}]`,
      );
    }
    expect(issuesOf(bomb.join('\n'))[0]?.message).toMatch(/alias/);
  });

  it('adds the server checks, with lines, when server limits are given', () => {
    const text = 'sandbox:\n  image: evil/miner\nmodels:\n  pm:\n    alias: gpt-remote\n';
    const issues = issuesOf(text, {
      server: {
        sandboxImages: ['tandem-sandbox'],
        checks: [
          (p) =>
            p.models.pm.alias === 'gpt-remote'
              ? [{ path: 'models.pm.alias', message: 'remote, and privacy is local-only' }]
              : [],
        ],
      },
    });
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['sandbox.image', 2],
      ['models.pm.alias', 5],
    ]);
    expect(
      parsePolicy('', 'a', { server: { sandboxImages: ['tandem-sandbox'] } }).sandbox.image,
    ).toBe('tandem-sandbox:latest');
  });

  it("holds sandbox.diskMb to the server's cap, and 0 means the server default", () => {
    const server = { sandboxImages: ['tandem-sandbox'], sandboxDiskMbMax: 4096 };
    expect(issuesOf('sandbox:\n  diskMb: 10000\n', { server })).toEqual([
      {
        path: 'sandbox.diskMb',
        message: "10000 MiB is over this server's limit of 4096 MiB",
        line: 2,
      },
    ]);
    expect(parsePolicy('sandbox:\n  diskMb: 4096\n', 'a', { server }).sandbox.diskMb).toBe(4096);
    expect(parsePolicy('', 'a', { server }).sandbox.diskMb).toBe(0);
    expect(issuesOf('sandbox:\n  diskMb: 8\n')[0]?.path).toBe('sandbox.diskMb');
  });

  it('puts every problem into one ConfigError whose message names source, key and line', () => {
    try {
      parsePolicy('budgets:\n  cycles: 0\npriority: 0\n', '.github/tandem.yml');
      expect.unreachable();
    } catch (error) {
      const e = error as ConfigError;
      expect(e.code).toBe('config_invalid');
      expect(e.source).toBe('.github/tandem.yml');
      expect(e.message).toBe(
        [
          'invalid .github/tandem.yml: 2 problems',
          '  - budgets.cycles (line 2): Too small: expected number to be >=1',
          '  - priority (line 3): Too small: expected number to be >=1',
        ].join('\n'),
      );
    }
  });
});

describe('loadPolicy', () => {
  it('uses the first file found in POLICY_PATHS order', async () => {
    const files: Record<string, string> = {
      '.gitea/tandem.yml': 'priority: 2\n',
      '.tandem.yml': 'priority: 3\n',
    };
    const loaded = await loadPolicy((p) => Promise.resolve(files[p]));
    expect(loaded.path).toBe('.gitea/tandem.yml');
    expect(loaded.policy.priority).toBe(2);
  });

  it('falls back to the defaults without a file, and throws for an invalid one', async () => {
    expect(await loadPolicy(() => Promise.resolve(undefined))).toEqual({ policy: DEFAULT_POLICY });
    await expect(
      loadPolicy((p) => Promise.resolve(p === '.github/tandem.yml' ? 'priority: x' : undefined)),
    ).rejects.toMatchObject({ code: 'config_invalid', source: '.github/tandem.yml' });
  });
});

describe('formatKeyPath', () => {
  it('renders keys dotted and indices in brackets', () => {
    expect(formatKeyPath(['models', 'pm', 'escalation', 2])).toBe('models.pm.escalation[2]');
    expect(formatKeyPath([])).toBe('');
  });
});
