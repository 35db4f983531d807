import { TandemError } from './tandem-error.js';

/**
 * Applying Tandem's database migrations failed: the folder is missing or unreadable, the journal is
 * malformed, or a statement failed (the driver's error is the `cause`). The database is left at the last
 * fully applied migration: drizzle applies pending migrations in one transaction.
 */
export class MigrationError extends TandemError {
  readonly code = 'migration_failed';
}
