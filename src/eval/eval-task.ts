/**
 * An eval task: one ticket graded by hidden tests. The fields follow SWE-bench's instance format
 * (`instance_id`, `repo`, `base_commit`, `problem_statement`, `FAIL_TO_PASS`, `PASS_TO_PASS`, `patch`,
 * `test_patch`; the id lists may be JSON-encoded strings, as in SWE-bench's datasets) plus what Tandem
 * needs to run it offline: the sandbox `image`, `setup`, `test_command`, the hidden test files, and an
 * optional Tandem ticket. Unknown fields (SWE-bench's `version`, `hints_text`, …) are ignored.
 */
import { z } from 'zod';
import { SandboxPolicy } from '../config/repo-policy.js';

/** A list of test ids: an array, or a JSON-encoded array (SWE-bench stores them that way). */
const IdList = z.preprocess(
  (v) => {
    if (typeof v !== 'string') {
      return v;
    }
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.array(z.string().min(1)),
);

/** An argv array; a string is run by `sh -c` (SWE-bench harnesses write shell lines). */
const Argv = z.preprocess(
  (v) => (typeof v === 'string' ? ['sh', '-c', v] : v),
  z.array(z.string().min(1)).min(1),
);

/** A Tandem ticket given with the task (what an Architect would have written). */
export const EvalTicket = z.object({
  title: z.string().min(1).max(200),
  description: z.string().default(''),
  acceptanceCriteria: z.array(z.string().min(1)).min(1).max(30),
});
export type EvalTicket = z.infer<typeof EvalTicket>;

/** A directory or file of another source tree put into the base in place of its own. */
export const Overlay = z.object({
  /** Source name (an entry of `sources.yaml`). */
  source: z.string().min(1),
  /** Path in that source's tree. */
  from: z.string().min(1),
  /** Path in the base it replaces (removed first). */
  to: z.string().min(1),
});
export type Overlay = z.infer<typeof Overlay>;

/**
 * Where a shipped task's trees come from: names of entries of the set's `sources.yaml`. The base is the
 * tree `base`, then each `overlay` put in place, then the `remove` paths deleted: so a base can be the
 * older release's code (e.g. the modules of Debian's binary package of it) inside the newer release's
 * source tree when only the newer one's source is at hand.
 */
export const TaskSource = z.object({
  /** The tree the base starts from (the older release, or the newer one overlaid with older code). */
  base: z.string().min(1),
  overlay: z.array(Overlay).default([]),
  /** Paths deleted from the base (hidden test files the newer tree already has). */
  remove: z.array(z.string().min(1)).default([]),
  /** The newer release: the hidden tests and the reference change come from it. */
  reference: z.string().min(1),
  /**
   * Paths (relative to the tree root) that make up the reference change; default: every file that
   * differs. Keeps the oracle and `validate` to the change the ticket is about when a release pair
   * differs in more (docs, CI files).
   */
  paths: z.array(z.string().min(1)).optional(),
});
export type TaskSource = z.infer<typeof TaskSource>;

/** One task. See docs/eval.md ("Task format") for every field. */
export const EvalTask = z
  .object({
    instance_id: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
        'letters, digits, ".", "_" and "-" only (it names directories)',
      ),
    /** `owner/name` (SWE-bench), a git URL or an absolute path; informational when `source` is given. */
    repo: z.string().min(1),
    /** Commit the agents start from (SWE-bench tasks); not used with `source`. */
    base_commit: z.string().min(1).optional(),
    problem_statement: z.string().min(1),
    FAIL_TO_PASS: IdList.refine((l) => l.length > 0, 'at least one test must go from fail to pass'),
    PASS_TO_PASS: IdList.default([]),
    /** Sandbox image of the agents' runs and of grading. */
    image: z.string().min(1).default('tandem-sandbox:latest'),
    /** argv run once before tests (agents' runs and grading). */
    setup: Argv.optional(),
    /** `setup`: the setup command gets a network (and only it). */
    network: z.enum(['none', 'setup']).default('none'),
    /** The whole suite; `{junit}` is replaced by a JUnit XML path. The agents run it too. */
    test_command: Argv,
    /** `junit`: ids are JUnit cases of one `test_command` run; `file`: ids are test files, each run alone. */
    grading: z.enum(['junit', 'file']).default('junit'),
    /** With `grading: file`: argv with `{file}`, exit 0 = the file passes. */
    test_file_command: Argv.optional(),
    /** Globs of test files (policy `sandbox.testGlobs`): the tester may write them, the developer not. */
    test_globs: SandboxPolicy.shape.testGlobs.optional(),
    /** Hidden test files, as paths taken from the reference tree (`source` tasks). */
    hidden_tests: z.array(z.string().min(1)).optional(),
    /** Hidden tests as a unified diff against the base (SWE-bench's `test_patch`). */
    test_patch: z.string().min(1).optional(),
    /** The reference change as a unified diff (SWE-bench's gold `patch`). */
    patch: z.string().min(1).optional(),
    source: TaskSource.optional(),
    ticket: EvalTicket.optional(),
    /** Limit of one command (setup, suite, grading run), in seconds. */
    timeout_seconds: z.number().int().min(1).max(3_600).default(600),
    memory_mb: z.number().int().min(64).max(65_536).default(2_048),
    /** Free labels (`python`, `small`, …) for reports. */
    tags: z.array(z.string()).default([]),
    /** Upstream changelog line the ticket was written from, licence, notes: kept in the report. */
    notes: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    if (t.source && (t.base_commit || t.patch)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message:
          'give either source (release pair) or base_commit/patch (a git repository), not both',
      });
    }
    if (!t.source && !t.base_commit) {
      ctx.addIssue({
        code: 'custom',
        path: ['base_commit'],
        message: 'required unless the task has a source (release pair)',
      });
    }
    if (!t.hidden_tests && !t.test_patch) {
      ctx.addIssue({
        code: 'custom',
        path: ['hidden_tests'],
        message: 'give the hidden tests: hidden_tests (paths in the reference) or test_patch',
      });
    }
    if (t.hidden_tests && !t.source) {
      ctx.addIssue({
        code: 'custom',
        path: ['hidden_tests'],
        message: 'hidden_tests are paths in the reference tree: they need a source',
      });
    }
    if (t.grading === 'junit' && !t.test_command.some((a) => a.includes('{junit}'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['test_command'],
        message:
          'grading by JUnit cases needs {junit} in test_command (where the report is written)',
      });
    }
    if (t.grading === 'file') {
      for (const list of ['FAIL_TO_PASS', 'PASS_TO_PASS'] as const) {
        t[list].forEach((file, i) => {
          if (file.startsWith('/') || file.split('/').includes('..')) {
            ctx.addIssue({
              code: 'custom',
              path: [list, i],
              message: 'with grading: file, ids are test files relative to the repository root',
            });
          }
        });
      }
    }
    if (t.grading === 'file' && !t.test_file_command?.some((a) => a.includes('{file}'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['test_file_command'],
        message: 'grading by file needs test_file_command with {file}',
      });
    }
  });
export type EvalTask = z.infer<typeof EvalTask>;

/** Names of the `sources.yaml` entries a task needs (base, reference, overlays). */
export function taskSourceNames(task: EvalTask): string[] {
  if (!task.source) {
    return [];
  }
  return [task.source.base, task.source.reference, ...task.source.overlay.map((o) => o.source)];
}

/** The ticket id of a task: its instance id made into a branch-safe ticket id (at most 40 characters). */
export function taskTicketId(task: Pick<EvalTask, 'instance_id'>): string {
  return task.instance_id.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
}

/**
 * The ticket the pair works on: the task's own, or one made from the problem statement (first line as
 * the title, the statement as the description, one criterion asking for what it describes). The
 * PM/Architect path is not used by `tandem eval` (it needs a forge and a person's approval).
 */
export function taskTicket(task: EvalTask): {
  id: string;
  title: string;
  description: string;
  acceptanceCriteria: string[];
} {
  if (task.ticket) {
    return { id: taskTicketId(task), ...task.ticket };
  }
  const firstLine = task.problem_statement.trim().split('\n')[0]!.trim();
  const title = firstLine.length > 0 ? firstLine.slice(0, 200) : task.instance_id;
  return {
    id: taskTicketId(task),
    title,
    description: task.problem_statement,
    acceptanceCriteria: [
      `The problem described above is fixed or the feature it asks for works, shown by a test: ${title}`,
    ],
  };
}
