/**
 * The start-up model check and the download progress line: the built-in `local-coder` alias is reported
 * as "not downloaded yet" (with the cache directory and the offline alternatives) against an empty cache,
 * using node-llama-cpp's real resolver without network; a cached file is reported ready; progress on a
 * terminal is one line redrawn in place.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../../src/llm/catalog.js';
import { createLogger } from '../../src/log/logger.js';
import { createDownloadProgress, formatBytes } from '../../worker/download-progress.js';
import { checkEmbeddedModels } from '../../worker/model-preflight.js';

let dir = '';
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('embedded model check at start-up', () => {
  it('reports the built-in local-coder as not downloaded, naming the cache and what to do offline', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-models-'));
    const out = capture();
    const states = await checkEmbeddedModels(
      { ...DEFAULT_CATALOG, modelsDir: dir },
      createLogger({ level: 'info', destination: out.stream }),
    );
    expect(states).toEqual([
      { alias: 'local-coder', model: DEFAULT_CATALOG.models['local-coder']!.model, cached: false },
      {
        alias: 'local-coder-7b',
        model: DEFAULT_CATALOG.models['local-coder-7b']!.model,
        cached: false,
      },
    ]);
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 40, alias: 'local-coder', modelsDir: dir });
    expect(String(line?.msg)).toContain('fetched on first use');
    expect(String(line?.msg)).toContain('TANDEM_MODEL_CATALOG');
  }, 30_000);

  it('finds a cached model with node-llama-cpp’s real resolver (run in a child process)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-models-'));
    // node-llama-cpp's name for `hf:<user>/<repo>/<file>` in its models directory.
    const file = join(dir, 'hf_Qwen_qwen2.5-coder-1.5b-instruct-q4_k_m.gguf');
    await writeFile(file, '');
    const out = capture();
    const states = await checkEmbeddedModels(
      { ...DEFAULT_CATALOG, modelsDir: dir },
      createLogger({ level: 'info', destination: out.stream }),
    );
    expect(states).toEqual([
      {
        alias: 'local-coder',
        model: DEFAULT_CATALOG.models['local-coder']!.model,
        cached: true,
        path: file,
      },
    ]);
    expect(out.lines()[0]).toMatchObject({ level: 30, msg: 'embedded model ready', path: file });
  }, 30_000);

  it('reports a cached model as ready and skips aliases that are not embedded hf: models', async () => {
    const out = capture();
    const catalog = {
      modelsDir: '/models',
      models: {
        ...DEFAULT_CATALOG.models,
        remote: { ...DEFAULT_CATALOG.models['local-coder']!, provider: 'ollama' as const },
      },
    };
    const states = await checkEmbeddedModels(
      catalog,
      createLogger({ level: 'info', destination: out.stream }),
      (model, directory) => Promise.resolve(`${directory}/${model.split('/').at(-1)}`),
    );
    expect(states.map((s) => [s.alias, s.cached])).toEqual([
      ['local-coder', true],
      ['local-coder-7b', true],
    ]);
    expect(out.lines()[0]).toMatchObject({ level: 30, msg: 'embedded model ready' });
  });
});

describe('download progress', () => {
  it('draws one line in place on a terminal and nothing elsewhere', () => {
    const logger = createLogger({ level: 'silent' });
    let drawn = '';
    const tty = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          drawn += chunk.toString();
          cb();
        },
      }),
      { isTTY: true },
    ) as unknown as NodeJS.WriteStream;
    const progress = createDownloadProgress(logger, tty)!;
    progress('local-coder', { downloadedSize: 0, totalSize: 1_100_000_000 });
    progress('local-coder', { downloadedSize: 1_000, totalSize: 1_100_000_000 });
    progress('local-coder', { downloadedSize: 451_000_000, totalSize: 1_100_000_000 });
    progress('local-coder', { downloadedSize: 1_100_000_000, totalSize: 1_100_000_000 });
    expect(drawn.split('\r\x1b[2K').filter(Boolean)).toEqual([
      'downloading local-coder: 0% of 1.1 GB',
      'downloading local-coder: 41% of 1.1 GB',
      'downloading local-coder: 100% of 1.1 GB\n',
    ]);
    expect(createDownloadProgress(logger, undefined)).toBeUndefined();
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
  });
});
