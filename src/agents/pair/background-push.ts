/**
 * The push of the ticket branch after a commit, run in the background while the step's events are
 * recorded. Pushes are chained (each waits for the one before), and `settle` is awaited before the next
 * checkpoint save and the next commit, so the checkpoint never names a commit the remote lacks.
 */

/** Something that pushes the branch (`GitWorkspace.push`). */
export interface Pusher {
  push(): Promise<void>;
}

/** One chain of background pushes for one run. */
export class BackgroundPush {
  private pending: Promise<void> | null = null;

  constructor(private readonly target: Pusher) {}

  /** Starts pushing the branch in the background, after the previous push (if any) has finished. */
  start(): void {
    const previous = this.pending;
    const push = (async () => {
      await previous;
      await this.target.push();
    })();
    // Observed here so a failure is never an unhandled rejection; `settle` rethrows it.
    push.catch(() => undefined);
    this.pending = push;
  }

  /** Waits for the push in flight, if any; throws its error (e.g. `GitCommandError`) when it failed. */
  async settle(): Promise<void> {
    const push = this.pending;
    this.pending = null;
    await push;
  }

  /**
   * Waits for the push in flight and ignores its outcome: a failing run leaves no git process behind
   * in the job's git dir (a retry may open it at once) and reports its own error instead.
   */
  async drain(): Promise<void> {
    await this.pending?.catch(() => undefined);
    this.pending = null;
  }
}
