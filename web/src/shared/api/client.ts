// No imports: test/web/api-client.test.ts runs this file under Node as it is.

/** The body of every error answer. */
export interface ErrorBody {
  statusCode?: number;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

export interface ValidationIssue {
  path: string | Array<string | number>;
  message: string;
}

/** An error answer from the API (or a network failure, status 0 and code NETWORK). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Seconds to wait after a 429, from details.retryAfterSeconds. */
  get retryAfterSeconds(): number | null {
    const value = this.details.retryAfterSeconds;
    return typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.ceil(value)) : null;
  }

  get issues(): ValidationIssue[] {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as ValidationIssue[]) : [];
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  /** Sign-in is the one state-changing request that carries no CSRF token. */
  withoutCsrf?: boolean;
  /**
   * The request is a sign-in: its 401 says the credentials (or the code) were not accepted, not that
   * a session was lost, so `onUnauthenticated` is not called.
   */
  signIn?: boolean;
  signal?: AbortSignal;
}

export interface ApiClientOptions {
  /** The csrfToken of the current session, read at request time. */
  csrfToken: () => string | undefined;
  /** Called when a request other than sign-in answers 401 UNAUTHENTICATED: the session is gone. */
  onUnauthenticated?: () => void;
}

export type ApiClient = <T>(path: string, options?: RequestOptions) => Promise<T>;

export function buildUrl(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  return async function request<T>(path: string, req: RequestOptions = {}): Promise<T> {
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    if (STATE_CHANGING.has(method) && !req.withoutCsrf) {
      const token = options.csrfToken();
      if (token) headers['x-csrf-token'] = token;
    }
    let response: Response;
    try {
      response = await fetch(buildUrl(path, req.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: req.signal,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'NETWORK', cause instanceof Error ? cause.message : String(cause));
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (!response.ok) {
      const error = toApiError(response, body, text);
      if (error.status === 401 && error.code === 'UNAUTHENTICATED' && !req.signIn) {
        options.onUnauthenticated?.();
      }
      throw error;
    }
    return body as T;
  };
}

function toApiError(response: Response, body: unknown, text: string): ApiError {
  const errorBody = (body && typeof body === 'object' ? body : {}) as ErrorBody;
  const details = { ...(errorBody.details ?? {}) };
  if (response.status === 429 && typeof details.retryAfterSeconds !== 'number') {
    const header = Number(response.headers.get('retry-after'));
    if (Number.isFinite(header)) details.retryAfterSeconds = header;
  }
  return new ApiError(
    response.status,
    errorBody.code ?? fallbackCode(response.status),
    errorBody.message ?? (text.slice(0, 300) || response.statusText),
    details,
  );
}

function fallbackCode(status: number): string {
  switch (status) {
    case 400:
      return 'VALIDATION';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 429:
      return 'RATE_LIMITED';
    case 503:
      return 'TEMPORARY';
    default:
      return 'INTERNAL';
  }
}
