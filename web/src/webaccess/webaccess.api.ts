import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, buildUrl, type ErrorBody } from '../shared/api/client';
import type { Role } from '../shared/api/types';
import { endSession, useApi } from '../shared/session/realm-context';

// Shapes of docs/api-contract.md, section "Web Access". Timestamps are epoch milliseconds.

export const WEBACCESS_API = '/api/v1/webaccess';

export interface Folder {
  id: number;
  /** "Inbox/Projects" */
  path: string;
  name: string;
  parentId: number | null;
  messageCount: number;
}

export type ArchiveMailboxKind = 'user' | 'journal' | 'shared';

export interface ArchiveMailbox {
  id: number;
  name: string;
  kind: ArchiveMailboxKind;
  messageCount: number;
  /** Flat, sorted by path; `parentId` builds the tree. */
  folders: Folder[];
}

export interface Mailboxes {
  mine: ArchiveMailbox[];
  shared: ArchiveMailbox[];
  /** Compliance only: every other mailbox of the tenant. */
  others: ArchiveMailbox[];
}

export interface MessageRow {
  id: number;
  mailboxId: number;
  mailbox: string;
  folderId: number;
  folder: string;
  date: number | null;
  from: string;
  fromName: string;
  /** The first recipient, in display form. */
  to: string;
  subject: string;
  size: number;
  hasAttachments: boolean;
  /** The subject with «…» around matched terms, when the search has terms. */
  subjectMarked: string | null;
}

export interface MessagePage {
  results: MessageRow[];
  nextCursor: string | null;
  terms: string[];
}

export interface Address {
  name: string;
  address: string;
}

export interface Attachment {
  index: number;
  filename: string;
  contentType: string;
  size: number;
  contentId: string | null;
  inline: boolean;
}

export type EnvelopeRecipientKind = 'to' | 'cc' | 'bcc' | 'recipient';

export interface Envelope {
  sender: string;
  onBehalfOf: string | null;
  firstReceivedAt: number | null;
  lastReceivedAt: number | null;
  reports: number;
  recipients: Array<{
    address: string;
    kind: EnvelopeRecipientKind;
    expandedFrom: string | null;
    forwardedFrom: string | null;
  }>;
}

export interface MessageDetail {
  id: number;
  mailboxId: number;
  mailbox: string;
  folderId: number;
  folder: string;
  date: number | null;
  archivedAt: number;
  messageId: string | null;
  from: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  subject: string;
  size: number;
  sha256: string;
  text: string;
  textMarked: string | null;
  hasHtml: boolean;
  hasExternalContent: boolean;
  attachments: Attachment[];
  envelope: Envelope | null;
  problems: string[];
  owned: boolean;
}

export type ExportFormat = 'zip' | 'mbox';

export interface ExportStatus {
  id: string | number;
  format: ExportFormat;
  status: 'ready' | 'running' | 'done' | 'failed';
  messages: number;
  written: number;
  bytes: number;
  bytesWritten: number;
  error: string | null;
}

export interface ExportRequest {
  format: ExportFormat;
  messageIds?: number[];
  search?: { q: string; mailboxId?: number; folderId?: number };
}

export interface Me {
  email: string | null;
  roles: Role[];
}

export interface SendingAvailability {
  available: boolean;
  reason: string | null;
}

export type SortField = 'date' | 'from' | 'subject' | 'size';
export type SortOrder = 'asc' | 'desc';

/** What the message list shows: the search and where it looks, and its order. */
export interface ListCriteria {
  q: string;
  mailboxId: number | null;
  folderId: number | null;
  sort: SortField;
  order: SortOrder;
}

/** Every cached answer of Web Access lives below this key (dropped on sign-out). */
export const webaccessKeys = {
  all: ['webaccess'] as const,
  mailboxes: ['webaccess', 'mailboxes'] as const,
  me: ['webaccess', 'me'] as const,
  availability: ['webaccess', 'sending-availability'] as const,
  messages: (criteria: ListCriteria) => ['webaccess', 'messages', criteria] as const,
  message: (id: number, q: string) => ['webaccess', 'message', id, q] as const,
  source: (id: number) => ['webaccess', 'source', id] as const,
  searchHelp: ['webaccess', 'search-help'] as const,
  export: (id: string | number) => ['webaccess', 'export', String(id)] as const,
};

/** Rows asked for per page of the message list. */
export const PAGE_SIZE = 200;
/** How often a running export is asked for its progress. */
export const EXPORT_POLL_MS = 500;
/** How often Web Access asks whether Resend is available (and on window focus). */
export const AVAILABILITY_POLL_MS = 60_000;
/** "Show source" shows at most this many bytes; the EML download has them all. */
export const SOURCE_DISPLAY_LIMIT = 2 * 1024 * 1024;

// Addresses the browser opens itself (downloads, the HTML frame): never fetched into memory.
export const messageUrls = (id: number) => ({
  html: (external: boolean) => `${WEBACCESS_API}/messages/${id}/html${external ? '?external=1' : ''}`,
  part: (index: number) => `${WEBACCESS_API}/messages/${id}/parts/${index}`,
  eml: `${WEBACCESS_API}/messages/${id}/eml`,
  source: `${WEBACCESS_API}/messages/${id}/source`,
});
export const exportDownloadUrl = (id: string | number) =>
  `${WEBACCESS_API}/exports/${encodeURIComponent(String(id))}/download`;

export function useMailboxes() {
  const api = useApi();
  return useQuery({
    queryKey: webaccessKeys.mailboxes,
    queryFn: ({ signal }) => api<Mailboxes>(`${WEBACCESS_API}/mailboxes`, { signal }),
    staleTime: 60_000,
  });
}

export function useMe() {
  const api = useApi();
  return useQuery({
    queryKey: webaccessKeys.me,
    queryFn: ({ signal }) => api<Me>(`${WEBACCESS_API}/me`, { signal }),
    staleTime: 5 * 60_000,
  });
}

/** The message list, page by page as the user scrolls (cursor paging). */
export function useMessageList(criteria: ListCriteria) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: webaccessKeys.messages(criteria),
    queryFn: ({ pageParam, signal }) =>
      api<MessagePage>(`${WEBACCESS_API}/messages`, {
        signal,
        query: {
          q: criteria.q.trim(),
          mailboxId: criteria.mailboxId,
          folderId: criteria.folderId,
          sort: criteria.sort,
          order: criteria.order,
          cursor: pageParam,
          limit: PAGE_SIZE,
        },
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Archived mail does not change, and a refetch would ask again for every page scrolled through.
    staleTime: 5 * 60_000,
  });
}

export function useMessage(id: number | null, q: string) {
  const api = useApi();
  return useQuery({
    queryKey: webaccessKeys.message(id ?? 0, q.trim()),
    queryFn: ({ signal }) =>
      api<MessageDetail>(`${WEBACCESS_API}/messages/${id}`, { signal, query: { q: q.trim() } }),
    enabled: id !== null,
    staleTime: 5 * 60_000,
  });
}

/**
 * Resend is possible now, or why not. Asked every minute and when the window regains focus, so the
 * action turns on by itself once an administrator sets up sending.
 */
export function useSendingAvailability() {
  const api = useApi();
  return useQuery({
    queryKey: webaccessKeys.availability,
    queryFn: ({ signal }) => api<SendingAvailability>('/api/v1/sending/availability', { signal }),
    refetchInterval: AVAILABILITY_POLL_MS,
    refetchOnWindowFocus: true,
    staleTime: 0,
  });
}

export function useResend(messageId: number) {
  const api = useApi();
  return useMutation({
    mutationFn: (to: string | undefined) =>
      api<{ id: number; to: string }>(`/api/v1/messages/${messageId}/resend`, {
        method: 'POST',
        body: to ? { to } : {},
      }),
  });
}

export function useCreateExport() {
  const api = useApi();
  return useMutation({
    mutationFn: (body: ExportRequest) =>
      api<ExportStatus>(`${WEBACCESS_API}/exports`, { method: 'POST', body }),
  });
}

const finished = (status: ExportStatus | undefined) =>
  status?.status === 'done' || status?.status === 'failed';

/** An export's progress, asked every half second until it is done or failed. */
export function useExportStatus(id: string | number, initial: ExportStatus) {
  const api = useApi();
  return useQuery({
    queryKey: webaccessKeys.export(id),
    queryFn: ({ signal }) =>
      api<ExportStatus>(`${WEBACCESS_API}/exports/${encodeURIComponent(String(id))}`, { signal }),
    initialData: initial,
    initialDataUpdatedAt: 0,
    refetchInterval: (query) => (finished(query.state.data) ? false : EXPORT_POLL_MS),
    refetchIntervalInBackground: true,
    staleTime: 0,
    retry: 3,
  });
}

/**
 * A text answer (search help, message source). The JSON client would try to parse it, so these go
 * through fetch directly; errors still become ApiErrors, and a lost session ends it as elsewhere.
 */
function useTextFetch() {
  const queryClient = useQueryClient();
  return async (
    path: string,
    options: { signal?: AbortSignal; limit?: number } = {},
  ): Promise<{ text: string; truncated: boolean; bytes: number }> => {
    let response: Response;
    try {
      response = await fetch(buildUrl(path), {
        credentials: 'same-origin',
        headers: { accept: 'text/plain, text/markdown, application/json' },
        signal: options.signal,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'NETWORK', cause instanceof Error ? cause.message : String(cause));
    }
    if (!response.ok) {
      const text = await response.text();
      let body: ErrorBody = {};
      try {
        body = JSON.parse(text) as ErrorBody;
      } catch {
        // Not JSON: the status line says enough.
      }
      const error = new ApiError(
        response.status,
        body.code ??
          (response.status === 401 ? 'UNAUTHENTICATED' : response.status === 404 ? 'NOT_FOUND' : 'INTERNAL'),
        body.message ?? (text.slice(0, 300) || response.statusText),
        body.details ?? {},
      );
      if (error.status === 401) endSession(queryClient, 'tenant');
      throw error;
    }
    return readText(response, options.limit);
  };
}

/** Reads a text body, at most `limit` bytes of it (the rest is not downloaded). */
async function readText(
  response: Response,
  limit = Number.POSITIVE_INFINITY,
): Promise<{ text: string; truncated: boolean; bytes: number }> {
  const declared = Number(response.headers.get('content-length'));
  if (!response.body || !Number.isFinite(limit)) {
    const text = await response.text();
    return {
      text,
      truncated: false,
      bytes: Number.isFinite(declared) && declared > 0 ? declared : text.length,
    };
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = limit - received;
    if (value.byteLength > room) {
      chunks.push(value.subarray(0, room));
      received += room;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    received += value.byteLength;
  }
  const all = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  // A cut may split a multi-byte character: the decoder shows it as one replacement character.
  const text = new TextDecoder('utf-8').decode(all);
  return { text, truncated, bytes: Number.isFinite(declared) && declared > 0 ? declared : received };
}

export function useMessageSource(id: number) {
  const fetchText = useTextFetch();
  return useQuery({
    queryKey: webaccessKeys.source(id),
    queryFn: ({ signal }) => fetchText(messageUrls(id).source, { signal, limit: SOURCE_DISPLAY_LIMIT }),
    staleTime: 5 * 60_000,
    gcTime: 30_000,
  });
}

export function useSearchHelp(enabled: boolean) {
  const fetchText = useTextFetch();
  return useQuery({
    queryKey: webaccessKeys.searchHelp,
    queryFn: ({ signal }) => fetchText(`${WEBACCESS_API}/help/search`, { signal }),
    enabled,
    staleTime: Number.POSITIVE_INFINITY,
  });
}
