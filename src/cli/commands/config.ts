/**
 * `tandem config validate <file>`: checks a repository policy file before it is committed.
 * Prints `ok: <file>` (exit 0), or one `file:line: key: problem` line per problem on stderr (exit 1),
 * the format editors and CI annotations understand.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parsePolicy } from '../../config/load-policy.js';
import { ConfigError } from '../../errors/index.js';

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
    parsePolicy(
      text,
      file,
      options.sandboxImages ? { server: { sandboxImages: options.sandboxImages } } : {},
    );
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

/** Registers `tandem config validate <file> [--sandbox-images a,b]`. */
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
    .action(async (file: string, opts: { sandboxImages?: string }) => {
      const options: ValidateConfigOptions = {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      };
      if (opts.sandboxImages !== undefined) {
        options.sandboxImages = opts.sandboxImages
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      }
      process.exitCode = await validateConfigFile(file, options);
    });
}
