/**
 * Locates Tandem's `migrations/` folder relative to this module, so it is found both when running from
 * `src/` under tsx (`src/db/` → `../../migrations`) and from the build (`dist/src/db/` → `../../../migrations`).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MigrationError } from '../errors/index.js';

/**
 * Walks up from this file to the first ancestor holding `migrations/meta/_journal.json`.
 * @returns the absolute path of the migrations folder.
 * @throws MigrationError (`migration_failed`) when no ancestor has one (a broken install).
 */
export function findMigrationsFolder(
  from: string = dirname(fileURLToPath(import.meta.url)),
): string {
  let dir = from;
  for (;;) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) {
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new MigrationError(`no migrations/meta/_journal.json above ${from}`);
    }
    dir = parent;
  }
}
