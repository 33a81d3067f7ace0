import { Anchor, Group, Text, Title } from '@mantine/core';
import { useMemo, useState, type CSSProperties } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useDocumentTitle } from '../shared/document-title';
import { useFormat } from '../shared/format';
import { ExportMenu } from './exports';
import { defaultOrder, listHref, locationText, useListState } from './list-state';
import { MessageList, ROW_HEIGHT } from './message-list';
import { MessageView } from './message-view';
import { SearchBar } from './search-bar';
import { useMailboxes, useMessageList, type ListCriteria, type SortField } from './webaccess.api';

/**
 * Web Access's main page: the search, the results of the chosen mailbox or folder, and the open
 * message beside or below them. All of it is in the address.
 */
export function ArchivePage() {
  const { t } = useTranslation();
  const format = useFormat();
  const [state, update] = useListState();
  const { q, mailboxId, folderId, sort, order } = state;
  const criteria = useMemo<ListCriteria>(
    () => ({ q: q.trim(), mailboxId, folderId, sort, order }),
    [q, mailboxId, folderId, sort, order],
  );
  const criteriaKey = JSON.stringify(criteria);
  const list = useMessageList(criteria);
  const rows = useMemo(() => list.data?.pages.flatMap((page) => page.results) ?? [], [list.data]);
  const scope = useScope(mailboxId, folderId);

  // The selection belongs to one result: a new search or place starts without one.
  const [selection, setSelection] = useState<{ key: string; ids: Set<number> }>({
    key: criteriaKey,
    ids: new Set(),
  });
  const selected = selection.key === criteriaKey ? selection.ids : new Set<number>();
  const setSelected = (change: (ids: Set<number>) => Set<number>) =>
    setSelection((current) => ({
      key: criteriaKey,
      ids: change(current.key === criteriaKey ? current.ids : new Set()),
    }));
  const toggle = (id: number) =>
    setSelected((ids) => {
      const next = new Set(ids);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleAll = (select: boolean) =>
    setSelected(() => (select ? new Set(rows.map((row) => row.id)) : new Set()));

  const onSort = (field: SortField) =>
    update({
      sort: field,
      order: state.sort === field ? (state.order === 'asc' ? 'desc' : 'asc') : defaultOrder(field),
    });

  const title = scope?.title ?? t('webaccess.tree.allMessages');
  useDocumentTitle(q.trim() ? t('webaccess.search.documentTitle', { q: q.trim(), scope: title }) : title);

  // A known total: a whole folder or mailbox without a search; otherwise what is loaded so far.
  const total = !q.trim() && scope ? scope.count : !list.hasNextPage && list.isSuccess ? rows.length : null;
  const selectedIds = [...selected];
  // All rows loaded and few of them: the list needs no more height than they take (and the header).
  const listFit =
    list.isSuccess && !list.hasNextPage && rows.length > 0 ? (rows.length + 1) * ROW_HEIGHT + 12 : null;

  return (
    <div
      className="pv-wa-page"
      data-open={state.message !== null || undefined}
      style={listFit === null ? undefined : ({ '--pv-wa-list-fit': `${listFit}px` } as CSSProperties)}
    >
      <div className="pv-wa-top">
        <Group justify="space-between" align="baseline" gap="xs" mb="xs" wrap="wrap">
          <Title order={1} size="h3" data-testid="list-title">
            {title}
          </Title>
          {scope?.path && (
            <Text size="sm" c="dimmed" truncate>
              {scope.path}
            </Text>
          )}
        </Group>
        <SearchBar state={state} onSearch={(value) => update({ q: value, message: null })} />
        <Group justify="space-between" gap="xs" mt="xs" wrap="wrap" className="pv-wa-toolbar">
          <Group gap="xs">
            <Text size="sm" c="dimmed" data-testid="result-count" aria-live="polite">
              {list.isSuccess &&
                (total !== null
                  ? t('webaccess.list.count', { count: total, formatted: format.number(total) })
                  : t('webaccess.list.countMore', {
                      count: rows.length,
                      formatted: format.number(rows.length),
                    }))}
            </Text>
            {selected.size > 0 && (
              <>
                <Text size="sm" fw={600} data-testid="selection-count">
                  {t('webaccess.list.selected', {
                    count: selected.size,
                    formatted: format.number(selected.size),
                  })}
                </Text>
                <Anchor component="button" type="button" size="sm" onClick={() => toggleAll(false)}>
                  {t('webaccess.list.clearSelection')}
                </Anchor>
              </>
            )}
            {(q.trim() || mailboxId !== null) && (
              <Anchor
                component={Link}
                size="sm"
                to={listHref({ ...state, q: '', mailboxId: null, folderId: null, message: null })}
              >
                {t('webaccess.list.showAll')}
              </Anchor>
            )}
          </Group>
          <ExportMenu
            selectedIds={selectedIds}
            hasResults={rows.length > 0}
            search={{
              q: criteria.q,
              ...(mailboxId !== null && { mailboxId }),
              ...(mailboxId !== null && folderId !== null && { folderId }),
            }}
          />
        </Group>
      </div>
      <div className="pv-wa-split">
        <div className="pv-wa-list-pane">
          <MessageList
            key={criteriaKey}
            query={list}
            rows={rows}
            state={state}
            selected={selected}
            onToggle={toggle}
            onToggleAll={toggleAll}
            onSort={onSort}
          />
        </div>
        {state.message !== null && (
          // Keyed by message: the next one starts at its top.
          <div className="pv-wa-reading-pane" data-testid="reading-pane" key={state.message}>
            <MessageView id={state.message} state={state} />
          </div>
        )}
      </div>
    </div>
  );
}

/** The chosen mailbox or folder: its name, where it is, and how many messages it holds. */
function useScope(mailboxId: number | null, folderId: number | null) {
  const mailboxes = useMailboxes();
  const data = mailboxes.data;
  return useMemo(() => {
    if (mailboxId === null || !data) return null;
    const mailbox = [...data.mine, ...data.shared, ...data.others].find((item) => item.id === mailboxId);
    if (!mailbox) return null;
    const folder = folderId === null ? undefined : mailbox.folders.find((item) => item.id === folderId);
    if (folderId !== null && !folder) return null;
    return folder
      ? {
          title: folder.name || mailbox.name,
          path: locationText(mailbox.name, folder.path),
          count: folder.messageCount,
        }
      : { title: mailbox.name, path: null, count: mailbox.messageCount };
  }, [data, mailboxId, folderId]);
}
