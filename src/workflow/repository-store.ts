/** The `repositories` rows: one per repository Tandem serves on a forge. */
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/create-database.js';
import { repositories } from '../db/schema.js';
import type { ForgeKind, RepoRef } from '../forge/forge-event.js';

export type RepositoryRow = typeof repositories.$inferSelect;

/**
 * The row of `repo` on `forge`, created on first sight; a changed installation id is updated
 * (an App reinstalled gets a new one).
 */
export async function upsertRepository(
  db: Database,
  forge: ForgeKind,
  repo: RepoRef,
): Promise<RepositoryRow> {
  const [row] = await db
    .insert(repositories)
    .values({
      forge,
      owner: repo.owner,
      name: repo.name,
      installationId: repo.installationId ?? null,
    })
    .onConflictDoUpdate({
      target: [repositories.forge, repositories.owner, repositories.name],
      set: {
        installationId: sql`coalesce(excluded.installation_id, ${repositories.installationId})`,
        updatedAt: sql`now()`,
      },
    })
    .returning();
  if (!row) {
    throw new Error('unreachable: upsert returned no row');
  }
  return row;
}

/** The repository row by id. @throws Error when it does not exist (a job for a deleted row). */
export async function getRepository(db: Database, id: number): Promise<RepositoryRow> {
  const [row] = await db.select().from(repositories).where(eq(repositories.id, id));
  if (!row) {
    throw new Error(`repository ${id} not found`);
  }
  return row;
}

/** The forge reference of a repository row. */
export function repoRefOf(row: RepositoryRow): RepoRef {
  return {
    owner: row.owner,
    name: row.name,
    ...(row.installationId === null ? {} : { installationId: row.installationId }),
  };
}

/** Updates some columns of a repository row. */
export async function updateRepository(
  db: Database,
  id: number,
  set: Partial<
    Pick<
      RepositoryRow,
      'paused' | 'policyError' | 'configIssueNumber' | 'dashboardIssueNumber' | 'defaultBranch'
    >
  >,
): Promise<void> {
  await db
    .update(repositories)
    .set({ ...set, updatedAt: sql`now()` })
    .where(and(eq(repositories.id, id)));
}
