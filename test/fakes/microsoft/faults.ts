/**
 * Fault injection: tests program what the next requests to a path answer (429 with Retry-After, 503,
 * 504, ApplicationThrottled, 401) or how long they take (delay, hold until released), and can expire
 * tokens. Contract sections 6 and 7 list the faults Postvault must survive.
 */
import type { FakeServerName, RecordedRequest } from './http.js';

/**
 * Which requests a rule applies to. A string is the path relative to the server's base (Graph: without
 * `/v1.0`), compared case-insensitively, where `*` stands for one path segment and `**` for any rest:
 * `/users/*\/sendMail`, `/users/**`. A RegExp is tested against the same path. A function sees it all.
 */
export type RequestPattern = string | RegExp | ((request: RecordedRequest) => boolean);

export interface FaultScope {
  /** Default `graph`. */
  server?: FakeServerName;
  /** Default: any method. */
  method?: string;
  /** How many matching requests the rule applies to; default 1 (`Infinity` for all). */
  times?: number;
}

/** A programmed answer. Graph renders `code`/`message` as its error body, the login server as Entra's. */
export interface FaultAnswer {
  status: number;
  code?: string;
  message?: string;
  /** Sets the `Retry-After` header (seconds). */
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
}

export interface FaultHandle {
  /** Requests the rule applied to so far. */
  readonly hits: number;
  /** How many more it will apply to. */
  readonly remaining: number;
  /** Stops it (held requests are released). */
  cancel(): void;
}

export interface HeldRequests extends FaultHandle {
  /** Requests waiting now. */
  readonly waiting: number;
  /** Resolves once `count` requests are waiting (rejects after `timeoutMs`). */
  waitUntilHeld(count: number, timeoutMs?: number): Promise<void>;
  /** Lets the `count` oldest waiting requests go on (default all). */
  release(count?: number): void;
}

interface Rule {
  kind: 'answer' | 'delay' | 'hold' | 'emptyPage';
  server: FakeServerName;
  method: string | undefined;
  pattern: RequestPattern;
  remaining: number;
  hits: number;
  answer?: FaultAnswer;
  delayMs?: number;
  held?: Array<() => void>;
  onHold?: Array<() => void>;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export function matchesPattern(pattern: RequestPattern, request: RecordedRequest): boolean {
  if (typeof pattern === 'function') return pattern(request);
  if (pattern instanceof RegExp) return pattern.test(request.path);
  return globToRegExp(pattern).test(request.path);
}

export class FaultInjector {
  private rules: Rule[] = [];

  constructor(
    private readonly hooks: {
      expireAllTokens: () => void;
      expireToken: (accessToken: string) => void;
      expireDeltaTokens: (answer: DeltaExpiryAnswer) => void;
    },
  ) {}

  private add(rule: Omit<Rule, 'hits' | 'server' | 'method' | 'remaining'>, scope: FaultScope): Rule {
    const full: Rule = {
      ...rule,
      server: scope.server ?? 'graph',
      method: scope.method?.toUpperCase(),
      remaining: scope.times ?? 1,
      hits: 0,
    };
    this.rules.push(full);
    return full;
  }

  private handle(rule: Rule): FaultHandle {
    return {
      get hits() {
        return rule.hits;
      },
      get remaining() {
        return rule.remaining;
      },
      cancel: () => {
        rule.remaining = 0;
        for (const release of rule.held?.splice(0) ?? []) release();
        this.rules = this.rules.filter((r) => r !== rule);
      },
    };
  }

  /** The next `times` matching requests get this answer instead of being served. */
  answer(pattern: RequestPattern, answer: FaultAnswer, scope: FaultScope = {}): FaultHandle {
    return this.handle(this.add({ kind: 'answer', pattern, answer }, scope));
  }

  /** 429 Too Many Requests with `Retry-After` (contract section 6). Default code `TooManyRequests`. */
  throttle(
    pattern: RequestPattern,
    options: FaultScope & { retryAfterSeconds?: number; code?: string; message?: string } = {},
  ): FaultHandle {
    return this.preset(
      pattern,
      {
        status: 429,
        code: options.code ?? 'TooManyRequests',
        message: options.message ?? 'Too many requests. Please retry after the time given in Retry-After.',
        retryAfterSeconds: options.retryAfterSeconds ?? 1,
      },
      options,
      options.code !== undefined,
    );
  }

  /**
   * The ready-made faults carry Graph's codes; on the login server they mean nothing, so it answers
   * in Entra's own words (`temporarily_unavailable`, AADSTS90033) unless the test named a code.
   */
  private preset(pattern: RequestPattern, answer: FaultAnswer, scope: FaultScope, codeIsExplicit = false) {
    if (scope.server !== 'login' || codeIsExplicit) return this.answer(pattern, answer, scope);
    const { code: _code, message: _message, ...rest } = answer;
    return this.answer(pattern, rest, scope);
  }

  /** 429 `ApplicationThrottled` as Exchange answers it over the mailbox concurrency limit. */
  applicationThrottled(pattern: RequestPattern, options: FaultScope & { retryAfterSeconds?: number } = {}) {
    return this.throttle(pattern, {
      ...options,
      code: 'ApplicationThrottled',
      message: 'Application is over its MailboxConcurrency limit.',
    });
  }

  /** 503 `serviceNotAvailable`, with `Retry-After` only when given (contract section 6). */
  serviceUnavailable(pattern: RequestPattern, options: FaultScope & { retryAfterSeconds?: number } = {}) {
    return this.preset(
      pattern,
      {
        status: 503,
        code: 'serviceNotAvailable',
        message: 'The service is temporarily unavailable. Please try again later.',
        ...(options.retryAfterSeconds !== undefined && { retryAfterSeconds: options.retryAfterSeconds }),
      },
      options,
    );
  }

  /** 504 Gateway Timeout (large listing pages, contract section 4), `Retry-After` only when given. */
  gatewayTimeout(pattern: RequestPattern, options: FaultScope & { retryAfterSeconds?: number } = {}) {
    return this.preset(
      pattern,
      {
        status: 504,
        code: 'UnknownError',
        message: 'The request timed out.',
        ...(options.retryAfterSeconds !== undefined && { retryAfterSeconds: options.retryAfterSeconds }),
      },
      options,
    );
  }

  /** 401 `InvalidAuthenticationToken` although the token is valid (as if it had just expired). */
  invalidToken(pattern: RequestPattern, options: FaultScope = {}): FaultHandle {
    return this.preset(
      pattern,
      {
        status: 401,
        code: 'InvalidAuthenticationToken',
        message: 'Lifetime validation failed, the token is expired.',
      },
      options,
    );
  }

  /** Matching requests take `ms` longer (default: all of them, until cancelled). */
  delay(pattern: RequestPattern, ms: number, scope: FaultScope = {}): FaultHandle {
    return this.handle(this.add({ kind: 'delay', pattern, delayMs: ms }, { times: Infinity, ...scope }));
  }

  /**
   * Matching requests wait until the test releases them (default: all, until cancelled): the way to
   * have several requests in flight at once and watch what the client does meanwhile.
   */
  hold(pattern: RequestPattern, scope: FaultScope = {}): HeldRequests {
    const rule = this.add({ kind: 'hold', pattern, held: [], onHold: [] }, { times: Infinity, ...scope });
    const base = this.handle(rule);
    return {
      get hits() {
        return base.hits;
      },
      get remaining() {
        return base.remaining;
      },
      cancel: base.cancel,
      get waiting() {
        return rule.held!.length;
      },
      waitUntilHeld: (count, timeoutMs = 5000) =>
        new Promise<void>((resolve, reject) => {
          if (rule.held!.length >= count) return resolve();
          const timer = setTimeout(
            () => reject(new Error(`${rule.held!.length} of ${count} requests held after ${timeoutMs} ms`)),
            timeoutMs,
          );
          const check = () => {
            if (rule.held!.length < count) return;
            clearTimeout(timer);
            rule.onHold = rule.onHold!.filter((listener) => listener !== check);
            resolve();
          };
          rule.onHold!.push(check);
        }),
      release: (count) => {
        for (const release of rule.held!.splice(0, count ?? rule.held!.length)) release();
      },
    };
  }

  /**
   * The next `times` pages of a matching list (or delta) answer `value: []` with a nextLink that goes on
   * where the page would have started (contract section 3: "a page may be empty").
   */
  emptyPage(pattern: RequestPattern, scope: FaultScope = {}): FaultHandle {
    return this.handle(this.add({ kind: 'emptyPage', pattern }, scope));
  }

  /** Every access token issued so far is expired: Graph answers 401 InvalidAuthenticationToken. */
  expireAllTokens(): void {
    this.hooks.expireAllTokens();
  }

  expireToken(accessToken: string): void {
    this.hooks.expireToken(accessToken);
  }

  /**
   * Every delta and skip token handed out so far is stale: following a deltaLink (or a nextLink of a
   * delta round) answers as `answer` says (default 410 Gone, code syncStateNotFound, with Location).
   */
  expireDeltaTokens(answer: DeltaExpiryAnswer = {}): void {
    this.hooks.expireDeltaTokens(answer);
  }

  /** Removes every rule and releases held requests. */
  clear(): void {
    for (const rule of this.rules) for (const release of rule.held?.splice(0) ?? []) release();
    this.rules = [];
  }

  private take(kind: Rule['kind'], request: RecordedRequest): Rule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.kind === kind &&
        r.remaining > 0 &&
        r.server === request.server &&
        (r.method === undefined || r.method === request.method) &&
        matchesPattern(r.pattern, request),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    rule.hits += 1;
    if (rule.remaining <= 0 && rule.kind !== 'hold') this.rules = this.rules.filter((r) => r !== rule);
    return rule;
  }

  /** Used by the servers: the programmed answer for this request, if any (consumes it). */
  takeAnswer(request: RecordedRequest): FaultAnswer | undefined {
    return this.take('answer', request)?.answer;
  }

  takeEmptyPage(request: RecordedRequest): boolean {
    return this.take('emptyPage', request) !== undefined;
  }

  /** Used by the servers: waits as delay and hold rules say. */
  async applyTiming(request: RecordedRequest): Promise<void> {
    const delay = this.take('delay', request);
    if (delay?.delayMs) await new Promise((resolve) => setTimeout(resolve, delay.delayMs));
    const hold = this.take('hold', request);
    if (hold) {
      await new Promise<void>((resolve) => {
        hold.held!.push(resolve);
        for (const listener of [...hold.onHold!]) listener();
      });
    }
  }
}

/** How a stale delta token answers (contract sections 3 and 4 allow each of these). */
export interface DeltaExpiryAnswer {
  /** Default 410. */
  status?: number;
  /** Default `syncStateNotFound`; also `resyncRequired`, `ErrorSyncStateNotFound`. */
  code?: string;
  /** Whether a `Location` header points at a fresh full sync (default true). */
  location?: boolean;
}
