import { ActionIcon, Button, Group, Menu, Paper, Progress, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconChevronDown,
  IconCircleCheck,
  IconDownload,
  IconFileZip,
  IconMail,
  IconX,
} from '@tabler/icons-react';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { errorTitle } from '../shared/components/error-alert';
import { useFormat } from '../shared/format';
import {
  exportDownloadUrl,
  useCreateExport,
  useExportStatus,
  type ExportFormat,
  type ExportRequest,
  type ExportStatus,
} from './webaccess.api';

interface ExportsContextValue {
  start: (request: ExportRequest) => void;
  pending: boolean;
}

const ExportsContext = createContext<ExportsContextValue | null>(null);

/**
 * The browser downloads the file itself (it is streamed to disk, never held in this page's memory);
 * an anchor with `download` keeps the page where it is.
 */
function startDownload(url: string): void {
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = '';
  anchor.rel = 'noopener';
  anchor.style.display = 'none';
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
}

/**
 * Exports started in this tab: each is created on the server, downloaded by the browser, and its
 * progress shown in a panel at the bottom right while the download runs (also on a message's page).
 */
export function ExportsProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const create = useCreateExport();
  const [running, setRunning] = useState<ExportStatus[]>([]);
  const { mutate } = create;

  const start = useCallback(
    (request: ExportRequest) =>
      mutate(request, {
        onSuccess: (status) => {
          setRunning((current) => [
            ...current.filter((item) => String(item.id) !== String(status.id)),
            status,
          ]);
          startDownload(exportDownloadUrl(status.id));
        },
        onError: (error) =>
          notifications.show({
            color: 'red',
            title: t('webaccess.export.failedToStart'),
            message: `${errorTitle(t, error)}: ${error.message}`,
          }),
      }),
    [mutate, t],
  );
  const value = useMemo(() => ({ start, pending: create.isPending }), [start, create.isPending]);
  const dismiss = (id: string | number) =>
    setRunning((current) => current.filter((item) => String(item.id) !== String(id)));

  return (
    <ExportsContext.Provider value={value}>
      {children}
      {running.length > 0 && (
        <Stack gap="xs" className="pv-wa-exports" aria-label={t('webaccess.export.panel')} role="region">
          {running.map((status) => (
            <ExportProgress key={String(status.id)} initial={status} onDismiss={() => dismiss(status.id)} />
          ))}
        </Stack>
      )}
    </ExportsContext.Provider>
  );
}

export function useExports(): ExportsContextValue {
  const value = useContext(ExportsContext);
  if (!value) throw new Error('useExports must be used below an ExportsProvider');
  return value;
}

const formatName = (format: ExportFormat) => (format === 'zip' ? 'ZIP' : 'MBOX');

function ExportProgress({ initial, onDismiss }: { initial: ExportStatus; onDismiss: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const query = useExportStatus(initial.id, initial);
  const status = query.data ?? initial;
  const fraction =
    status.status === 'done'
      ? 1
      : status.bytes > 0
        ? status.bytesWritten / status.bytes
        : status.messages > 0
          ? status.written / status.messages
          : 0;
  const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
  const failed = status.status === 'failed';
  const done = status.status === 'done';
  return (
    <Paper
      withBorder
      shadow="md"
      p="sm"
      radius="md"
      w={340}
      data-testid="export-progress"
      data-status={status.status}
      data-format={status.format}
    >
      <Group justify="space-between" wrap="nowrap" gap="xs" mb={6}>
        <Group gap={6} wrap="nowrap">
          {done ? (
            <IconCircleCheck size={18} color="var(--mantine-color-teal-6)" aria-hidden />
          ) : status.format === 'zip' ? (
            <IconFileZip size={18} aria-hidden />
          ) : (
            <IconMail size={18} aria-hidden />
          )}
          <Text size="sm" fw={600}>
            {done
              ? t('webaccess.export.done', { format: formatName(status.format) })
              : failed
                ? t('webaccess.export.failed', { format: formatName(status.format) })
                : t('webaccess.export.running', { format: formatName(status.format) })}
          </Text>
        </Group>
        <ActionIcon
          variant="subtle"
          color="gray"
          size="sm"
          aria-label={t('webaccess.export.dismiss')}
          onClick={onDismiss}
        >
          <IconX size={14} aria-hidden />
        </ActionIcon>
      </Group>
      <Progress
        value={percent}
        color={failed ? 'red' : done ? 'teal' : undefined}
        animated={!done && !failed}
        aria-label={t('webaccess.export.progress', { format: formatName(status.format) })}
      />
      <Text size="xs" c="dimmed" mt={6} role="status" data-testid="export-progress-text">
        {t('webaccess.export.counts', {
          written: format.number(status.written),
          messages: format.number(status.messages),
          bytesWritten: format.bytes(status.bytesWritten),
          bytes: format.bytes(status.bytes),
        })}
      </Text>
      {failed && (
        <Text size="xs" c="red" mt={4}>
          {status.error ?? t('webaccess.export.unknownError')}
        </Text>
      )}
      {query.isError && (
        <Text size="xs" c="red" mt={4}>
          {t('webaccess.export.statusLost')}
        </Text>
      )}
    </Paper>
  );
}

interface ExportMenuProps {
  selectedIds: number[];
  /** The current search or folder, for "all results". */
  search: NonNullable<ExportRequest['search']>;
  hasResults: boolean;
}

/** "Export": the selected messages or every result of the search, as ZIP (EML files) or MBOX. */
export function ExportMenu({ selectedIds, search, hasResults }: ExportMenuProps) {
  const { t } = useTranslation();
  const { start, pending } = useExports();
  const selected = selectedIds.length;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          variant="default"
          size="xs"
          leftSection={<IconDownload size={16} aria-hidden />}
          rightSection={<IconChevronDown size={14} aria-hidden />}
          loading={pending}
          disabled={!hasResults}
          data-testid="export-menu"
        >
          {t('webaccess.export.action')}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('webaccess.export.selectedLabel', { count: selected })}</Menu.Label>
        <Menu.Item
          disabled={selected === 0}
          leftSection={<IconFileZip size={16} aria-hidden />}
          onClick={() => start({ format: 'zip', messageIds: selectedIds })}
        >
          {t('webaccess.export.selectedZip')}
        </Menu.Item>
        <Menu.Item
          disabled={selected === 0}
          leftSection={<IconMail size={16} aria-hidden />}
          onClick={() => start({ format: 'mbox', messageIds: selectedIds })}
        >
          {t('webaccess.export.selectedMbox')}
        </Menu.Item>
        <Menu.Divider />
        <Menu.Label>{t('webaccess.export.allLabel')}</Menu.Label>
        <Menu.Item
          leftSection={<IconFileZip size={16} aria-hidden />}
          onClick={() => start({ format: 'zip', search })}
        >
          {t('webaccess.export.allZip')}
        </Menu.Item>
        <Menu.Item
          leftSection={<IconMail size={16} aria-hidden />}
          onClick={() => start({ format: 'mbox', search })}
        >
          {t('webaccess.export.allMbox')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
