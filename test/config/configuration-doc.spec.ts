/**
 * docs/configuration.md stays in step with the schemas: every policy key and every environment
 * variable is documented, the documented policy defaults are the schema's defaults, no documented key
 * is stale, and the "full example" parses to exactly the defaults while naming every key that has one.
 */
import { readFile } from 'node:fs/promises';
import { isMap, parseDocument, parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/config/load-policy.js';
import { DEFAULT_POLICY, RepoPolicy, ROLES } from '../../src/config/repo-policy.js';
import { schemaKeyPaths } from '../../src/config/schema-keys.js';
import { loadServerConfig, SERVER_ENV_NAMES } from '../../src/config/server-config.js';

let doc: string;

/** Rows of the first table whose header starts with `| <firstHeader> |`: cells per row. */
function tableRows(firstHeader: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${firstHeader} |`));
  expect(start, `table "${firstHeader}" in docs/configuration.md`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) {
      break;
    }
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1');

/** Policy table rows keyed by concrete path (`<role>` expanded). */
function policyRows(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const row of tableRows('key')) {
    const key = unquote(row[0]!);
    const keys = key.includes('<role>') ? ROLES.map((r) => key.replace('<role>', r)) : [key];
    for (const k of keys) {
      out.set(k, row);
    }
  }
  return out;
}

function valueAt(path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], DEFAULT_POLICY);
}

beforeAll(async () => {
  doc = await readFile('docs/configuration.md', 'utf8');
});

describe('docs/configuration.md', () => {
  it('documents exactly the policy keys of the schema', () => {
    expect([...policyRows().keys()].sort()).toEqual(schemaKeyPaths(RepoPolicy).sort());
  });

  it('gives each leaf key the default the schema has', () => {
    for (const [path, row] of policyRows()) {
      const cell = row[2]!;
      if (cell === '—') {
        expect(valueAt(path), `${path} is a section`).toBeTypeOf('object');
        continue;
      }
      if (cell === 'unset') {
        expect(valueAt(path), `${path} has no default`).toBeUndefined();
        continue;
      }
      expect(parseYaml(unquote(cell)), `default of ${path}`).toEqual(valueAt(path));
    }
  });

  it('documents exactly the environment variables loadServerConfig reads', () => {
    const names = tableRows('variable').map((row) => unquote(row[0]!));
    expect(names.sort()).toEqual([...SERVER_ENV_NAMES].sort());
  });

  it('gives the environment defaults loadServerConfig applies', () => {
    const defaults = loadServerConfig({});
    const field: Record<string, unknown> = {
      PORT: defaults.port,
      HOST: defaults.host,
      LOG_LEVEL: defaults.logLevel,
      TANDEM_DATA_DIR: defaults.dataDir,
      TANDEM_SANDBOX_IMAGES: defaults.sandboxImages.join(','),
      TANDEM_SANDBOX_POOL_SIZE: defaults.sandboxPoolSize,
      TANDEM_MAX_PAIR_JOBS: defaults.maxPairJobs,
      TANDEM_PERMISSION_CACHE_SECONDS: defaults.permissionCacheSeconds,
      TANDEM_SHUTDOWN_GRACE_SECONDS: defaults.shutdownGraceSeconds,
    };
    const rows = new Map(tableRows('variable').map((r) => [unquote(r[0]!), unquote(r[1]!)]));
    for (const [name, value] of Object.entries(field)) {
      expect(rows.get(name), `default of ${name}`).toBe(String(value));
    }
  });

  it('has a full example that names every key and parses to the defaults', () => {
    const example = /```yaml\n(# \.github\/tandem\.yml\n[\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(parsePolicy(example!, 'docs example')).toEqual(DEFAULT_POLICY);
    const yaml = parseDocument(example!);
    // Keys without a default (documented as `unset`) cannot be set to their default; they are left out.
    for (const path of schemaKeyPaths(RepoPolicy).filter((p) => valueAt(p) !== undefined)) {
      expect(yaml.hasIn(path.split('.')), `example sets ${path}`).toBe(true);
    }
    expect(isMap(yaml.contents)).toBe(true);
  });
});
