/**
 * The embedded model's first-use download, for real: node-llama-cpp's downloader against a local
 * Hugging Face mirror (test/helpers/hf-mirror.ts, real sockets) serving the tiny GGUF, then a real
 * generation on the downloaded file; the failure paths (closed port, 404, interrupted transfers, a short
 * file); and the `tandem models pull` / `models list` CLI spawned with tsx.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelUnavailableError } from '../../src/errors/index.js';
import { downloadProgressDisplay, pullModel } from '../../src/cli/commands/models.js';
import { loadModelCatalog, parseModelCatalog } from '../../src/llm/catalog.js';
import { LlamaCppProvider } from '../../src/llm/providers/llama-cpp-provider.js';
import { LlamaRuntime } from '../../src/llm/providers/llama-runtime.js';
import { resolveGgufFile } from '../../src/llm/providers/resolve-gguf-file.js';
import { startHfMirror, type HfMirror } from '../helpers/hf-mirror.js';
import { writeTinyGguf } from '../helpers/tiny-gguf.js';

const REPO = 'tandem-test/Tiny-GGUF';
const FILE = 'tiny-q4_k_m.gguf';
const MODEL = `hf:${REPO}/${FILE}`;
/** node-llama-cpp's file name for MODEL in modelsDir (`hf_<owner>_<file>`). */
const LOCAL_NAME = `hf_tandem-test_${FILE}`;

/** A port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('embedded model download from a Hugging Face mirror', () => {
  let dir: string;
  let bytes: Buffer;
  let mirror: HfMirror;
  const runtime = new LlamaRuntime();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-download-'));
    bytes = await readFile((await writeTinyGguf(join(dir, 'tiny.gguf'))).path);
    mirror = await startHfMirror({ files: [{ repo: REPO, path: FILE, content: bytes }] });
  });
  afterAll(async () => {
    await mirror.close();
    await runtime.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const provider = (modelsDir: string, onDownloadProgress?: (p: Progress) => void) => {
    const catalog = parseModelCatalog(
      JSON.stringify({
        modelsDir,
        huggingFaceEndpoint: mirror.url,
        models: { tiny: { provider: 'llama-cpp', model: MODEL, contextSize: 512, threads: 1 } },
      }),
      {},
    );
    const entry = catalog.models.tiny;
    if (entry === undefined) {
      throw new Error('catalog without tiny');
    }
    return new LlamaCppProvider({
      alias: 'tiny',
      entry,
      runtime,
      modelsDir: catalog.modelsDir,
      huggingFaceEndpoint: mirror.url,
      ...(onDownloadProgress ? { onDownloadProgress } : {}),
    });
  };
  type Progress = { downloadedSize: number; totalSize: number };
  const ask = {
    messages: [{ role: 'user' as const, content: 'Say something.' }],
    maxTokens: 4,
    temperature: 0,
  };

  it('downloads on first use with growing progress, generates, and never downloads again', async () => {
    const modelsDir = join(dir, 'first-use');
    const progress: Progress[] = [];
    const first = provider(modelsDir, (p) => progress.push(p));
    try {
      const answer = await first.complete(ask);
      expect(answer.usage.outputTokens).toBeGreaterThan(0);
    } finally {
      await first.close();
    }
    expect(await readdir(modelsDir)).toEqual([LOCAL_NAME]);
    expect((await readFile(join(modelsDir, LOCAL_NAME))).equals(bytes)).toBe(true);
    // Several steps, never going back, ending at the file size.
    const sizes = progress.map((p) => p.downloadedSize);
    expect(new Set(sizes).size).toBeGreaterThan(3);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(progress.at(-1)).toEqual({ downloadedSize: bytes.length, totalSize: bytes.length });
    // What was fetched: the resolve URL (302 to the content URL), then the bytes.
    expect(mirror.requests[0]).toMatchObject({ method: 'HEAD', url: '/', status: 200 });
    expect(mirror.requests[1]).toMatchObject({
      method: 'GET',
      url: `/${REPO}/resolve/main/${FILE}?download=true`,
      status: 302,
    });
    const ranged = mirror.contentRequests().filter((r) => r.status === 206);
    expect(ranged).toEqual([
      expect.objectContaining({ range: `bytes=0-${bytes.length - 1}`, bytesSent: bytes.length }),
    ]);

    const before = mirror.requests.length;
    const second = provider(modelsDir, (p) => progress.push(p));
    try {
      const answer = await second.complete(ask);
      expect(answer.usage.outputTokens).toBeGreaterThan(0);
    } finally {
      await second.close();
    }
    expect(mirror.requests.length).toBe(before); // no probe, no GET: the file was found
  });

  it('the owner/repo:quant form is resolved through the manifest URL first', async () => {
    const modelsDir = join(dir, 'by-quant');
    const before = mirror.requests.length;
    const path = await resolveGgufFile({
      alias: 'tiny',
      model: `hf:${REPO}:Q4_K_M`,
      modelsDir,
      huggingFaceEndpoint: mirror.url,
    });
    expect((await readFile(path)).equals(bytes)).toBe(true);
    expect(mirror.requests.slice(before).map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual(
      expect.arrayContaining([
        `GET /v2/${REPO}/manifests/Q4_K_M 200`,
        `GET /${REPO}/resolve/main/${FILE}?download=true 302`,
      ]),
    );
  });

  it('a closed port fails fast with ModelUnavailableError, and so does a 404 naming the download', async () => {
    const modelsDir = join(dir, 'errors');
    const offline = `http://127.0.0.1:${await closedPort()}/`;
    const started = Date.now();
    const unreachable = await resolveGgufFile({
      alias: 'tiny',
      model: MODEL,
      modelsDir,
      huggingFaceEndpoint: offline,
    }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(ModelUnavailableError);
    expect((unreachable as Error).message).toContain(`${offline} cannot be reached`);
    expect(Date.now() - started).toBeLessThan(3_000);

    const missing = await resolveGgufFile({
      alias: 'tiny',
      model: `hf:${REPO}/absent.Q4_K_M.gguf`,
      modelsDir,
      huggingFaceEndpoint: mirror.url,
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ModelUnavailableError);
    expect(missing).toMatchObject({ code: 'model_unavailable', alias: 'tiny' });
    expect((missing as Error).message).toMatch(
      new RegExp(`hf:${REPO}/absent.Q4_K_M.gguf.*download from ${mirror.url}.*HTTP 404`),
    );
    expect(await readdir(modelsDir).catch(() => [])).toEqual([]);
  });

  it('an interrupted transfer leaves no file; the next call downloads the whole model', async () => {
    const modelsDir = join(dir, 'interrupted');
    const options = {
      alias: 'tiny',
      model: MODEL,
      modelsDir,
      huggingFaceEndpoint: mirror.url,
      stallTimeoutMs: 1_000,
    };
    mirror.setFault({ kind: 'truncate', afterBytes: 100_000 });
    try {
      const started = Date.now();
      const broken = await resolveGgufFile(options).catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(ModelUnavailableError);
      expect((broken as Error).message).toContain('the transfer stalled');
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(await readdir(modelsDir)).toEqual([]); // neither the model nor a .ipull temp file

      // Interrupted once: ipull resumes with a new range request and the file is whole.
      mirror.setFault({ kind: 'truncate', afterBytes: 100_000, times: 1 });
      const path = await resolveGgufFile(options);
      expect((await readFile(path)).equals(bytes)).toBe(true);
    } finally {
      mirror.setFault(undefined);
    }
  });

  it('a transfer of unknown size cut short, or a short file, is removed, not kept as the model', async () => {
    const chunked = await startHfMirror({
      files: [{ repo: REPO, path: FILE, content: bytes }],
      contentLength: false,
      fault: { kind: 'truncate', afterBytes: 100_000 },
    });
    const short = await startHfMirror({
      files: [{ repo: REPO, path: FILE, content: bytes.subarray(0, 300_000) }],
    });
    try {
      const modelsDir = join(dir, 'unknown-size');
      const base = { alias: 'tiny', model: MODEL, modelsDir, stallTimeoutMs: 1_000 };
      const cut = await resolveGgufFile({ ...base, huggingFaceEndpoint: chunked.url }).catch(
        (e: unknown) => e,
      );
      expect(cut).toBeInstanceOf(ModelUnavailableError);
      expect(await readdir(modelsDir)).toEqual([]);

      const truncated = await resolveGgufFile({ ...base, huggingFaceEndpoint: short.url }).catch(
        (e: unknown) => e,
      );
      expect(truncated).toBeInstanceOf(ModelUnavailableError);
      expect((truncated as Error).message).toContain(
        `the GGUF file is truncated (300000 of at least ${bytes.length} bytes)`,
      );
      expect(await readdir(modelsDir)).toEqual([]);
    } finally {
      await chunked.close();
      await short.close();
    }
  });

  describe('tandem models (spawned CLI)', () => {
    const tandem = (catalog: string, ...args: string[]) =>
      execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'models', ...args], {
        reject: false,
        env: { npm_config_loglevel: 'error', NO_COLOR: '1', TANDEM_MODEL_CATALOG: catalog },
      });

    it('pull downloads with progress lines on stderr and list shows the file; failures exit 1', async () => {
      const catalog = join(dir, 'catalog.yml');
      const modelsDir = join(dir, 'cli-models');
      await writeFile(
        catalog,
        [
          `modelsDir: ${modelsDir}`,
          `huggingFaceEndpoint: ${mirror.url}`,
          'models:',
          `  tiny: { provider: llama-cpp, model: "${MODEL}" }`,
          `  gone: { provider: llama-cpp, model: "hf:${REPO}/absent.gguf" }`,
          '  remote: { provider: openai, model: gpt, endpoint: "http://127.0.0.1:9/v1" }',
        ].join('\n'),
      );
      const pull = await tandem(catalog, 'pull', 'tiny');
      expect(pull.stderr).not.toContain('error');
      expect(pull.exitCode).toBe(0);
      const lines = pull.stderr.trim().split('\n');
      // Not a terminal: one line per 10 % step reached, ending at 100 %.
      for (const line of lines) {
        expect(line).toMatch(/^tiny: \d+% \(0\.\d MB of 0\.5 MB\)$/);
      }
      const deciles = lines.map((l) => Math.floor(Number(/(\d+)%/.exec(l)?.[1]) / 10));
      expect(deciles).toEqual([...new Set(deciles)].sort((a, b) => a - b));
      expect(lines.length).toBeGreaterThan(3);
      expect(lines.at(-1)).toBe('tiny: 100% (0.5 MB of 0.5 MB)');
      expect(pull.stdout.trim()).toBe(`tiny: ${join(modelsDir, LOCAL_NAME)}`);
      expect((await readFile(join(modelsDir, LOCAL_NAME))).equals(bytes)).toBe(true);

      const list = await tandem(catalog, 'list');
      expect(list.exitCode).toBe(0);
      const rows = list.stdout.split('\n').map((l) => l.split(/\s+/));
      expect(rows).toContainEqual([
        'tiny',
        'llama-cpp',
        MODEL,
        'present',
        join(modelsDir, LOCAL_NAME),
      ]);
      expect(rows).toContainEqual(['gone', 'llama-cpp', `hf:${REPO}/absent.gguf`, 'absent']);
      expect(rows).toContainEqual(['remote', 'openai', 'gpt', '-']);
      expect(rows.find((r) => r[0] === 'local-coder')?.[3]).toBe('absent');

      const gone = await tandem(catalog, 'pull', 'gone');
      expect(gone.exitCode).toBe(1);
      expect(gone.stderr).toMatch(/^error: model alias gone \(.*\) is unavailable: .*HTTP 404/m);

      // The same function in-process for the other refusals.
      let stderr = '';
      const io = { stdout: () => undefined, stderr: (t: string) => (stderr += t), tty: false };
      const loaded = await loadModelCatalog(catalog, {});
      expect(await pullModel(loaded, 'remote', io)).toBe(1);
      expect(await pullModel(loaded, 'nope', io)).toBe(1);
      expect(stderr).toBe(
        [
          'error: model alias remote uses provider openai: only llama-cpp aliases have a file to pull',
          'error: model alias nope is not in the catalog (aliases: gone, local-coder, local-coder-7b, remote, tiny)',
          '',
        ].join('\n'),
      );
    });

    it('a terminal gets one progress line rewritten in place', () => {
      let stderr = '';
      const display = downloadProgressDisplay('tiny', {
        stdout: () => undefined,
        stderr: (t) => (stderr += t),
        tty: true,
      });
      for (const downloadedSize of [0, 250_000, 500_000]) {
        display.update({ downloadedSize, totalSize: 500_000 });
      }
      display.end();
      expect(stderr).toBe(
        [0, 50, 100]
          .map((p) => `\rtiny: ${p}% (${(p / 200).toFixed(1)} MB of 0.5 MB)\u001b[K`)
          .join('') + '\n',
      );
    });
  });
});
