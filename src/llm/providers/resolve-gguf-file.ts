/**
 * Finds an embedded model's GGUF file: a local path, or an `hf:` reference already in `modelsDir`, or
 * downloaded there (progress reported in bytes).
 *
 * The download uses node-llama-cpp's `createModelDownloader` (ipull underneath) rather than
 * `resolveModelFile`, because of what node-llama-cpp 3.22 does on the failure paths (seen against a local
 * mirror, test/llm/model-download.spec.ts):
 * - it retries an unreachable host or a broken transfer up to 150 times with back-off (minutes), so the
 *   endpoint is probed first and a stalled transfer (no new byte for `stallTimeoutMs`) is cancelled;
 * - `resolveModelFile` aborted through its signal *returns* the path of a file that does not exist, and
 *   cancelling a transfer of unknown size makes ipull rename the partial file to the final name (or reject
 *   unhandled when there is none), so cancelling is done here, its rejection is caught, and both the
 *   final and the `.ipull` temporary file are removed on every failure;
 * - nothing checks the result, so a finished download is checked: the size the server announced, then the
 *   GGUF header (magic, and tensor data extent from `readGgufFileInfo` + `GgufInsights.modelSize`), and a
 *   file that fails either is deleted, never left for the next call to load.
 * Docs: https://node-llama-cpp.withcat.ai/guide/downloading-models
 */
import { open, rm, stat } from 'node:fs/promises';
import type { ModelDownloader } from 'node-llama-cpp';
import { ModelUnavailableError, redactSecrets } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';

/** Download progress, in bytes (`totalSize` 0 while unknown). */
export interface DownloadProgress {
  downloadedSize: number;
  totalSize: number;
}

/** Options of {@link resolveGgufFile}. */
export interface ResolveGgufFileOptions {
  alias: string;
  /** GGUF path or `hf:` reference from the catalog. */
  model: string;
  modelsDir: string;
  /** Hugging Face endpoint (mirror); default node-llama-cpp's (huggingface.co). */
  huggingFaceEndpoint?: string;
  /** How long to wait for the endpoint before a download, in ms (default 10 000). */
  probeTimeoutMs?: number;
  /** Cancel the download when no new byte arrived for this long, in ms (default 60 000). */
  stallTimeoutMs?: number;
  /** Download progress in bytes; default: a log line every 10 %. */
  onDownloadProgress?: (status: DownloadProgress) => void;
  logger?: Logger;
}

const DEFAULT_HF_ENDPOINT = 'https://huggingface.co/';

/**
 * The model's file if it is already there (a local path that exists, or an `hf:` file in `modelsDir`),
 * else undefined. Never downloads.
 */
export async function findGgufFile(
  options: Pick<ResolveGgufFileOptions, 'model' | 'modelsDir' | 'huggingFaceEndpoint'>,
): Promise<string | undefined> {
  const { resolveModelFile } = await import('node-llama-cpp');
  const hf = options.huggingFaceEndpoint;
  try {
    return await resolveModelFile(options.model, {
      directory: options.modelsDir,
      cli: false,
      download: false,
      ...(hf === undefined ? {} : { endpoints: { huggingFace: hf } }),
    });
  } catch {
    return undefined;
  }
}

/**
 * Returns the absolute path of the model file, downloading an `hf:` reference into `modelsDir` when it is
 * not there yet.
 * @throws ModelUnavailableError when the file is missing and cannot be downloaded: endpoint unreachable,
 *   HTTP error (404: no such repository or file), stalled or interrupted transfer, or a downloaded file
 *   that is not a complete GGUF file (it is deleted)
 */
export async function resolveGgufFile(options: ResolveGgufFileOptions): Promise<string> {
  const found = await findGgufFile(options);
  if (found !== undefined) {
    return found;
  }
  const unavailable = (reason: string, cause?: unknown): ModelUnavailableError =>
    new ModelUnavailableError(options.alias, options.model, redactSecrets(reason), {
      // The raw error can carry request headers (an Authorization with a Hugging Face token).
      ...(cause === undefined ? {} : { cause: new Error(redactSecrets(describe(cause))) }),
    });
  if (!options.model.startsWith('hf:')) {
    throw unavailable('the GGUF file does not exist');
  }
  // Offline, node-llama-cpp retries for minutes: probe the endpoint so a worker fails fast and clearly.
  const endpoint = options.huggingFaceEndpoint ?? DEFAULT_HF_ENDPOINT;
  try {
    await fetch(endpoint, {
      method: 'HEAD',
      signal: AbortSignal.timeout(options.probeTimeoutMs ?? 10_000),
    });
  } catch (error) {
    throw unavailable(
      `it is not in ${options.modelsDir} and ${endpoint} cannot be reached to download it; download it once with network access (tandem models pull), or point the catalog at a local GGUF path`,
      error,
    );
  }
  return download(options, endpoint, unavailable);
}

async function download(
  options: ResolveGgufFileOptions,
  endpoint: string,
  unavailable: (reason: string, cause?: unknown) => ModelUnavailableError,
): Promise<string> {
  const { createModelDownloader } = await import('node-llama-cpp');
  const stallMs = options.stallTimeoutMs ?? 60_000;
  const report = options.onDownloadProgress ?? logEveryDecile(options);
  // Watchdog: rejects when no byte beyond the best so far arrived for `stallMs` (a retry that starts
  // over does not count as progress).
  let best = -1;
  let timer: NodeJS.Timeout | undefined;
  let stalled: (error: Error) => void = () => undefined;
  const stall = new Promise<never>((_resolve, reject) => {
    stalled = reject;
  });
  stall.catch(() => undefined);
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        stalled(
          new Error(
            `the transfer stalled: no new data for ${stallMs / 1000} s (connection broken?)`,
          ),
        ),
      stallMs,
    );
  };
  const from = `the download from ${endpoint} into ${options.modelsDir} failed`;
  let downloader: ModelDownloader | undefined;
  arm();
  try {
    const creating = createModelDownloader({
      modelUri: options.model,
      dirPath: options.modelsDir,
      showCliProgress: false,
      deleteTempFileOnCancel: true,
      skipExisting: true,
      ...(options.huggingFaceEndpoint === undefined
        ? {}
        : { endpoints: { huggingFace: options.huggingFaceEndpoint } }),
      onProgress: ({ downloadedSize, totalSize }) => {
        if (downloadedSize > best) {
          best = downloadedSize;
          arm();
        }
        report({ downloadedSize, totalSize });
      },
    });
    creating.catch(() => undefined);
    downloader = await Promise.race([creating, stall]);
    const running = downloader.download();
    running.catch(() => undefined);
    await Promise.race([running, stall]);
  } catch (error) {
    clearTimeout(timer);
    await discard(downloader);
    throw unavailable(`${from}: ${reasonOf(error)}`, error);
  }
  clearTimeout(timer);
  const problem = await checkDownloaded(downloader);
  if (problem !== undefined) {
    await discard(downloader);
    throw unavailable(`${from}: ${problem}; the partial file was removed`);
  }
  return downloader.entrypointFilePath;
}

/** Cancels a download (ipull's own clean-up can reject) and removes its temporary and final files. */
async function discard(downloader: ModelDownloader | undefined): Promise<void> {
  if (downloader === undefined) {
    return;
  }
  await downloader.cancel({ deleteTempFile: true }).catch(() => undefined);
  const files = downloader.filesInfo.map((f) => f.filePath);
  await Promise.all(
    [...files, ...files.map((f) => `${f}.ipull`)].map((f) => rm(f, { force: true })),
  );
}

/** Why a finished download is not a usable model, or undefined when it is. */
async function checkDownloaded(downloader: ModelDownloader): Promise<string | undefined> {
  for (const file of downloader.filesInfo) {
    const size = await stat(file.filePath).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) {
      return 'the transfer was interrupted (no file was written)';
    }
    if (file.totalSize > 0 && size !== file.totalSize) {
      return `the transfer was interrupted (${size} of ${file.totalSize} bytes)`;
    }
  }
  if (downloader.totalFiles !== 1) {
    return undefined; // split models: the sizes above are what can be checked per part
  }
  return checkGgufComplete(downloader.entrypointFilePath);
}

/**
 * Checks that `path` is a whole GGUF file: magic `GGUF`, and at least as long as its header plus the
 * tensor data the header describes (GGUF spec: ggml docs/gguf.md; extent from node-llama-cpp's
 * `GgufInsights.modelSize`, measured from the tensor data offset). Returns the problem or undefined.
 */
export async function checkGgufComplete(path: string): Promise<string | undefined> {
  const { readGgufFileInfo, GgufInsights } = await import('node-llama-cpp');
  const handle = await open(path, 'r');
  let size: number;
  try {
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (magic.toString('latin1') !== 'GGUF') {
      return 'the file is not a GGUF model (no GGUF magic)';
    }
    size = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  try {
    const info = await readGgufFileInfo(path, { logWarnings: false, spliceSplitFiles: false });
    const first = info.fullTensorInfo?.[0];
    const dataStart = first
      ? Number(BigInt(first.fileOffset) - BigInt(first.offset))
      : (info.infoEndOffset ?? 0);
    const needed = dataStart + (await GgufInsights.from(info)).modelSize;
    if (size < needed) {
      return `the GGUF file is truncated (${size} of at least ${needed} bytes)`;
    }
  } catch (error) {
    return `the GGUF header cannot be read (${describe(error)})`;
  }
  return undefined;
}

/** A default progress reporter: one log line per 10 % step. */
function logEveryDecile(options: ResolveGgufFileOptions): (status: DownloadProgress) => void {
  let lastDecile = -1;
  return ({ downloadedSize, totalSize }) => {
    const decile = totalSize > 0 ? Math.floor((downloadedSize / totalSize) * 10) : 0;
    if (decile !== lastDecile) {
      lastDecile = decile;
      options.logger?.info(
        { alias: options.alias, model: options.model, downloadedSize, totalSize },
        'downloading model',
      );
    }
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A short reason: HTTP status for ipull's `StatusCodeError`, else the message. */
function reasonOf(error: unknown): string {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number') {
    return status === 404 || status === 401
      ? `HTTP ${status} (no such repository or file on the endpoint)`
      : `HTTP ${status}`;
  }
  return describe(error);
}
