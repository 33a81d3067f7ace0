/**
 * The HTTP plumbing both fakes share: a server on 127.0.0.1 with a random free port that records
 * every request (with its raw body) before handing it to the fake's handler, and records the answer.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FakeClock } from './model.js';

export type FakeServerName = 'login' | 'graph';

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One request as the fake received it. `requests` holds them in order of arrival. */
export interface RecordedRequest {
  /** 1, 2, 3, ... over both servers. */
  seq: number;
  server: FakeServerName;
  method: string;
  /** The absolute URL as requested. */
  url: string;
  /**
   * The path relative to the server's base, each segment percent-decoded: `/users/bob@contoso.com/sendMail`
   * for Graph (without `/v1.0`), `/contoso.com/oauth2/v2.0/token` for the login server.
   */
  path: string;
  /** The path as sent, still encoded and with the base. */
  rawPath: string;
  /** Query parameters, decoded (the last value wins when one repeats; see `searchParams`). */
  query: Record<string, string>;
  searchParams: URLSearchParams;
  /** Lower-cased header names, as Node gives them. */
  headers: IncomingHttpHeaders;
  /** The exact bytes of the body. */
  body: Buffer;
  /** The body as UTF-8 text. */
  text: string;
  /** The parsed body when it was JSON (`Content-Type: application/json`) and parsed. */
  json: unknown;
  /** The parsed body when it was `application/x-www-form-urlencoded`. */
  form: Record<string, string> | undefined;
  /** When it arrived, in the fakes' clock (ms). */
  receivedAt: number;
  /** Filled in when the fake has answered. */
  response: RecordedResponse | undefined;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface RunningServer {
  origin: string;
  close(): Promise<void>;
}

function decodePath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

export async function startRecordingServer(options: {
  server: FakeServerName;
  /** `/v1.0` for Graph: `path` is recorded relative to it. */
  basePath: string;
  clock: FakeClock;
  log: RecordedRequest[];
  nextSeq: () => number;
  handle: (request: RecordedRequest) => Promise<FakeResponse>;
}): Promise<RunningServer> {
  let origin = '';
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    void (async () => {
      const body = await readBody(incoming);
      const url = new URL(incoming.url ?? '/', origin);
      const rawPath = url.pathname;
      const relative =
        options.basePath && (rawPath === options.basePath || rawPath.startsWith(`${options.basePath}/`))
          ? rawPath.slice(options.basePath.length)
          : rawPath;
      const contentType = String(incoming.headers['content-type'] ?? '').toLowerCase();
      const text = body.toString('utf8');
      let parsedJson: unknown;
      if (contentType.includes('json') && body.length > 0) {
        try {
          parsedJson = JSON.parse(text);
        } catch {
          parsedJson = undefined;
        }
      }
      const recorded: RecordedRequest = {
        seq: options.nextSeq(),
        server: options.server,
        method: incoming.method ?? 'GET',
        url: url.href,
        path: decodePath(relative) || '/',
        rawPath,
        query: Object.fromEntries(url.searchParams),
        searchParams: url.searchParams,
        headers: incoming.headers,
        body,
        text,
        json: parsedJson,
        form: contentType.includes('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(text))
          : undefined,
        receivedAt: options.clock.now(),
        response: undefined,
      };
      options.log.push(recorded);
      let answer: FakeResponse;
      try {
        answer = await options.handle(recorded);
      } catch (error) {
        // A bug in the fake, not an answer Microsoft would give: make it loud.
        answer = {
          status: 500,
          headers: { 'content-type': 'text/plain' },
          body: `fake failed: ${String(error)}`,
        };
      }
      const responseBody = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body);
      const headers = { ...answer.headers, 'content-length': String(responseBody.length) };
      recorded.response = { status: answer.status, headers, body: responseBody };
      outgoing.writeHead(answer.status, headers);
      outgoing.end(responseBody);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
