import { describe, expect, it } from 'vitest';
import { MigrationError } from '../errors/index.js';
import { assertPgvectorUsable, compareVersions, type PgvectorState } from './check-pgvector.js';

const ready: PgvectorState = {
  serverVersionNum: 160004,
  availableVersion: '0.8.0',
  installedVersion: null,
  superuser: true,
  database: 'tandem',
  user: 'tandem',
};

function messageOf(state: PgvectorState): string {
  try {
    assertPgvectorUsable(state);
  } catch (err) {
    expect(err).toBeInstanceOf(MigrationError);
    return (err as Error).message;
  }
  return 'no error';
}

describe('assertPgvectorUsable', () => {
  it('accepts pgvector available to a superuser, or already created for anyone', () => {
    expect(messageOf(ready)).toBe('no error');
    expect(messageOf({ ...ready, superuser: false, installedVersion: '0.7.4' })).toBe('no error');
  });

  it('names the package for the server’s major version and the image when pgvector is missing', () => {
    const message = messageOf({ ...ready, availableVersion: null });
    expect(message).toContain('server (PostgreSQL 16) lacks the pgvector extension "vector"');
    expect(message).toContain('postgresql-16-pgvector');
    expect(message).toContain('pgvector/pgvector:pg16');
    expect(message).toContain('docs/deployment.md');
  });

  it('asks for a pgvector with HNSW, and for ALTER EXTENSION when an old one is created', () => {
    expect(messageOf({ ...ready, availableVersion: '0.4.4' })).toContain(
      'pgvector 0.4.4, older than 0.5.0',
    );
    const created = messageOf({ ...ready, availableVersion: '0.8.0', installedVersion: '0.4.1' });
    expect(created).toContain('pgvector 0.4.1');
    expect(created).toContain('ALTER EXTENSION vector UPDATE in database tandem');
  });

  it('tells a role that is not a superuser to ask one for CREATE EXTENSION', () => {
    expect(messageOf({ ...ready, superuser: false, user: 'app' })).toContain(
      'app is not a superuser',
    );
  });
});

describe('compareVersions', () => {
  it('compares numerically, part by part', () => {
    expect(compareVersions('0.10.0', '0.5.0')).toBeGreaterThan(0);
    expect(compareVersions('0.5', '0.5.0')).toBe(0);
    expect(compareVersions('0.4.4', '0.5.0')).toBeLessThan(0);
  });
});
