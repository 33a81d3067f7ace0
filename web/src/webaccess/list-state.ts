import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import type { ListCriteria, SortField, SortOrder } from './webaccess.api';

/**
 * Everything a search is lives in the address (so it can be bookmarked, shared and reloaded):
 *   /webaccess?q=…&mailboxId=…&folderId=…&sort=…&order=…&message=…
 * Defaults are left out: newest first, every readable mailbox, no search, no message open.
 */
export interface ListState extends ListCriteria {
  /** The message open in the reading pane. */
  message: number | null;
}

export const DEFAULT_SORT: SortField = 'date';
const SORTS: readonly SortField[] = ['date', 'from', 'subject', 'size'];

/** The order a column starts with when it is chosen: dates and sizes biggest first, text A to Z. */
export const defaultOrder = (sort: SortField): SortOrder =>
  sort === 'date' || sort === 'size' ? 'desc' : 'asc';

const id = (value: string | null): number | null => {
  if (value === null || !/^\d{1,15}$/.test(value)) return null;
  const number = Number(value);
  return number > 0 ? number : null;
};

export function parseListState(params: URLSearchParams): ListState {
  const sortParam = params.get('sort');
  const sort = SORTS.includes(sortParam as SortField) ? (sortParam as SortField) : DEFAULT_SORT;
  const orderParam = params.get('order');
  const order: SortOrder = orderParam === 'asc' || orderParam === 'desc' ? orderParam : defaultOrder(sort);
  const mailboxId = id(params.get('mailboxId'));
  return {
    q: params.get('q') ?? '',
    mailboxId,
    // A folder belongs to a mailbox: without one, the folder is ignored.
    folderId: mailboxId === null ? null : id(params.get('folderId')),
    sort,
    order,
    message: id(params.get('message')),
  };
}

export function listSearchParams(state: ListState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.q.trim()) params.set('q', state.q.trim());
  if (state.mailboxId !== null) params.set('mailboxId', String(state.mailboxId));
  if (state.mailboxId !== null && state.folderId !== null) params.set('folderId', String(state.folderId));
  if (state.sort !== DEFAULT_SORT) params.set('sort', state.sort);
  if (state.order !== defaultOrder(state.sort)) params.set('order', state.order);
  if (state.message !== null) params.set('message', String(state.message));
  return params;
}

/** "?q=…" for a link to the list in that state ("" when everything is default). */
export function listSearch(state: ListState): string {
  const text = listSearchParams(state).toString();
  return text ? `?${text}` : '';
}

export const BASE = '/webaccess';

/** The list page's address in that state. */
export const listHref = (state: ListState) => `${BASE}${listSearch(state)}`;

/** A message's own page, keeping the search (its words are highlighted there too). */
export function messageHref(id: number, state: ListState): string {
  return `${BASE}/messages/${id}${listSearch({ ...state, message: null })}`;
}

/** The list state in the address, and a way to change it (each change is a history entry). */
export function useListState() {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => parseListState(params), [params]);
  const update = useCallback(
    (change: Partial<ListState>, options: { replace?: boolean } = {}) => {
      setParams((current) => listSearchParams({ ...parseListState(current), ...change }), options);
    },
    [setParams],
  );
  return [state, update] as const;
}

/** "Mailbox / Inbox/Projects", or the mailbox alone for its top level. */
export const locationText = (mailbox: string, folder: string) =>
  folder ? `${mailbox} / ${folder}` : mailbox;
