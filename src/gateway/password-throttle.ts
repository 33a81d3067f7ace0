import { RateLimitedError } from '../core/errors.js';

export interface PasswordThrottleLimits {
  /** Failed attempts one key (a peer address, a mailbox) may make in a window before it must wait. */
  maxFailures: number;
  windowMs: number;
}

/**
 * Counts failed password attempts per key in fixed windows, in memory (one `serve` process takes
 * the gateway's logins). A key over its limit is refused before anything is derived, so guessing
 * costs the server nothing but a timer.
 */
export class PasswordThrottle {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limits: PasswordThrottleLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Throws RateLimitedError when any of `keys` has used up its failures in the current window. */
  check(keys: readonly string[]): void {
    const now = this.clock();
    for (const key of keys) {
      const window = this.windows.get(key);
      if (!window || now - window.start >= this.limits.windowMs) continue;
      if (window.failures >= this.limits.maxFailures) {
        const retryAfterSeconds = Math.ceil((window.start + this.limits.windowMs - now) / 1000);
        throw new RateLimitedError('too many failed logins, try again later', retryAfterSeconds);
      }
    }
  }

  fail(keys: readonly string[]): void {
    const now = this.clock();
    if (this.windows.size > 10_000) this.prune(now);
    for (const key of keys) {
      const window = this.windows.get(key);
      if (!window || now - window.start >= this.limits.windowMs)
        this.windows.set(key, { start: now, failures: 1 });
      else window.failures += 1;
    }
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows)
      if (now - window.start >= this.limits.windowMs) this.windows.delete(key);
  }
}
