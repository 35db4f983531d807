/**
 * Finds an embedded model's GGUF file: a local path, or an `hf:` reference already in `modelsDir`, or
 * downloaded there (progress reported in bytes). node-llama-cpp's downloader retries an unreachable host
 * for minutes and ignores abort signals before the transfer starts, so the Hugging Face endpoint is probed
 * first and an offline worker gets a clear `ModelUnavailableError` at once.
 * Docs: https://node-llama-cpp.withcat.ai/guide/downloading-models
 */
import { ModelUnavailableError } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';

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
  /** Download progress in bytes; default: a log line every 10 %. */
  onDownloadProgress?: (status: { downloadedSize: number; totalSize: number }) => void;
  logger?: Logger;
}

/**
 * Returns the absolute path of the model file, downloading it when needed.
 * @throws ModelUnavailableError when the file is missing and cannot be downloaded
 */
export async function resolveGgufFile(options: ResolveGgufFileOptions): Promise<string> {
  const { modelsDir, logger } = options;
  const { resolveModelFile } = await import('node-llama-cpp');
  let lastDecile = -1;
  const onProgress =
    options.onDownloadProgress ??
    (({ downloadedSize, totalSize }: { downloadedSize: number; totalSize: number }) => {
      const decile = totalSize > 0 ? Math.floor((downloadedSize / totalSize) * 10) : 0;
      if (decile !== lastDecile) {
        lastDecile = decile;
        logger?.info(
          { alias: options.alias, model: options.model, downloadedSize, totalSize },
          'downloading model',
        );
      }
    });
  const hf = options.huggingFaceEndpoint;
  const common = {
    directory: modelsDir,
    cli: false,
    ...(hf === undefined ? {} : { endpoints: { huggingFace: hf } }),
  };
  try {
    // Already downloaded (or a local path that exists)?
    return await resolveModelFile(options.model, { ...common, download: false });
  } catch (error) {
    if (!options.model.startsWith('hf:')) {
      throw new ModelUnavailableError(
        options.alias,
        options.model,
        'the GGUF file does not exist',
        {
          cause: error,
        },
      );
    }
  }
  // node-llama-cpp's downloader retries an unreachable host for minutes and ignores abort signals
  // before the transfer starts: probe the endpoint first so an offline worker fails fast and clearly.
  const endpoint = hf ?? 'https://huggingface.co/';
  try {
    await fetch(endpoint, {
      method: 'HEAD',
      signal: AbortSignal.timeout(options.probeTimeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new ModelUnavailableError(
      options.alias,
      options.model,
      `it is not in ${modelsDir} and ${endpoint} cannot be reached to download it; download it once with network access, or point the catalog at a local GGUF path`,
      { cause: error },
    );
  }
  try {
    return await resolveModelFile(options.model, { ...common, onProgress });
  } catch (error) {
    throw new ModelUnavailableError(
      options.alias,
      options.model,
      `the download into ${modelsDir} failed (unknown repository or file?)`,
      { cause: error },
    );
  }
}
