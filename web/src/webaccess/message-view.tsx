import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Group,
  List,
  Paper,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import {
  IconAlertTriangle,
  IconArrowLeft,
  IconCode,
  IconDownload,
  IconExternalLink,
  IconPaperclip,
  IconPhotoDown,
  IconX,
} from '@tabler/icons-react';
import { useId, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ErrorAlert } from '../shared/components/error-alert';
import { LoadingState } from '../shared/components/loading-state';
import { useDocumentTitle } from '../shared/document-title';
import { useFormat } from '../shared/format';
import { listHref, locationText, messageHref, type ListState } from './list-state';
import { MarkedText } from './marked-text';
import { ResendButton, useResendUnavailableReason } from './resend';
import { SourceModal } from './source-modal';
import {
  messageUrls,
  useMessage,
  type Address,
  type Envelope,
  type EnvelopeRecipientKind,
  type MessageDetail,
} from './webaccess.api';

interface MessageViewProps {
  id: number;
  /** The list's state: its search highlights the matches, and links lead back to it. */
  state: ListState;
  /** On the message's own page (a heading of level 1, a link back to the list). */
  standalone?: boolean;
}

/** One message: headers, journal envelope, attachments, and the body as HTML or text. */
export function MessageView({ id, state, standalone = false }: MessageViewProps) {
  const { t } = useTranslation();
  const message = useMessage(id, state.q);
  if (message.isPending) return <LoadingState />;
  if (message.isError) {
    return (
      <Stack p="md">
        <ErrorAlert error={message.error} onRetry={() => void message.refetch()} focus={false} />
        <Anchor component={Link} to={listHref({ ...state, message: null })}>
          {t('webaccess.message.backToList')}
        </Anchor>
      </Stack>
    );
  }
  // Keyed by message: a new message starts with its own view, external content blocked again.
  return (
    <MessageContent key={message.data.id} message={message.data} state={state} standalone={standalone} />
  );
}

function MessageContent({
  message,
  state,
  standalone,
}: {
  message: MessageDetail;
  state: ListState;
  standalone: boolean;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const headingId = useId();
  const reasonId = useId();
  const unavailable = useResendUnavailableReason();
  const [view, setView] = useState<'html' | 'text'>(message.hasHtml ? 'html' : 'text');
  const [external, setExternal] = useState(false);
  const [showSource, setShowSource] = useState(false);
  const subject = message.subject.trim() ? message.subject : t('webaccess.noSubject');
  const urls = messageUrls(message.id);
  useDocumentTitle(standalone ? subject : undefined);

  return (
    <article
      aria-labelledby={headingId}
      className="pv-wa-message"
      data-testid="message-view"
      data-message-id={message.id}
    >
      <Stack gap="sm">
        {standalone && (
          <Anchor component={Link} to={listHref({ ...state, message: null })} size="sm">
            <Group gap={4} component="span">
              <IconArrowLeft size={14} aria-hidden />
              {t('webaccess.message.backToList')}
            </Group>
          </Anchor>
        )}
        <Group justify="space-between" align="flex-start" wrap="nowrap" gap="xs">
          <Title
            order={standalone ? 1 : 2}
            size="h3"
            id={headingId}
            className="pv-wa-subject"
            data-testid="message-subject"
          >
            {subject}
          </Title>
          {!standalone && (
            <Group gap={4} wrap="nowrap">
              <Tooltip label={t('webaccess.message.openPage')}>
                <ActionIcon
                  component={Link}
                  to={messageHref(message.id, state)}
                  variant="subtle"
                  color="gray"
                  aria-label={t('webaccess.message.openPage')}
                >
                  <IconExternalLink size={18} aria-hidden />
                </ActionIcon>
              </Tooltip>
              <Tooltip label={t('webaccess.message.close')}>
                <ActionIcon
                  component={Link}
                  to={listHref({ ...state, message: null })}
                  variant="subtle"
                  color="gray"
                  aria-label={t('webaccess.message.close')}
                >
                  <IconX size={18} aria-hidden />
                </ActionIcon>
              </Tooltip>
            </Group>
          )}
        </Group>

        <Group gap="xs" wrap="wrap">
          <Button
            component="a"
            href={urls.eml}
            download
            variant="default"
            size="xs"
            leftSection={<IconDownload size={16} aria-hidden />}
            data-testid="download-eml"
          >
            {t('webaccess.message.downloadEml')}
          </Button>
          <Button
            variant="default"
            size="xs"
            leftSection={<IconCode size={16} aria-hidden />}
            onClick={() => setShowSource(true)}
          >
            {t('webaccess.message.showSource')}
          </Button>
          <ResendButton messageId={message.id} subject={subject} reasonId={reasonId} />
        </Group>
        {unavailable && (
          <Text size="xs" c="dimmed" id={reasonId} data-testid="resend-unavailable">
            {unavailable}
          </Text>
        )}

        <HeaderTable message={message} />
        {!message.owned && (
          <Text size="xs" c="dimmed" data-testid="not-owned">
            {t('webaccess.message.notOwned')}
          </Text>
        )}

        {message.envelope && <EnvelopeBox envelope={message.envelope} />}

        {message.problems.length > 0 && (
          <Alert
            color="yellow"
            variant="light"
            icon={<IconAlertTriangle aria-hidden />}
            title={t('webaccess.message.problems')}
            data-testid="message-problems"
            p="xs"
          >
            <List size="xs">
              {message.problems.map((problem, index) => (
                <List.Item key={index}>{problem}</List.Item>
              ))}
            </List>
          </Alert>
        )}

        {message.attachments.length > 0 && (
          <Box component="section" aria-label={t('webaccess.message.attachments')}>
            <Text size="sm" fw={600} mb={4}>
              {t('webaccess.message.attachmentsCount', { count: message.attachments.length })}
            </Text>
            <Group gap="xs" data-testid="attachments">
              {message.attachments.map((attachment) => {
                const name = attachment.filename || t('webaccess.message.unnamedAttachment');
                return (
                  <Button
                    key={attachment.index}
                    component="a"
                    href={urls.part(attachment.index)}
                    download={attachment.filename || true}
                    variant="light"
                    size="xs"
                    leftSection={<IconPaperclip size={14} aria-hidden />}
                    rightSection={
                      <Text span size="xs" c="dimmed">
                        {format.bytes(attachment.size)}
                      </Text>
                    }
                    aria-label={t('webaccess.message.downloadAttachment', {
                      name,
                      size: format.bytes(attachment.size),
                    })}
                    title={attachment.contentType}
                  >
                    <span className="pv-wa-attachment-name">{name}</span>
                    {attachment.inline && (
                      <Badge size="xs" variant="outline" ml={6} color="gray">
                        {t('webaccess.message.inline')}
                      </Badge>
                    )}
                  </Button>
                );
              })}
            </Group>
          </Box>
        )}

        <Box component="section" aria-label={t('webaccess.message.body')}>
          {message.hasHtml && (
            <Group justify="space-between" mb="xs" gap="xs">
              <SegmentedControl
                size="xs"
                value={view}
                onChange={(value) => setView(value as 'html' | 'text')}
                data={[
                  { value: 'html', label: t('webaccess.message.viewHtml') },
                  { value: 'text', label: t('webaccess.message.viewText') },
                ]}
                aria-label={t('webaccess.message.view')}
              />
              {view === 'html' && message.hasExternalContent && !external && (
                <Button
                  size="xs"
                  variant="light"
                  color="yellow"
                  leftSection={<IconPhotoDown size={16} aria-hidden />}
                  onClick={() => setExternal(true)}
                  data-testid="load-external"
                >
                  {t('webaccess.message.loadExternal')}
                </Button>
              )}
            </Group>
          )}
          {view === 'html' && message.hasHtml && message.hasExternalContent && !external && (
            <Text size="xs" c="dimmed" mb="xs">
              {t('webaccess.message.externalBlocked')}
            </Text>
          )}
          {view === 'html' && message.hasHtml && message.textMarked?.includes('«') && (
            <Text size="xs" c="dimmed" mb="xs" data-testid="matches-in-text">
              {t('webaccess.message.matchesInText')}
            </Text>
          )}
          {view === 'html' && message.hasHtml ? (
            <HtmlBody key={external ? 'external' : 'blocked'} src={urls.html(external)} title={subject} />
          ) : (
            <div
              className="pv-wa-text"
              data-testid="message-text"
              tabIndex={0}
              aria-label={t('webaccess.message.body')}
            >
              {message.textMarked ? <MarkedText value={message.textMarked} /> : message.text}
            </div>
          )}
        </Box>
      </Stack>
      {showSource && (
        <SourceModal messageId={message.id} size={message.size} onClose={() => setShowSource(false)} />
      )}
    </article>
  );
}

/**
 * The HTML body, made safe by the server (scripts, forms, frames and handlers removed; its CSP
 * forbids them too) and shown in a frame without scripts and without an origin: nothing in it can
 * reach this page, its session or the API. Only links may open, in a new tab. Never add
 * allow-scripts, allow-same-origin, allow-forms or allow-top-navigation here.
 */
export const HTML_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

function HtmlBody({ src, title }: { src: string; title: string }) {
  const { t } = useTranslation();
  return (
    <iframe
      className="pv-wa-html"
      sandbox={HTML_SANDBOX}
      referrerPolicy="no-referrer"
      src={src}
      title={t('webaccess.message.htmlTitle', { subject: title })}
      data-testid="message-html"
    />
  );
}

function addressText(address: Address): string {
  const name = address.name.trim();
  return name && name !== address.address ? `${name} <${address.address}>` : address.address;
}

function HeaderTable({ message }: { message: MessageDetail }) {
  const { t } = useTranslation();
  const format = useFormat();
  const rows: Array<[string, ReactNode, string]> = [];
  const addresses = (label: string, list: Address[], key: string) => {
    if (list.length > 0) rows.push([label, list.map(addressText).join(', '), key]);
  };
  addresses(t('webaccess.message.from'), message.from, 'from');
  addresses(t('webaccess.message.to'), message.to, 'to');
  addresses(t('webaccess.message.cc'), message.cc, 'cc');
  addresses(t('webaccess.message.bcc'), message.bcc, 'bcc');
  addresses(t('webaccess.message.replyTo'), message.replyTo, 'reply-to');
  rows.push([
    t('webaccess.message.date'),
    message.date === null ? t('webaccess.message.noDate') : format.dateTime(message.date),
    'date',
  ]);
  rows.push([t('webaccess.message.location'), locationText(message.mailbox, message.folder), 'location']);
  rows.push([t('webaccess.message.size'), format.bytes(message.size), 'size']);
  return (
    <Table
      className="pv-wa-headers"
      verticalSpacing={2}
      horizontalSpacing="xs"
      withRowBorders={false}
      fz="sm"
      data-testid="message-headers"
    >
      <Table.Tbody>
        {rows.map(([label, value, key]) => (
          <Table.Tr key={key} data-header={key}>
            <Table.Th scope="row" w={96} fw={500} c="dimmed">
              {label}
            </Table.Th>
            <Table.Td className="pv-wa-header-value">{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function kindLabel(t: ReturnType<typeof useTranslation>['t'], kind: EnvelopeRecipientKind): string {
  switch (kind) {
    case 'to':
      return t('webaccess.envelope.kind.to');
    case 'cc':
      return t('webaccess.envelope.kind.cc');
    case 'bcc':
      return t('webaccess.envelope.kind.bcc');
    default:
      return t('webaccess.envelope.kind.recipient');
  }
}

/** The journal report's envelope: who sent it and every recipient, Bcc included. */
function EnvelopeBox({ envelope }: { envelope: Envelope }) {
  const { t } = useTranslation();
  const format = useFormat();
  const headingId = useId();
  return (
    <Paper
      withBorder
      p="xs"
      radius="sm"
      component="section"
      aria-labelledby={headingId}
      data-testid="envelope"
    >
      <Text size="sm" fw={600} id={headingId}>
        {t('webaccess.envelope.title')}
      </Text>
      <Text size="xs" c="dimmed" mb={4}>
        {t('webaccess.envelope.description')}
      </Text>
      <Table verticalSpacing={2} horizontalSpacing="xs" fz="sm">
        <Table.Tbody>
          <Table.Tr>
            <Table.Th scope="row" w={110} fw={500} c="dimmed">
              {t('webaccess.envelope.sender')}
            </Table.Th>
            <Table.Td>
              {envelope.sender}
              {envelope.onBehalfOf && (
                <Text span size="xs" c="dimmed" ml={6}>
                  {t('webaccess.envelope.onBehalfOf', { address: envelope.onBehalfOf })}
                </Text>
              )}
            </Table.Td>
          </Table.Tr>
          {envelope.firstReceivedAt !== null && (
            <Table.Tr>
              <Table.Th scope="row" fw={500} c="dimmed">
                {t('webaccess.envelope.received')}
              </Table.Th>
              <Table.Td>
                {format.dateTime(envelope.firstReceivedAt)}
                {envelope.reports > 1 && (
                  <Text span size="xs" c="dimmed" ml={6}>
                    {t('webaccess.envelope.reports', { count: envelope.reports })}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      <Table verticalSpacing={2} horizontalSpacing="xs" fz="sm" mt={4} data-testid="envelope-recipients">
        <Table.Caption className="pv-visually-hidden">{t('webaccess.envelope.recipients')}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={110}>{t('webaccess.envelope.kindColumn')}</Table.Th>
            <Table.Th>{t('webaccess.envelope.recipients')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {envelope.recipients.map((recipient, index) => (
            <Table.Tr key={index} data-kind={recipient.kind}>
              <Table.Td>
                <Badge
                  size="sm"
                  variant={recipient.kind === 'bcc' ? 'filled' : 'light'}
                  color={recipient.kind === 'bcc' ? 'grape' : 'gray'}
                >
                  {kindLabel(t, recipient.kind)}
                </Badge>
              </Table.Td>
              <Table.Td>
                {recipient.address}
                {recipient.expandedFrom && (
                  <Text span size="xs" c="dimmed" ml={6}>
                    {t('webaccess.envelope.expandedFrom', { address: recipient.expandedFrom })}
                  </Text>
                )}
                {recipient.forwardedFrom && (
                  <Text span size="xs" c="dimmed" ml={6}>
                    {t('webaccess.envelope.forwardedFrom', { address: recipient.forwardedFrom })}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
