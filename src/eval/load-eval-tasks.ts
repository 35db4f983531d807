/**
 * Reads an eval set: a JSONL file (one task a line, as SWE-bench datasets are exported), a JSON file (one
 * task or an array), a YAML file (one task), or a directory of such files (`<dir>/tasks/` when it exists,
 * else `<dir>` itself; `sources.yaml` is never a task). Every invalid task is reported at once.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors/index.js';
import { EvalTask } from './eval-task.js';

/** A loaded set: the tasks in file order and the directory `sources.yaml` is looked for in. */
export interface EvalSet {
  tasks: EvalTask[];
  /** The set's directory (the file's directory for a file). */
  dir: string;
}

const TASK_EXTENSIONS = new Set(['.jsonl', '.json', '.yaml', '.yml']);

/**
 * Loads and validates every task of `path`.
 * @throws ConfigError (source `eval set <path>`) listing each bad task as `<file>:<line>` with its issues,
 *   duplicate instance ids, unreadable files, and an empty set.
 */
export async function loadEvalTasks(path: string): Promise<EvalSet> {
  const info = await stat(path).catch(() => null);
  if (!info) {
    throw new ConfigError(`eval set ${path}`, [{ path: '', message: 'no such file or directory' }]);
  }
  let dir = path;
  let files = [path];
  if (info.isDirectory()) {
    const tasksDir = join(path, 'tasks');
    const listed = (await stat(tasksDir).catch(() => null))?.isDirectory() ? tasksDir : path;
    files = (await readdir(listed))
      .filter((f) => TASK_EXTENSIONS.has(extname(f)) && !/^sources\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(listed, f));
  } else {
    dir = join(path, '..');
  }
  const tasks: EvalTask[] = [];
  const issues: ConfigIssue[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    for (const { where, value, error } of await readEntries(file)) {
      if (error) {
        issues.push({ path: where, message: error });
        continue;
      }
      const parsed = EvalTask.safeParse(value);
      if (!parsed.success) {
        for (const i of parsed.error.issues) {
          issues.push({ path: `${where} ${i.path.join('.') || '(task)'}`, message: i.message });
        }
        continue;
      }
      const other = seen.get(parsed.data.instance_id);
      if (other) {
        issues.push({
          path: `${where} instance_id`,
          message: `${parsed.data.instance_id} is also the id of ${other}`,
        });
        continue;
      }
      seen.set(parsed.data.instance_id, where);
      tasks.push(parsed.data);
    }
  }
  if (issues.length > 0) {
    throw new ConfigError(`eval set ${path}`, issues);
  }
  if (tasks.length === 0) {
    throw new ConfigError(`eval set ${path}`, [{ path: '', message: 'no task found' }]);
  }
  return { tasks, dir };
}

/** The raw entries of one file, each with `file:line` (JSONL) or `file` for error messages. */
interface RawEntry {
  where: string;
  value?: unknown;
  error?: string;
}

async function readEntries(file: string): Promise<RawEntry[]> {
  const name = basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return [{ where: name, error: `cannot be read: ${(error as Error).message}` }];
  }
  const ext = extname(file);
  if (ext === '.jsonl') {
    return text.split('\n').flatMap((line, i): RawEntry[] => {
      if (line.trim() === '') {
        return [];
      }
      try {
        return [{ where: `${name}:${i + 1}`, value: JSON.parse(line) as unknown }];
      } catch (error) {
        return [{ where: `${name}:${i + 1}`, error: `not JSON: ${(error as Error).message}` }];
      }
    });
  }
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return [
      {
        where: name,
        error: `not ${ext === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
      },
    ];
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => ({ where: `${name}[${i}]`, value: v as unknown }));
  }
  return [{ where: name, value }];
}
