/** The tags of the migrations this package ships, in order, read from drizzle-kit's journal. */
import { readFileSync } from 'node:fs';

const journal = JSON.parse(
  readFileSync(new URL('../../migrations/meta/_journal.json', import.meta.url), 'utf8'),
) as { entries: { tag: string }[] };

export const SHIPPED_MIGRATIONS: readonly string[] = journal.entries.map((e) => e.tag);
