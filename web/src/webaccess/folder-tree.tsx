import { ActionIcon, Skeleton, Stack, Text } from '@mantine/core';
import {
  IconBook2,
  IconChevronDown,
  IconChevronRight,
  IconFolder,
  IconInbox,
  IconMailbox,
  IconStack2,
  IconUsers,
} from '@tabler/icons-react';
import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { ErrorAlert } from '../shared/components/error-alert';
import { useFormat } from '../shared/format';
import { listHref, locationText, parseListState, type ListState } from './list-state';
import { useMailboxes, type ArchiveMailbox, type Folder } from './webaccess.api';

export interface FolderNode {
  folder: Folder;
  children: FolderNode[];
}

/**
 * The flat folder list (sorted by path, linked by parentId) as a tree; orphans become roots. The
 * mailbox's own top level (path "", e.g. a journal mailbox's) is the mailbox entry itself.
 */
export function buildFolderTree(all: readonly Folder[]): FolderNode[] {
  const folders = all.filter((folder) => folder.path !== '');
  const nodes = new Map<number, FolderNode>();
  for (const folder of folders) nodes.set(folder.id, { folder, children: [] });
  const roots: FolderNode[] = [];
  for (const folder of folders) {
    const node = nodes.get(folder.id)!;
    const parent = folder.parentId === null ? undefined : nodes.get(folder.parentId);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** The folders from the root down to `folderId` (ids), for opening the branches of a deep link. */
function ancestors(folders: readonly Folder[], folderId: number): number[] {
  const byId = new Map(folders.map((folder) => [folder.id, folder]));
  const chain: number[] = [];
  let current = byId.get(folderId);
  while (current && current.parentId !== null && !chain.includes(current.parentId)) {
    chain.push(current.parentId);
    current = byId.get(current.parentId);
  }
  return chain;
}

const mailboxKey = (id: number) => `m${id}`;
const folderKey = (id: number) => `f${id}`;

function MailboxIcon({ kind }: { kind: ArchiveMailbox['kind'] }) {
  switch (kind) {
    case 'journal':
      return <IconBook2 size={18} aria-hidden />;
    case 'shared':
      return <IconUsers size={18} aria-hidden />;
    default:
      return <IconMailbox size={18} aria-hidden />;
  }
}

/**
 * The left side of Web Access: every message, then "My Archive" (the user's own mailboxes), "Shares"
 * (mailboxes shared with their groups) and, for Compliance, "All mailboxes"; each mailbox with its
 * folders. Entries are links to the list in that place (the search, if any, stays).
 */
export function FolderTree({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useTranslation();
  const location = useLocation();
  const mailboxes = useMailboxes();
  // On a message's own page the list state is in its address too.
  const state = parseListState(new URLSearchParams(location.search));
  const onListPage = location.pathname.replace(/\/+$/, '') === '/webaccess';

  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const [opened, setOpened] = useState<string | null>(null);
  const data = mailboxes.data;

  // The mailboxes of My Archive start open, and a deep link opens the branches down to its folder.
  const selectionKey = data ? `${state.mailboxId ?? ''}:${state.folderId ?? ''}` : null;
  if (selectionKey !== null && selectionKey !== opened) {
    setOpened(selectionKey);
    setExpanded((current) => {
      const next = new Set(current);
      if (opened === null) for (const mailbox of data!.mine) next.add(mailboxKey(mailbox.id));
      if (state.mailboxId !== null) {
        next.add(mailboxKey(state.mailboxId));
        const mailbox = [...data!.mine, ...data!.shared, ...data!.others].find(
          (m) => m.id === state.mailboxId,
        );
        if (mailbox && state.folderId !== null) {
          for (const id of ancestors(mailbox.folders, state.folderId)) next.add(folderKey(id));
        }
      }
      return next;
    });
  }

  const toggle = (key: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const allActive = onListPage && state.mailboxId === null;

  return (
    <nav aria-label={t('webaccess.tree.label')} className="pv-wa-tree" data-testid="folder-tree">
      <TreeLink
        to={listHref({ ...state, mailboxId: null, folderId: null, message: null })}
        active={allActive}
        icon={<IconStack2 size={18} aria-hidden />}
        label={t('webaccess.tree.allMessages')}
        onNavigate={onNavigate}
        depth={0}
      />
      {mailboxes.isPending && (
        <Stack gap="xs" mt="md" aria-hidden>
          <Skeleton h={20} />
          <Skeleton h={20} />
          <Skeleton h={20} />
        </Stack>
      )}
      {mailboxes.isError && (
        <ErrorAlert error={mailboxes.error} focus={false} onRetry={() => void mailboxes.refetch()} />
      )}
      {data && (
        <>
          <TreeSection
            id="mine"
            title={t('webaccess.tree.mine')}
            mailboxes={data.mine}
            empty={t('webaccess.tree.mineEmpty')}
            {...{ state, onListPage, expanded, toggle, onNavigate }}
          />
          {data.shared.length > 0 && (
            <TreeSection
              id="shared"
              title={t('webaccess.tree.shared')}
              mailboxes={data.shared}
              {...{ state, onListPage, expanded, toggle, onNavigate }}
            />
          )}
          {data.others.length > 0 && (
            <TreeSection
              id="others"
              title={t('webaccess.tree.others')}
              mailboxes={data.others}
              {...{ state, onListPage, expanded, toggle, onNavigate }}
            />
          )}
        </>
      )}
    </nav>
  );
}

interface TreeContext {
  state: ListState;
  onListPage: boolean;
  expanded: Set<string>;
  toggle: (key: string) => void;
  onNavigate?: () => void;
}

function TreeSection(
  props: TreeContext & { id: string; title: string; mailboxes: ArchiveMailbox[]; empty?: string },
) {
  const { id, title, mailboxes, empty, ...context } = props;
  const headingId = `pv-wa-tree-${id}`;
  return (
    <section aria-labelledby={headingId} className="pv-wa-tree-section" data-testid={`tree-section-${id}`}>
      <Text component="h2" id={headingId} size="xs" fw={700} c="dimmed" tt="uppercase" px="xs" mb={4}>
        {title}
      </Text>
      {mailboxes.length === 0 && empty ? (
        <Text size="sm" c="dimmed" px="xs">
          {empty}
        </Text>
      ) : (
        <ul className="pv-wa-tree-list">
          {mailboxes.map((mailbox) => (
            <MailboxItem key={mailbox.id} mailbox={mailbox} {...context} />
          ))}
        </ul>
      )}
    </section>
  );
}

function MailboxItem({ mailbox, ...context }: TreeContext & { mailbox: ArchiveMailbox }) {
  const { t } = useTranslation();
  const { state, onListPage, expanded, toggle, onNavigate } = context;
  const key = mailboxKey(mailbox.id);
  const open = expanded.has(key);
  const roots = useMemo(() => buildFolderTree(mailbox.folders), [mailbox.folders]);
  const active = onListPage && state.mailboxId === mailbox.id && state.folderId === null;
  return (
    <li>
      <TreeLink
        to={listHref({ ...state, mailboxId: mailbox.id, folderId: null, message: null })}
        active={active}
        icon={<MailboxIcon kind={mailbox.kind} />}
        label={mailbox.name}
        count={mailbox.messageCount}
        depth={0}
        onNavigate={onNavigate}
        toggle={
          roots.length > 0
            ? {
                open,
                label: open
                  ? t('webaccess.tree.collapse', { name: mailbox.name })
                  : t('webaccess.tree.expand', { name: mailbox.name }),
                onToggle: () => toggle(key),
              }
            : undefined
        }
        testId={`tree-mailbox-${mailbox.id}`}
      />
      {open && roots.length > 0 && (
        <ul className="pv-wa-tree-list">
          {roots.map((node) => (
            <FolderItem key={node.folder.id} node={node} mailbox={mailbox} depth={1} {...context} />
          ))}
        </ul>
      )}
    </li>
  );
}

function FolderItem(props: TreeContext & { node: FolderNode; mailbox: ArchiveMailbox; depth: number }) {
  const { node, mailbox, depth, ...context } = props;
  const { t } = useTranslation();
  const { state, onListPage, expanded, toggle, onNavigate } = context;
  const { folder, children } = node;
  const key = folderKey(folder.id);
  const open = expanded.has(key);
  const active = onListPage && state.mailboxId === mailbox.id && state.folderId === folder.id;
  const isInbox = depth === 1 && folder.name.toLowerCase() === 'inbox';
  return (
    <li>
      <TreeLink
        to={listHref({ ...state, mailboxId: mailbox.id, folderId: folder.id, message: null })}
        active={active}
        icon={isInbox ? <IconInbox size={16} aria-hidden /> : <IconFolder size={16} aria-hidden />}
        label={folder.name}
        title={locationText(mailbox.name, folder.path)}
        count={folder.messageCount}
        depth={depth}
        onNavigate={onNavigate}
        toggle={
          children.length > 0
            ? {
                open,
                label: open
                  ? t('webaccess.tree.collapse', { name: folder.name })
                  : t('webaccess.tree.expand', { name: folder.name }),
                onToggle: () => toggle(key),
              }
            : undefined
        }
        testId={`tree-folder-${folder.id}`}
      />
      {open && children.length > 0 && (
        <ul className="pv-wa-tree-list">
          {children.map((child) => (
            <FolderItem key={child.folder.id} node={child} mailbox={mailbox} depth={depth + 1} {...context} />
          ))}
        </ul>
      )}
    </li>
  );
}

interface TreeLinkProps {
  to: string;
  active: boolean;
  icon: ReactNode;
  label: string;
  title?: string;
  count?: number;
  depth: number;
  toggle?: { open: boolean; label: string; onToggle: () => void };
  onNavigate?: () => void;
  testId?: string;
}

/** One entry: the branch's open/close button (when it has folders below), then the link. */
function TreeLink(props: TreeLinkProps) {
  const { to, active, icon, label, title, count, depth, toggle, onNavigate, testId } = props;
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <div
      className="pv-wa-tree-row"
      style={{ paddingInlineStart: depth * 14 }}
      data-active={active || undefined}
    >
      {toggle ? (
        <ActionIcon
          variant="subtle"
          color="gray"
          size="sm"
          aria-label={toggle.label}
          aria-expanded={toggle.open}
          onClick={toggle.onToggle}
        >
          {toggle.open ? (
            <IconChevronDown size={14} aria-hidden />
          ) : (
            <IconChevronRight size={14} aria-hidden />
          )}
        </ActionIcon>
      ) : (
        <span className="pv-wa-tree-spacer" aria-hidden />
      )}
      <Link
        to={to}
        className="pv-wa-tree-link"
        aria-current={active ? 'page' : undefined}
        title={title}
        onClick={onNavigate}
        data-testid={testId}
      >
        {icon}
        <span className="pv-wa-tree-name">{label}</span>
        {count !== undefined && (
          <>
            <span className="pv-wa-tree-count" aria-hidden>
              {format.number(count)}
            </span>
            <span className="pv-visually-hidden">{t('webaccess.tree.count', { count })}</span>
          </>
        )}
      </Link>
    </div>
  );
}
