import { KeyedSerializer } from '../core/keyed-serializer.js';
import { RateLimitedError } from '../core/errors.js';
import type { IdentityRepository } from './identity.repository.js';

/**
 * Growing delay after failed sign-ins, per account and per client address. The first few failures
 * are free (people mistype); after that each failure doubles the wait, up to a quarter of an hour.
 * Counts live in the database, so every process of an installation sees the same ones, and fade
 * after an hour of quiet.
 */
export const THROTTLE_POLICY = {
  account: { freeFailures: 5 },
  ip: { freeFailures: 20 },
  firstDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
} as const;

export function delayAfter(failures: number, freeFailures: number): number {
  if (failures <= freeFailures) return 0;
  const doublings = Math.min(failures - freeFailures - 1, 20);
  return Math.min(THROTTLE_POLICY.firstDelayMs * 2 ** doublings, THROTTLE_POLICY.maxDelayMs);
}

type Scope = 'account' | 'ip';

export class SignInThrottle {
  constructor(
    private readonly repository: Pick<
      IdentityRepository,
      'findThrottle' | 'addThrottleFailure' | 'setThrottleBlock' | 'clearThrottle'
    >,
    private readonly clock: () => number = Date.now,
  ) {}

  static accountKey(realm: string, login: string) {
    return `account:${realm}:${login.toLowerCase()}`;
  }

  static ipKey(ip: string) {
    return `ip:${ip}`;
  }

  /** Throws RateLimitedError while either key is still waiting out its delay. */
  async check(keys: { account: string; ip: string }): Promise<void> {
    const now = this.clock();
    const rows = await this.repository.findThrottle([keys.account, keys.ip]);
    const waitMs = Math.max(0, ...rows.map((row) => row.blocked_until - now));
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      throw new RateLimitedError(`too many failed sign-ins; try again in ${seconds} s`, seconds);
    }
  }

  async recordFailure(keys: { account: string; ip: string }): Promise<void> {
    const now = this.clock();
    for (const [scope, key] of [
      ['account', keys.account],
      ['ip', keys.ip],
    ] as Array<[Scope, string]>) {
      const failures = await this.repository.addThrottleFailure(
        key,
        now,
        now - THROTTLE_POLICY.forgetAfterMs,
      );
      await this.repository.setThrottleBlock(
        key,
        now + delayAfter(failures, THROTTLE_POLICY[scope].freeFailures),
      );
    }
  }

  /**
   * Runs one account's sign-in attempts one after another within this process, so a burst of
   * parallel guesses meets the count the previous guesses left behind instead of all passing
   * `check` together.
   */
  serialize<T>(accountKey: string, attempt: () => Promise<T>): Promise<T> {
    return this.inFlight.run(accountKey, attempt);
  }

  private readonly inFlight = new KeyedSerializer();

  /** A successful sign-in clears the account's count; the address keeps its own. */
  recordSuccess(keys: { account: string }): Promise<void> {
    return this.repository.clearThrottle(keys.account);
  }
}
