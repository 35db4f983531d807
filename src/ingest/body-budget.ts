/**
 * Admission control for webhook bodies whose signature is not checked yet. The signature can only be
 * checked once the last byte arrived, so until then a body is held in memory on the word of an unknown
 * sender: this budget bounds how many such bodies are in flight and how many bytes they hold together.
 * A request over either bound is answered 503 with `Retry-After` instead of being read.
 */

/** Limits of {@link createBodyBudget}. */
export interface BodyBudgetOptions {
  /** Bodies being read at once (default 64). */
  maxBodies?: number;
  /** Bytes held by those bodies together (default 100 MiB: four bodies of GitHub's 25 MiB cap). */
  maxBytes?: number;
}

/** One admitted body's share of the budget. */
export interface BodyLease {
  /**
   * Adds `bytes` to this body's share (the `Content-Length` up front, or each chunk of a chunked body).
   * @returns false, adding nothing, when the shared byte budget would be exceeded.
   */
  grow(bytes: number): boolean;
  /** Gives the slot and the bytes back; later calls do nothing. */
  release(): void;
}

/** The shared budget. */
export interface BodyBudget {
  /** A lease, or null when `maxBodies` bodies are already in flight. */
  admit(): BodyLease | null;
  /** Bodies and bytes in flight now (for tests and health). */
  inFlight(): { bodies: number; bytes: number };
}

/** Creates a budget; one per server. */
export function createBodyBudget(options: BodyBudgetOptions = {}): BodyBudget {
  const maxBodies = options.maxBodies ?? 64;
  const maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
  let bodies = 0;
  let bytes = 0;
  return {
    admit() {
      if (bodies >= maxBodies) {
        return null;
      }
      bodies += 1;
      let held = 0;
      let released = false;
      return {
        grow(n) {
          if (released || bytes + n > maxBytes) {
            return false;
          }
          held += n;
          bytes += n;
          return true;
        },
        release() {
          if (!released) {
            released = true;
            bodies -= 1;
            bytes -= held;
          }
        },
      };
    },
    inFlight: () => ({ bodies, bytes }),
  };
}
