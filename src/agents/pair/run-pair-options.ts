/** What {@link runPair} works with: the ticket, the policy, and the ports to models, git, sandbox and store. */
import type { Logger } from 'pino';
import type { RepoPolicy } from '../../config/repo-policy.js';
import type { GitWorkspace } from '../../git/git-workspace.js';
import type { Sandbox } from '../../sandbox/types.js';
import type { MemorySearch } from '../agent-tools.js';
import type { AgentModels } from '../agent-models.js';
import type { RunStore } from '../run-store.js';
import type { Ticket } from '../ticket.js';
import type { PairProgress } from './progress.js';

/**
 * The part of a {@link GitWorkspace} the engine uses. `GitWorkspace` is the real one; unit tests pass an
 * in-memory fake.
 */
export type PairWorkspace = Pick<
  GitWorkspace,
  | 'workTree'
  | 'baseCommit'
  | 'branch'
  | 'head'
  | 'log'
  | 'changedFiles'
  | 'takeRemovedRepositories'
  | 'restore'
  | 'discardChanges'
  | 'commit'
  | 'push'
  | 'listFiles'
  | 'grep'
  | 'diff'
>;

/** The part of a {@link Sandbox} the engine uses (commands, confined file access, ownership). */
export type PairSandbox = Pick<Sandbox, 'exec' | 'readFile' | 'writeFile' | 'chownWorkspace'>;

/** Options of {@link runPair}. */
export interface RunPairOptions {
  ticket: Ticket;
  policy: RepoPolicy;
  models: AgentModels;
  store: RunStore;
  /** Stable job id: the same id resumes the same run. */
  jobId: string;
  workspace: PairWorkspace;
  /** Sandbox over `workspace.workTree`. */
  sandbox: PairSandbox;
  logger?: Logger;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  onProgress?: (progress: PairProgress) => void;
  /** Model calls per phase attempt (default 24). */
  maxSteps?: number;
  /** Identical consecutive tool calls that end an attempt (default 3). */
  loopLimit?: number;
  /** Tests the Developer may send back to the Tester per cycle (default 2; 0 turns disputes off). */
  disputesPerCycle?: number;
  /**
   * Globs (minimatch, repository-relative) no agent may change, on top of the built-in
   * `PROTECTED_PATHS`: the operator's `TANDEM_PROTECTED_PATHS`.
   */
  protectedPaths?: readonly string[];
  /**
   * The project memory search behind `search_memory` / `search_code` (offered only when given); what
   * memory recalls for the ticket comes in `ticket.memory`.
   */
  searchMemory?: MemorySearch;
  /**
   * Push the branch after every commit (default true). The push runs while the step's events are
   * recorded and is awaited before the step's checkpoint is saved (so the checkpoint never names a commit
   * the remote lacks) and at the end; a failed push fails the run.
   */
  push?: boolean;
  /**
   * Stops the run at the next safe point: model calls and test runs in flight are aborted, and the run
   * throws (the abort reason, or the model layer's `ModelCallAbortedError`) with the checkpoint of the last
   * finished step kept; an interrupted step is redone on resume.
   */
  signal?: AbortSignal;
  /**
   * Pauses the run at the next safe point between steps (the Resource Director: higher-priority work
   * waits, or the repository reached a quota): unlike `signal`, nothing in flight is aborted; the step
   * finishes, its checkpoint is saved, then the run throws the pause reason. A later run with the same
   * job id resumes from that checkpoint.
   */
  pause?: AbortSignal;
}
