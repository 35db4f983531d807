/**
 * Progress of an embedded model download (the built-in `local-coder` is fetched from Hugging Face on
 * first use): on a terminal, one line redrawn in place (`downloading local-coder: 41% of 1.1 GB`);
 * otherwise nothing here, and the llama.cpp provider's own log line every 10 % is used.
 */
import type { Logger } from '../src/log/logger.js';

/** Download status in bytes, as node-llama-cpp reports it. */
export interface DownloadStatus {
  downloadedSize: number;
  totalSize: number;
}

/**
 * A progress callback for `createProviderFactory({ onDownloadProgress })`, or undefined when `stream`
 * is not a terminal. The finished download is also logged once through `logger`.
 */
export function createDownloadProgress(
  logger: Logger,
  stream: NodeJS.WriteStream | undefined,
): ((alias: string, status: DownloadStatus) => void) | undefined {
  if (!stream?.isTTY) {
    return undefined;
  }
  let lastPercent = -1;
  return (alias, { downloadedSize, totalSize }) => {
    const percent = totalSize > 0 ? Math.floor((downloadedSize / totalSize) * 100) : 0;
    if (percent === lastPercent) {
      return;
    }
    lastPercent = percent;
    stream.write(`\r\x1b[2Kdownloading ${alias}: ${formatProgress(downloadedSize, totalSize)}`);
    if (totalSize > 0 && downloadedSize >= totalSize) {
      stream.write('\n');
      logger.info({ alias, bytes: totalSize }, 'model downloaded');
    }
  };
}

/** `41% of 1.1 GB` (or `12.0 MB` when the total is unknown). */
export function formatProgress(downloaded: number, total: number): string {
  if (total <= 0) {
    return formatBytes(downloaded);
  }
  return `${Math.floor((downloaded / total) * 100)}% of ${formatBytes(total)}`;
}

/** Bytes in B, kB, MB or GB (powers of 1000, one decimal). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
