export interface BackoffOptions {
  /** Delay ceiling for the first retry, in milliseconds. */
  baseMs: number;
  /** No retry ever waits longer than this, in milliseconds. */
  maxMs: number;
}

/**
 * Exponential backoff with full jitter: a uniformly random wait between zero and the capped
 * exponential ceiling. Spreading retries over the whole window (rather than around the
 * ceiling) keeps a crowd of clients that lost the same server from reconnecting in lockstep.
 *
 * `attempt` counts retries already made since the last stable connection, starting at 0.
 * `random` returns a number in [0, 1), like `Math.random`.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}
