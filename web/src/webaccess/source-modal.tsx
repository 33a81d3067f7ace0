import { Alert, Button, Group, Modal, Stack } from '@mantine/core';
import { IconDownload, IconInfoCircle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shared/components/error-alert';
import { LoadingState } from '../shared/components/loading-state';
import { useFormat } from '../shared/format';
import { messageUrls, SOURCE_DISPLAY_LIMIT, useMessageSource } from './webaccess.api';

/**
 * "Show source": the archived bytes as text, in a monospace block. Only the first 2 MB are loaded
 * and shown; the EML download has all of it.
 */
export function SourceModal({
  messageId,
  size,
  onClose,
}: {
  messageId: number;
  size: number;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const source = useMessageSource(messageId);
  return (
    <Modal
      opened
      onClose={onClose}
      title={t('webaccess.source.title')}
      size="80rem"
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      <Stack>
        {source.isPending && <LoadingState />}
        {source.isError && <ErrorAlert error={source.error} onRetry={() => void source.refetch()} />}
        {source.data && (
          <>
            {source.data.truncated && (
              <Alert
                color="yellow"
                variant="light"
                icon={<IconInfoCircle aria-hidden />}
                data-testid="source-truncated"
              >
                {t('webaccess.source.truncated', {
                  shown: format.bytes(SOURCE_DISPLAY_LIMIT),
                  size: format.bytes(Math.max(size, source.data.bytes)),
                })}
              </Alert>
            )}
            <pre
              className="pv-wa-source"
              tabIndex={0}
              aria-label={t('webaccess.source.title')}
              data-testid="message-source"
            >
              {source.data.text}
            </pre>
          </>
        )}
        <Group justify="flex-end">
          <Button
            component="a"
            href={messageUrls(messageId).eml}
            download
            variant="default"
            leftSection={<IconDownload size={16} aria-hidden />}
          >
            {t('webaccess.message.downloadEml')}
          </Button>
          <Button onClick={onClose}>{t('common.close')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
