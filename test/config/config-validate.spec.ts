/**
 * `tandem config validate`: the real CLI spawned once per outcome (valid, invalid, malformed,
 * missing), then `validateConfigFile` called directly for the other cases.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfigFile } from '../../src/cli/commands/config.js';
import { loadModelCatalog } from '../../src/llm/catalog.js';

const fixtures = 'test/fixtures/policy';

function tandem(...args: string[]) {
  return execa('npx', ['tsx', 'src/cli/main.ts', ...args], {
    reject: false,
    env: { npm_config_loglevel: 'error', NO_COLOR: '1' },
  });
}

async function direct(file: string, sandboxImages?: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await validateConfigFile(file, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    ...(sandboxImages ? { sandboxImages } : {}),
  });
  return { code, stdout, stderr };
}

describe('tandem config validate (spawned CLI)', () => {
  it('prints ok and exits 0 for a valid file', async () => {
    const r = await tandem('config', 'validate', `${fixtures}/valid.yml`);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe(`ok: ${fixtures}/valid.yml`);
  });

  it('names every bad key with its line on stderr and exits 1 for an invalid file', async () => {
    const r = await tandem('config', 'validate', `${fixtures}/invalid.yml`);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    const file = `${fixtures}/invalid.yml`;
    expect(r.stderr).toContain(`${file}:3: budgets.cycles: Too small`);
    expect(r.stderr).toContain(`${file}:4: budgets.tokenz: unknown key (did you mean "tokens"?)`);
    expect(r.stderr).toContain(`${file}:7: models.tester.alias: must be a model alias`);
    expect(r.stderr).toContain(`${file}:12: models.developer.escalation[1]: repeats the role's`);
    expect(r.stderr).toContain(`${file}:14: sandbox.network: Invalid option`);
    expect(r.stderr).toContain(`${file}:17: sandbox.test[1]: Too small`);
    expect(r.stderr).toContain(`${file}: 6 problems`);
  });

  it('reports the parser line and exits 1 for malformed YAML', async () => {
    const r = await tandem('config', 'validate', `${fixtures}/malformed-yaml.txt`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/malformed-yaml\.txt:4: \(file\): YAML syntax error: Flow sequence/);
  });

  it('exits 1 with a clear message for a missing file', async () => {
    const r = await tandem('config', 'validate', `${fixtures}/does-not-exist.yml`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toBe(`error: cannot read ${fixtures}/does-not-exist.yml: no such file`);
  });
});

describe('validateConfigFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts an empty (comment-only) file as the defaults', async () => {
    expect(await direct(`${fixtures}/empty.yml`)).toEqual({
      code: 0,
      stdout: `ok: ${fixtures}/empty.yml\n`,
      stderr: '',
    });
  });

  it('checks sandbox.image against an allowlist when one is given', async () => {
    const file = join(dir, 'image.yml');
    await writeFile(file, 'sandbox:\n  image: someone/miner:1\n');
    expect((await direct(file)).code).toBe(0);
    const r = await direct(file, ['tandem-sandbox']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:2: sandbox.image: image "someone/miner:1" is not allowed`);
    expect((await direct(file, ['someone/miner:1'])).code).toBe(0);
  });

  it('checks the model aliases against a catalog when one is given, naming the fix', async () => {
    const catalogFile = join(dir, 'models.yml');
    await writeFile(
      catalogFile,
      [
        'includeDefaults: false',
        'models:',
        '  coder: { provider: ollama, model: qwen2.5-coder:7b, endpoint: "http://127.0.0.1:11434" }',
        '  cloud: { provider: openai, model: gpt-4.1-mini, endpoint: "https://api.example.com/v1" }',
        '',
      ].join('\n'),
    );
    const file = join(dir, 'aliases.yml');
    await writeFile(
      file,
      'models:\n  pm:\n    alias: cloud\n  tester:\n    alias: codr\n    escalation: []\n',
    );
    const catalog = await loadModelCatalog(catalogFile);
    let stderr = '';
    const code = await validateConfigFile(file, {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      catalog,
    });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${file}:3: models.pm.alias: model alias "cloud" is remote, and privacy is local-only: ` +
        'set `models.privacy: any` in the policy to allow remote aliases, or use a local one (coder)',
    );
    expect(stderr).toContain(
      `${file}:5: models.tester.alias: unknown model alias "codr"; the server catalog has these chat aliases: cloud, coder`,
    );
    // Without a catalog the same file is valid: aliases are only names until a catalog is known.
    expect((await direct(file)).code).toBe(0);
    // The spawned CLI reads the catalog itself.
    const r = await tandem('config', 'validate', file, '--catalog', catalogFile);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`${file}:5: models.tester.alias: unknown model alias "codr"`);
    const bad = await tandem('config', 'validate', file, '--catalog', join(dir, 'none.yml'));
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain(`error: the catalog ${join(dir, 'none.yml')} is unusable`);
  }, 60_000);

  it('reports a root that is not a mapping, and a directory as unreadable', async () => {
    const file = join(dir, 'list.yml');
    await writeFile(file, '- a\n');
    const r = await direct(file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:1: (file): the policy must be a YAML mapping of keys`);
    const d = await direct(dir);
    expect(d).toMatchObject({ code: 1, stdout: '' });
    expect(d.stderr).toBe(`error: cannot read ${dir}: EISDIR\n`);
  });
});
