import { Anchor, Button, Code, CopyButton, Group, Modal, Stack, Text, Title } from '@mantine/core';
import { IconCheck, IconCopy } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { useFormat } from '../../shared/format';
import { DetailsTable } from '../details-table';
import type { ProcessLogEntry } from './process-log.api';
import { processLabel, SeverityBadge } from './process-log-labels';

interface ProcessLogEntryModalProps {
  entry: ProcessLogEntry;
  onClose: () => void;
  /** Where the page of the run that wrote the entry is; without it (on that run's page) no link. */
  runPath?: (runId: number) => string;
}

/** One entry with every field, its details pretty-printed, and the whole entry to copy as JSON. */
export function ProcessLogEntryModal({ entry, onClose, runPath }: ProcessLogEntryModalProps) {
  const { t } = useTranslation();
  const format = useFormat();
  const json = JSON.stringify(entry, null, 2);
  const runRow: Array<[string, ReactNode]> =
    runPath === undefined
      ? []
      : [
          [
            t('processLog.run'),
            entry.runId === null ? (
              '–'
            ) : (
              <Anchor key="run" component={Link} to={runPath(entry.runId)} size="sm">
                {t('processLog.showRun')}
              </Anchor>
            ),
          ],
        ];
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('processLog.detailsTitle')}
      size="xl"
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <Stack data-testid="process-log-entry">
        <DetailsTable
          rows={[
            [t('processLog.time'), format.dateTime(entry.at)],
            [t('processLog.severity'), <SeverityBadge key="severity" severity={entry.severity} />],
            [t('processLog.process'), processLabel(t, entry.process)],
            [t('processLog.processCode'), <Code key="process">{entry.process}</Code>],
            [t('processLog.configuration'), entry.subjectName || '–'],
            [t('processLog.configurationId'), entry.subjectId ?? '–'],
            [
              t('processLog.message'),
              <Text key="message" size="sm" style={{ wordBreak: 'break-word' }}>
                {entry.message}
              </Text>,
            ],
            ...runRow,
            [t('processLog.entryId'), entry.id],
          ]}
        />
        <Title order={2} size="h5">
          {t('processLog.details')}
        </Title>
        <Code block data-testid="process-log-entry-details">
          {JSON.stringify(entry.details, null, 2)}
        </Code>
        <Group justify="flex-end">
          <CopyButton value={json} timeout={2000}>
            {({ copied, copy }) => (
              <Button
                variant="default"
                color={copied ? 'teal' : undefined}
                leftSection={
                  copied ? <IconCheck size={18} aria-hidden /> : <IconCopy size={18} aria-hidden />
                }
                onClick={copy}
              >
                {copied ? t('common.copied') : t('processLog.copyJson')}
              </Button>
            )}
          </CopyButton>
          <Button onClick={onClose} data-autofocus>
            {t('common.close')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
