/**
 * `tandem models pull [alias]` downloads an embedded (`llama-cpp`) alias's GGUF file into the catalog's
 * `modelsDir` ahead of time, with progress on stderr: one rewritten line on a terminal, else a line every
 * 10 %. `tandem models list` shows every alias with its provider, model and, for `llama-cpp`, whether the
 * file is present. The catalog is `--catalog`, else `TANDEM_MODEL_CATALOG`, else the built-in one; the
 * default alias is the policy default (`local-coder`). Exit codes: 0 done, 1 failed (the message names the
 * alias and the reason; credentials are redacted).
 */
import type { Command } from 'commander';
import { DEFAULT_ALIAS } from '../../config/repo-policy.js';
import { TandemError, redactSecrets } from '../../errors/index.js';
import { catalogSecrets, loadModelCatalog, type ModelCatalog } from '../../llm/catalog.js';
import {
  findGgufFile,
  resolveGgufFile,
  type DownloadProgress,
} from '../../llm/providers/resolve-gguf-file.js';

/** Where the commands write; the CLI passes the process's streams. */
export interface ModelsCommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: draw one progress line rewritten in place. */
  tty: boolean;
}

/** Options of {@link pullModel}. */
export interface PullModelOptions {
  /** Cancel when no new byte arrived for this long, in ms (default 60 000). */
  stallTimeoutMs?: number;
}

const mb = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;

/**
 * A progress display for one download: on a terminal one `\r`-rewritten line, otherwise one line each
 * time another 10 % is done (and one at the start), so logs stay short.
 */
export function downloadProgressDisplay(
  alias: string,
  io: ModelsCommandIo,
): { update: (p: DownloadProgress) => void; end: () => void } {
  let lastDecile = -1;
  let drawn = false;
  return {
    update: ({ downloadedSize, totalSize }) => {
      const percent = totalSize > 0 ? Math.floor((downloadedSize / totalSize) * 100) : 0;
      const text =
        totalSize > 0
          ? `${alias}: ${percent}% (${mb(downloadedSize)} of ${mb(totalSize)})`
          : `${alias}: ${mb(downloadedSize)}`;
      if (io.tty) {
        io.stderr(`\r${text}\u001b[K`);
        drawn = true;
        return;
      }
      const decile = Math.floor(percent / 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        io.stderr(`${text}\n`);
      }
    },
    end: () => {
      if (drawn) {
        io.stderr('\n');
        drawn = false;
      }
    },
  };
}

/**
 * Downloads `alias`'s GGUF file (default {@link DEFAULT_ALIAS}) unless it is already in `modelsDir`.
 * Prints `<alias>: <path>` on stdout when done.
 * @returns the exit code: 0 present or downloaded, 1 unknown alias, not an embedded alias, or a failed
 *   download (reason on stderr)
 */
export async function pullModel(
  catalog: ModelCatalog,
  alias: string | undefined,
  io: ModelsCommandIo,
  options: PullModelOptions = {},
): Promise<number> {
  const name = alias ?? DEFAULT_ALIAS;
  const entry = catalog.models[name];
  if (entry === undefined) {
    const known = Object.keys(catalog.models).sort().join(', ') || 'none';
    io.stderr(`error: model alias ${name} is not in the catalog (aliases: ${known})\n`);
    return 1;
  }
  if (entry.provider !== 'llama-cpp') {
    io.stderr(
      `error: model alias ${name} uses provider ${entry.provider}: only llama-cpp aliases have a file to pull\n`,
    );
    return 1;
  }
  const display = downloadProgressDisplay(name, io);
  try {
    const path = await resolveGgufFile({
      alias: name,
      model: entry.model,
      modelsDir: catalog.modelsDir,
      ...(catalog.huggingFaceEndpoint === undefined
        ? {}
        : { huggingFaceEndpoint: catalog.huggingFaceEndpoint }),
      ...(options.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: options.stallTimeoutMs }),
      onDownloadProgress: (p) => display.update(p),
    });
    display.end();
    io.stdout(`${name}: ${path}\n`);
    return 0;
  } catch (error) {
    display.end();
    const message =
      error instanceof TandemError
        ? error.message
        : `model alias ${name} could not be pulled: ${error instanceof Error ? error.message : String(error)}`;
    io.stderr(`error: ${redactSecrets(message, catalogSecrets(catalog))}\n`);
    return 1;
  }
}

/**
 * Prints one line per alias (sorted): alias, provider, model, and for `llama-cpp` `present <path>` or
 * `absent`. @returns 0
 */
export async function listModels(catalog: ModelCatalog, io: ModelsCommandIo): Promise<number> {
  const rows: string[][] = [['ALIAS', 'PROVIDER', 'MODEL', 'FILE']];
  for (const [alias, entry] of Object.entries(catalog.models).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    let file = '-';
    if (entry.provider === 'llama-cpp') {
      const path = await findGgufFile({
        model: entry.model,
        modelsDir: catalog.modelsDir,
        ...(catalog.huggingFaceEndpoint === undefined
          ? {}
          : { huggingFaceEndpoint: catalog.huggingFaceEndpoint }),
      });
      file = path === undefined ? 'absent' : `present ${path}`;
    }
    rows.push([alias, entry.provider, entry.model, file]);
  }
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const row of rows) {
    io.stdout(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}\n`);
  }
  io.stdout(`models directory: ${catalog.modelsDir}\n`);
  return 0;
}

/** Loads the catalog for a command; on a `TandemError` prints it and returns undefined. */
async function catalogFor(
  path: string | undefined,
  io: ModelsCommandIo,
): Promise<ModelCatalog | undefined> {
  try {
    return await loadModelCatalog(path ?? process.env.TANDEM_MODEL_CATALOG, process.env);
  } catch (error) {
    if (error instanceof TandemError) {
      io.stderr(`error: ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
}

const processIo = (): ModelsCommandIo => ({
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  tty: process.stderr.isTTY,
});

/** Registers `tandem models pull [alias]` and `tandem models list`. */
export function register(program: Command): void {
  const models = program
    .command('models')
    .description('embedded models of the model catalog (download, list)');
  models
    .command('pull')
    .description(`download an embedded alias's GGUF file now (default alias: ${DEFAULT_ALIAS})`)
    .argument('[alias]', 'catalog alias of provider llama-cpp')
    .option('--catalog <file>', 'model catalog (default: TANDEM_MODEL_CATALOG or the built-in one)')
    .action(async (alias: string | undefined, opts: { catalog?: string }) => {
      const io = processIo();
      const catalog = await catalogFor(opts.catalog, io);
      process.exitCode = catalog === undefined ? 1 : await pullModel(catalog, alias, io);
    });
  models
    .command('list')
    .description('list catalog aliases; for llama-cpp ones, whether the file is downloaded')
    .option('--catalog <file>', 'model catalog (default: TANDEM_MODEL_CATALOG or the built-in one)')
    .action(async (opts: { catalog?: string }) => {
      const io = processIo();
      const catalog = await catalogFor(opts.catalog, io);
      process.exitCode = catalog === undefined ? 1 : await listModels(catalog, io);
    });
}
