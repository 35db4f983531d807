/**
 * `tandem config validate <file>`: checks a repository policy file before it is committed.
 * With `--catalog`, the model aliases are checked against that catalog too.
 * Prints `ok: <file>` (exit 0), or one `file:line: key: problem` line per problem on stderr (exit 1),
 * the format editors and CI annotations understand.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parsePolicy } from '../../config/load-policy.js';
import { ConfigError } from '../../errors/index.js';
import { loadModelCatalog, type ModelCatalog } from '../../llm/catalog.js';
import { validatePolicyModels } from '../../llm/validate-policy-models.js';

/** Where {@link validateConfigFile} writes, and how it reads; the CLI passes the process's own. */
export interface ValidateConfigOptions {
  /** Receives `ok: <file>\n`. */
  stdout: (text: string) => void;
  /** Receives one line per problem. */
  stderr: (text: string) => void;
  /** Reads the file as UTF-8; defaults to `fs.promises.readFile`. */
  read?: (path: string) => Promise<string>;
  /** Also check `sandbox.image` against this allowlist (as `TANDEM_SANDBOX_IMAGES` would). */
  sandboxImages?: readonly string[];
  /**
   * Also check the model aliases against this catalog (as the server does when a job starts): unknown
   * aliases, and remote ones under `privacy: local-only`.
   */
  catalog?: ModelCatalog;
}

/**
 * Validates the policy file at `file`.
 * @returns the exit code: 0 valid, 1 invalid, malformed or unreadable. Other errors are rethrown.
 */
export async function validateConfigFile(
  file: string,
  options: ValidateConfigOptions,
): Promise<number> {
  let text: string;
  try {
    text = await (options.read ?? ((p: string) => readFile(p, 'utf8')))(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (code ?? 'read error');
    options.stderr(`error: cannot read ${file}: ${why}\n`);
    return 1;
  }
  try {
    const { sandboxImages, catalog } = options;
    parsePolicy(text, file, {
      server: {
        ...(sandboxImages ? { sandboxImages } : {}),
        ...(catalog ? { checks: [(policy) => validatePolicyModels(policy.models, catalog)] } : {}),
      },
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw error;
    }
    for (const issue of error.issues) {
      const where = issue.line === undefined ? file : `${file}:${issue.line}`;
      options.stderr(`${where}: ${issue.path || '(file)'}: ${issue.message}\n`);
    }
    options.stderr(
      `${file}: ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}\n`,
    );
    return 1;
  }
  options.stdout(`ok: ${file}\n`);
  return 0;
}

/** Registers `tandem config validate <file> [--sandbox-images a,b] [--catalog models.yml]`. */
export function register(program: Command): void {
  const config = program.command('config').description('work with Tandem configuration files');
  config
    .command('validate')
    .description('check a repository policy file (.github/tandem.yml); exit 1 when invalid')
    .argument('<file>', 'policy file to check')
    .option(
      '--sandbox-images <list>',
      'comma-separated images the server allows (TANDEM_SANDBOX_IMAGES); also checks sandbox.image',
    )
    .option(
      '--catalog <file>',
      'model catalog the server uses (TANDEM_MODEL_CATALOG); also checks the model aliases against it',
    )
    .action(async (file: string, opts: { sandboxImages?: string; catalog?: string }) => {
      const options: ValidateConfigOptions = {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      };
      if (opts.catalog !== undefined) {
        try {
          options.catalog = await loadModelCatalog(opts.catalog);
        } catch (error) {
          if (!(error instanceof ConfigError)) {
            throw error;
          }
          process.stderr.write(
            `error: the catalog ${opts.catalog} is unusable: ${error.message}\n`,
          );
          process.exitCode = 1;
          return;
        }
      }
      if (opts.sandboxImages !== undefined) {
        options.sandboxImages = opts.sandboxImages
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      }
      process.exitCode = await validateConfigFile(file, options);
    });
}
