import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RepoPolicy } from '../config/repo-policy.js';
import { ConfigError } from '../errors/index.js';
import {
  DEFAULT_CATALOG,
  DEFAULT_ESCALATION_ALIAS,
  catalogSecrets,
  loadModelCatalog,
  parseModelCatalog,
} from './catalog.js';
import { validatePolicyModels } from './validate-policy-models.js';

const CATALOG = `
modelsDir: /var/tandem/models
models:
  qwen-ollama:
    provider: ollama
    model: qwen2.5-coder:7b
    endpoint: http://ollama:11434
    contextSize: 16384
  gpt:
    provider: openai
    model: gpt-4.1-mini
    endpoint: https://api.openai.com/v1
    apiKey: \${OPENAI_API_KEY}
    priceInPerMTok: 0.4
    priceOutPerMTok: 1.6
    maxConcurrent: 4
  vllm:
    provider: openai
    model: qwen
    endpoint: http://gpu-box:8000/v1
    remote: false
`;

function issuesOf(fn: () => unknown): ConfigError['issues'] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('model catalog', () => {
  it('parses aliases, resolves ${ENV} secrets, keeps the built-in local-coder', () => {
    const catalog = parseModelCatalog(CATALOG, { OPENAI_API_KEY: 'sk-test-secret-value-123' });
    expect(catalog.models.gpt).toMatchObject({
      provider: 'openai',
      apiKey: 'sk-test-secret-value-123',
      remote: true,
      maxConcurrent: 4,
    });
    expect(catalog.models['qwen-ollama']).toMatchObject({ remote: false, contextSize: 16384 });
    expect(catalog.models.vllm?.remote).toBe(false);
    expect(catalog.models['local-coder']?.provider).toBe('llama-cpp');
    expect(catalogSecrets(catalog)).toEqual(['sk-test-secret-value-123']);
  });

  it('names a missing env variable and its line, never a value', () => {
    const issues = issuesOf(() => parseModelCatalog(CATALOG, {}));
    expect(issues).toEqual([
      {
        path: 'models.gpt.apiKey',
        message: 'environment variable OPENAI_API_KEY is not set',
        line: 13,
      },
    ]);
  });

  it('reports every invalid key with its path and line', () => {
    const text = [
      'models:',
      '  a:',
      '    provider: ollama',
      '    model: x',
      '  b:',
      '    provider: gemini',
      '    model: y',
      '  "http://evil":',
      '    provider: scripted',
      '    model: z',
      '    script: s.yaml',
    ].join('\n');
    const issues = issuesOf(() => parseModelCatalog(text, {}));
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['models.a.endpoint', 3],
      ['models.b.provider', 6],
      ['models.http://evil', 9],
    ]);
    expect(issues[2]?.message).toMatch(/not a URL/);
  });

  it('the default catalog is llama-cpp local-coder and its escalation step from hf:, with no scripted alias', () => {
    expect(Object.keys(DEFAULT_CATALOG.models)).toEqual(['local-coder', 'local-coder-7b']);
    expect(DEFAULT_CATALOG.models['local-coder']?.model).toMatch(/^hf:Qwen\/Qwen2\.5-Coder-1\.5B/);
    expect(DEFAULT_CATALOG.models['local-coder-7b']?.model).toMatch(
      /Qwen2\.5-Coder-7B-Instruct-Q4_K_M/,
    );
    // The default policy's chain names aliases the default catalog has, so it validates out of the box.
    const policy = RepoPolicy.parse({});
    expect(policy.models.developer).toEqual({
      alias: 'local-coder',
      escalation: [DEFAULT_ESCALATION_ALIAS],
    });
    expect(validatePolicyModels(policy.models, DEFAULT_CATALOG)).toEqual([]);
    const scripted = parseModelCatalog(
      'models: { s: { provider: scripted, model: m, script: x.yaml } }',
      {},
    );
    expect(scripted.models.s?.provider).toBe('scripted');
  });
});

describe('loadModelCatalog', () => {
  it('resolves relative paths against the catalog file; no path means the built-in catalog', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tandem-catalog-'));
    try {
      const file = join(dir, 'models.yaml');
      await writeFile(
        file,
        'modelsDir: cache\nmodels:\n  s: { provider: scripted, model: m, script: s.yaml }\n  g: { provider: llama-cpp, model: tiny.gguf }\n',
      );
      const catalog = await loadModelCatalog(file, {});
      expect(catalog.modelsDir).toBe(join(dir, 'cache'));
      expect(catalog.models.s?.script).toBe(join(dir, 's.yaml'));
      expect(catalog.models.g?.model).toBe(join(dir, 'tiny.gguf'));
      expect(catalog.models['local-coder']?.model).toMatch(/^hf:/);
      await expect(loadModelCatalog(join(dir, 'nope.yaml'), {})).rejects.toBeInstanceOf(
        ConfigError,
      );
      expect(await loadModelCatalog(undefined, {})).toBe(DEFAULT_CATALOG);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('validatePolicyModels', () => {
  const catalog = parseModelCatalog(CATALOG, { OPENAI_API_KEY: 'sk-x' });

  it('accepts the default policy and the default catalog', () => {
    expect(validatePolicyModels(RepoPolicy.parse({}).models, DEFAULT_CATALOG)).toEqual([]);
  });

  it('reports unknown aliases and local-only violations with dotted paths', () => {
    const policy = RepoPolicy.parse({
      models: {
        privacy: 'local-only',
        developer: { alias: 'qwen-ollama', escalation: ['vllm', 'nope', 'gpt'] },
        tester: { alias: 'missing' },
      },
    });
    expect(validatePolicyModels(policy.models, catalog)).toEqual([
      {
        path: 'models.developer.escalation[1]',
        message: expect.stringContaining('unknown model alias "nope"'),
      },
      {
        path: 'models.developer.escalation[2]',
        message: 'model alias "gpt" is remote, and privacy is local-only',
      },
      { path: 'models.tester.alias', message: expect.stringContaining('"missing"') },
    ]);
    const any = RepoPolicy.parse({ models: { privacy: 'any', developer: { alias: 'gpt' } } });
    expect(validatePolicyModels(any.models, catalog)).toEqual([]);
  });

  it('a URL or provider-qualified name never passes the policy schema', () => {
    for (const alias of ['http://10.0.0.1:11434', 'ollama/llama3', 'openai:gpt-4']) {
      const r = RepoPolicy.safeParse({ models: { pm: { alias } } });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(['models', 'pm', 'alias']);
    }
  });
});
