/**
 * `npm run bench [-- name ...]`: runs every `test/bench/<name>.bench.ts` (or only the named ones) in
 * sequence and prints one JSON object `{ "<name>": { ...figures } }` on stdout.
 * Each bench module default-exports `async () => Record<string, unknown>`; figures carry their unit in the
 * key name (`p95Ms`, `perSecond`, `bytes`). Progress goes to stderr so stdout stays valid JSON.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

type Bench = () => Promise<Record<string, unknown>>;

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
const results: Record<string, unknown> = {};
for (const file of files) {
  const name = file.replace(/\.bench\.ts$/, '');
  if (wanted.length > 0 && !wanted.includes(name)) {
    continue;
  }
  process.stderr.write(`bench ${name}…\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
  results[name] = await mod.default();
}
console.log(JSON.stringify(results, null, 2));
