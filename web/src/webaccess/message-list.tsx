import { Button, Center, Checkbox, Loader, Text, UnstyledButton } from '@mantine/core';
import {
  IconArrowDown,
  IconArrowUp,
  IconArrowsSort,
  IconPaperclip,
  IconSearchOff,
} from '@tabler/icons-react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { isApiError } from '../shared/api/client';
import { EmptyState } from '../shared/components/empty-state';
import { ErrorAlert } from '../shared/components/error-alert';
import { LoadingState } from '../shared/components/loading-state';
import { formatBytes } from '../shared/format';
import { defaultOrder, listHref, locationText, type ListState } from './list-state';
import { MarkedText } from './marked-text';
import type { MessageRow, SortField, useMessageList } from './webaccess.api';

export const ROW_HEIGHT = 38;
/** Fetch the next page when the last rendered row is this close to the end of what is loaded. */
const PREFETCH_ROWS = 40;

export type MessageListQuery = ReturnType<typeof useMessageList>;

interface MessageListProps {
  query: MessageListQuery;
  rows: MessageRow[];
  state: ListState;
  selected: ReadonlySet<number>;
  onToggle: (id: number) => void;
  onToggleAll: (select: boolean) => void;
  onSort: (sort: SortField) => void;
}

/**
 * The results: a header row that sorts, then only the rows in view (tens of thousands scroll
 * smoothly). The next page is asked for while the user nears the end of what is loaded. Each row's
 * subject is a link that opens the message in the reading pane; ↑ and ↓ move between rows.
 */
export function MessageList(props: MessageListProps) {
  const { query, rows, state, selected, onToggle, onToggleAll, onSort } = props;
  const { t } = useTranslation();
  const scrollRef = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage } = query;
  const count = rows.length + (hasNextPage || isFetchNextPageError ? 1 : 0);

  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const formats = useRowFormats();
  const lastIndex = items.length > 0 ? items[items.length - 1]!.index : -1;

  useEffect(() => {
    if (lastIndex < 0 || !hasNextPage || isFetchingNextPage || isFetchNextPageError) return;
    if (lastIndex >= rows.length - PREFETCH_ROWS) void fetchNextPage();
  }, [lastIndex, rows.length, hasNextPage, isFetchingNextPage, isFetchNextPageError, fetchNextPage]);

  // The row a key press is moving to, while it is not rendered yet (fast key repeat builds on it).
  const pendingFocus = useRef<number | null>(null);
  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(rows.length - 1, index));
    virtualizer.scrollToIndex(target, { align: 'auto' });
    const find = () =>
      scrollRef.current?.querySelector<HTMLElement>(`[data-row-index="${target}"] .pv-wa-row-link`);
    const link = find();
    if (link) {
      pendingFocus.current = null;
      link.focus();
      return;
    }
    // Not rendered yet: look for it in the next frames, once the scroll has rendered it.
    pendingFocus.current = target;
    let tries = 0;
    const attempt = () => {
      if (pendingFocus.current !== target) return;
      const found = find();
      if (found) {
        pendingFocus.current = null;
        found.focus();
      } else if (tries++ < 10) requestAnimationFrame(attempt);
      else pendingFocus.current = null;
    };
    requestAnimationFrame(attempt);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const row = (event.target as HTMLElement).closest<HTMLElement>('[data-row-index]');
    if (!row) return;
    const index = pendingFocus.current ?? Number(row.dataset.rowIndex);
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + page,
      PageUp: index - page,
      Home: 0,
      End: rows.length - 1,
    };
    const next = moves[event.key];
    if (next === undefined || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    focusRow(next);
  };

  const allSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const someSelected = !allSelected && rows.some((row) => selected.has(row.id));

  if (query.isPending) return <LoadingState />;
  if (query.isError) {
    const unreadable = isApiError(query.error, 'VALIDATION') && state.q.trim() !== '';
    return (
      <div className="pv-wa-list-message">
        <ErrorAlert
          error={query.error}
          title={unreadable ? t('webaccess.search.invalid') : undefined}
          onRetry={unreadable ? undefined : () => void query.refetch()}
          focus={false}
        />
      </div>
    );
  }
  if (rows.length === 0) {
    const searching = state.q.trim() !== '';
    return (
      <div className="pv-wa-list-message">
        <EmptyState
          icon={searching ? <IconSearchOff size={28} /> : undefined}
          title={searching ? t('webaccess.list.noResults') : t('webaccess.list.empty')}
          description={searching ? t('webaccess.list.noResultsHint') : undefined}
        />
      </div>
    );
  }

  return (
    <div
      className="pv-wa-list"
      role="table"
      aria-label={t('webaccess.list.label')}
      aria-rowcount={hasNextPage ? -1 : rows.length + 1}
      data-testid="message-list"
      data-rows={rows.length}
    >
      <div role="rowgroup" className="pv-wa-list-head">
        <div role="row" aria-rowindex={1} className="pv-wa-row pv-wa-row-head">
          <div role="columnheader" className="pv-wa-cell pv-wa-cell-check">
            <Checkbox
              size="xs"
              aria-label={t('webaccess.list.selectAll')}
              checked={allSelected}
              indeterminate={someSelected}
              onChange={(event) => onToggleAll(event.currentTarget.checked)}
            />
          </div>
          <div role="columnheader" className="pv-wa-cell pv-wa-cell-icon">
            <IconPaperclip size={14} aria-hidden />
            <span className="pv-visually-hidden">{t('webaccess.list.attachment')}</span>
          </div>
          <SortHeader field="from" label={t('webaccess.list.from')} state={state} onSort={onSort} />
          <SortHeader field="subject" label={t('webaccess.list.subject')} state={state} onSort={onSort} />
          <SortHeader field="date" label={t('webaccess.list.date')} state={state} onSort={onSort} />
          <SortHeader
            field="size"
            label={t('webaccess.list.size')}
            state={state}
            onSort={onSort}
            align="right"
          />
        </div>
      </div>
      <div ref={scrollRef} className="pv-wa-list-scroll" role="rowgroup" onKeyDown={onKeyDown}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const row = rows[item.index];
            const style = { height: item.size, transform: `translateY(${item.start}px)` };
            if (!row) {
              return (
                <div key="more" role="row" className="pv-wa-row pv-wa-row-more" style={style}>
                  <div role="cell" className="pv-wa-cell">
                    {isFetchNextPageError ? (
                      <Button
                        size="compact-xs"
                        variant="light"
                        color="red"
                        onClick={() => void fetchNextPage()}
                      >
                        {t('webaccess.list.loadMoreFailed')}
                      </Button>
                    ) : (
                      <Center>
                        <Loader size="xs" aria-hidden />
                        <Text size="xs" c="dimmed" ml="xs">
                          {t('webaccess.list.loadingMore')}
                        </Text>
                      </Center>
                    )}
                  </div>
                </div>
              );
            }
            return (
              <Row
                key={row.id}
                row={row}
                index={item.index}
                start={item.start}
                size={item.size}
                formats={formats}
                state={state}
                open={state.message === row.id}
                selected={selected.has(row.id)}
                onToggle={onToggle}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

function isToday(ms: number): boolean {
  const day = new Date(ms);
  const now = new Date();
  return (
    day.getFullYear() === now.getFullYear() &&
    day.getMonth() === now.getMonth() &&
    day.getDate() === now.getDate()
  );
}

function SortHeader(props: {
  field: SortField;
  label: string;
  state: ListState;
  onSort: (sort: SortField) => void;
  align?: 'right';
}) {
  const { field, label, state, onSort, align } = props;
  const { t } = useTranslation();
  const active = state.sort === field;
  const Icon = !active ? IconArrowsSort : state.order === 'asc' ? IconArrowUp : IconArrowDown;
  const next = active ? (state.order === 'asc' ? 'desc' : 'asc') : defaultOrder(field);
  return (
    <div
      role="columnheader"
      aria-sort={active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none'}
      className={`pv-wa-cell pv-wa-cell-${field}`}
      data-align={align}
    >
      <UnstyledButton
        className="pv-wa-sort"
        onClick={() => onSort(field)}
        title={
          next === 'asc'
            ? t('webaccess.list.sortAsc', { column: label })
            : t('webaccess.list.sortDesc', { column: label })
        }
        data-testid={`sort-${field}`}
      >
        <span>{label}</span>
        <Icon size={14} aria-hidden className={active ? undefined : 'pv-wa-sort-idle'} />
      </UnstyledButton>
    </div>
  );
}

/** Formatting for every row, made once per list (Intl formatters are costly to create). */
function useRowFormats() {
  const { i18n } = useTranslation();
  const language = i18n.language;
  return useMemo(() => {
    const day = new Intl.DateTimeFormat(language, { dateStyle: 'medium' });
    const time = new Intl.DateTimeFormat(language, { timeStyle: 'short' });
    const full = new Intl.DateTimeFormat(language, { dateStyle: 'full', timeStyle: 'short' });
    return {
      /** Today's messages show their time, older ones their day (the tooltip has both). */
      short: (ms: number) => (isToday(ms) ? time : day).format(ms),
      full: (ms: number) => full.format(ms),
      bytes: (value: number) => formatBytes(value, language),
    };
  }, [language]);
}

type RowFormats = ReturnType<typeof useRowFormats>;

interface RowProps {
  row: MessageRow;
  index: number;
  start: number;
  size: number;
  formats: RowFormats;
  state: ListState;
  open: boolean;
  selected: boolean;
  onToggle: (id: number) => void;
}

/** One result; memoized, so that scrolling renders only the rows that come into view. */
const Row = memo(function Row(props: RowProps) {
  const { row, index, start, size, formats, state, open, selected, onToggle } = props;
  const { t } = useTranslation();
  const subject = row.subject.trim() ? row.subject : t('webaccess.noSubject');
  const sender = row.fromName.trim() || row.from;
  const date = row.date;
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className="pv-wa-row"
      style={{ height: size, transform: `translateY(${start}px)` }}
      data-row-index={index}
      data-open={open || undefined}
      data-selected={selected || undefined}
      data-testid="message-row"
      data-message-id={row.id}
    >
      <div role="cell" className="pv-wa-cell pv-wa-cell-check">
        <Checkbox
          size="xs"
          className="pv-wa-row-check"
          aria-label={t('webaccess.list.select', { subject })}
          checked={selected}
          onChange={() => onToggle(row.id)}
        />
      </div>
      <div role="cell" className="pv-wa-cell pv-wa-cell-icon">
        {row.hasAttachments && (
          <>
            <IconPaperclip size={14} aria-hidden />
            <span className="pv-visually-hidden">{t('webaccess.list.hasAttachments')}</span>
          </>
        )}
      </div>
      <div role="cell" className="pv-wa-cell pv-wa-cell-from" title={row.from}>
        {sender}
      </div>
      <div role="cell" className="pv-wa-cell pv-wa-cell-subject">
        <Link
          to={listHref({ ...state, message: row.id })}
          replace={state.message !== null}
          className="pv-wa-row-link"
          aria-current={open ? 'true' : undefined}
          title={locationText(row.mailbox, row.folder)}
        >
          {row.subjectMarked && row.subject.trim() ? <MarkedText value={row.subjectMarked} /> : subject}
        </Link>
      </div>
      <div
        role="cell"
        className="pv-wa-cell pv-wa-cell-date"
        title={date === null ? undefined : formats.full(date)}
      >
        {date === null ? '—' : formats.short(date)}
      </div>
      <div role="cell" className="pv-wa-cell pv-wa-cell-size" data-align="right">
        {formats.bytes(row.size)}
      </div>
    </div>
  );
});
