import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/index.js';
import { parseModelCatalog, type ModelEntry } from './catalog.js';
import { createProviderFactory } from './provider-factory.js';
import { LlamaCppProvider } from './providers/llama-cpp-provider.js';
import { OllamaProvider } from './providers/ollama-provider.js';
import { OpenAiProvider } from './providers/openai-provider.js';
import { ScriptedProvider } from './providers/scripted-provider.js';

let dir = '';
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Catalog entries as an operator writes them. */
async function entries(): Promise<Record<string, ModelEntry>> {
  dir = await mkdtemp(join(tmpdir(), 'tandem-factory-'));
  await writeFile(join(dir, 'script.yaml'), '- match: { role: developer }\n  text: done\n', 'utf8');
  const catalog = parseModelCatalog(
    [
      'includeDefaults: true',
      'models:',
      '  local: { provider: ollama, model: qwen2.5-coder, endpoint: "http://127.0.0.1:11434" }',
      '  remote: { provider: openai, model: gpt-x, endpoint: "http://127.0.0.1:8000/v1", apiKey: k }',
      '  demo: { provider: scripted, model: demo, script: script.yaml }',
    ].join('\n'),
    {},
    'catalog',
    dir,
  );
  return { ...catalog.models };
}

describe('createProviderFactory (provider modules imported on first use)', () => {
  it('builds the provider class of each kind', async () => {
    const models = await entries();
    const factory = createProviderFactory({ modelsDir: dir });
    expect(await factory('local', models.local!)).toBeInstanceOf(OllamaProvider);
    expect(await factory('remote', models.remote!)).toBeInstanceOf(OpenAiProvider);
    expect(await factory('demo', models.demo!)).toBeInstanceOf(ScriptedProvider);
    expect(await factory('local-coder', models['local-coder']!)).toBeInstanceOf(LlamaCppProvider);
    await factory.close?.();
  });

  it('refuses a scripted alias without a script, naming the alias', async () => {
    const models = await entries();
    const { script: _none, ...withoutScript } = models.demo!;
    const factory = createProviderFactory({ modelsDir: dir });
    const error = await factory('demo', withoutScript).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('models.demo.script');
  });
});
