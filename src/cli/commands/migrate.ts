/**
 * `tandem migrate`: applies pending database migrations and prints what it did.
 * Reads `DATABASE_URL` (a real PostgreSQL server) or else `TANDEM_DATA_DIR` (embedded PGlite in
 * `<dir>/pglite`, default `./.tandem`). Exit 0 when up to date afterwards, 1 on a readable error.
 */
import type { Command } from 'commander';
import { createDatabase } from '../../db/create-database.js';
import { migrateDatabase } from '../../db/migrate-database.js';
import { ConfigError, MigrationError } from '../../errors/index.js';

/** Where {@link runMigrate} reads and writes; the CLI passes the process's own. */
export interface RunMigrateOptions {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * Opens the configured database, migrates it and closes it.
 * @returns the exit code: 0 applied or up to date, 1 invalid configuration or failed migration.
 */
export async function runMigrate({ env, stdout, stderr }: RunMigrateOptions): Promise<number> {
  let handle;
  try {
    handle = await createDatabase({
      ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
      ...(env.TANDEM_DATA_DIR ? { dataDir: env.TANDEM_DATA_DIR } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      stderr(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const where =
    handle.kind === 'pglite' ? `PGlite at ${handle.dataDir ?? '(memory)'}` : 'PostgreSQL';
  try {
    const report = await migrateDatabase(handle);
    for (const tag of report.applied) {
      stdout(`applied ${tag}\n`);
    }
    stdout(
      report.applied.length === 0
        ? `${where}: up to date (${report.total} migrations)\n`
        : `${where}: applied ${report.applied.length} of ${report.total} migrations\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof MigrationError) {
      stderr(`error: ${where}: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await handle.close();
  }
}

/** Adds `tandem migrate` to the program. */
export function register(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL, or PGlite in TANDEM_DATA_DIR)')
    .action(async () => {
      process.exitCode = await runMigrate({
        env: process.env,
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      });
    });
}
