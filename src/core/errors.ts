/**
 * The small set of error classes every layer throws. Adapters map them once:
 * HTTP status codes in the Fastify error plugin, SMTP/POP3 replies in the protocol servers,
 * exit codes and messages in the CLI.
 */
export class PostvaultError extends Error {
  override name = 'PostvaultError';
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class NotFoundError extends PostvaultError {
  override name = 'NotFoundError';
}

export class ForbiddenError extends PostvaultError {
  override name = 'ForbiddenError';
}

export class ConflictError extends PostvaultError {
  override name = 'ConflictError';
}

export class ValidationError extends PostvaultError {
  override name = 'ValidationError';
}

/** A ValidationError about one input field, in the shape the API reports (`details.issues`). */
export function invalidField(path: string, message: string): never {
  throw new ValidationError(message, { issues: [{ path, message }] });
}

/** Worth retrying later: a full disk, a locked database, an unreachable peer. */
export class TemporaryError extends PostvaultError {
  override name = 'TemporaryError';
}

/** Stored data failed an authenticity or checksum test: never hand out what we read. */
export class IntegrityError extends PostvaultError {
  override name = 'IntegrityError';
}

/** The master key cannot open this data folder's keys. */
export class KeyError extends PostvaultError {
  override name = 'KeyError';
}

/** No valid session, or wrong credentials. */
export class UnauthenticatedError extends PostvaultError {
  override name = 'UnauthenticatedError';
}

/** Too many attempts: try again after `retryAfterSeconds`. */
export class RateLimitedError extends PostvaultError {
  override name = 'RateLimitedError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, { retryAfterSeconds });
  }
}
