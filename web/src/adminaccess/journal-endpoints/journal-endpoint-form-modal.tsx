import { ActionIcon, Button, Group, Select, Switch, TextInput, Tooltip } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../shared/components/error-alert';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { useMailboxes, useSaveMailbox } from '../admin.api';
import { JournalAddressDialog } from './journal-address';
import { useSaveJournalEndpoint, type JournalEndpoint } from './journal-endpoints.api';

interface JournalEndpointFormModalProps {
  endpoint?: JournalEndpoint;
  onClose: () => void;
}

/**
 * Add or edit a journal endpoint: name and journal mailbox, which "+" can create on the spot. After
 * saving, the dialog stays open and shows the endpoint's SMTP address to copy into the mail system.
 */
export function JournalEndpointFormModal({ endpoint, onClose }: JournalEndpointFormModalProps) {
  const { t } = useTranslation();
  const mailboxes = useMailboxes();
  const save = useSaveJournalEndpoint();
  const createMailbox = useSaveMailbox();
  const [name, setName] = useState(endpoint?.name ?? '');
  const [mailboxId, setMailboxId] = useState<string | null>(endpoint ? String(endpoint.mailbox.id) : null);
  const [enabled, setEnabled] = useState(endpoint?.enabled ?? true);
  const [addingMailbox, setAddingMailbox] = useState(false);
  const [newMailboxName, setNewMailboxName] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [saved, setSaved] = useState<JournalEndpoint | null>(null);

  if (saved) {
    return (
      <JournalAddressDialog
        title={t('journalEndpoints.savedTitle', { name: saved.name })}
        address={saved.address}
        onClose={onClose}
      />
    );
  }

  const options = (mailboxes.data ?? [])
    .filter((mailbox) => mailbox.kind === 'journal' || mailbox.id === endpoint?.mailbox.id)
    .map((mailbox) => ({ value: String(mailbox.id), label: mailbox.name }));

  const submit = () => {
    setSubmitted(true);
    if (!name.trim() || mailboxId === null) return;
    save.mutate(
      {
        id: endpoint?.id,
        name: name.trim(),
        mailboxId: Number(mailboxId),
        enabled: endpoint ? enabled : undefined,
      },
      { onSuccess: setSaved },
    );
  };

  const addMailbox = () => {
    if (!newMailboxName.trim()) return;
    createMailbox.mutate(
      { name: newMailboxName.trim(), kind: 'journal' },
      {
        onSuccess: (mailbox) => {
          setMailboxId(String(mailbox.id));
          setAddingMailbox(false);
          setNewMailboxName('');
        },
      },
    );
  };
  // Enter in the new mailbox's name creates the mailbox, not the endpoint.
  const onNewMailboxKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      addMailbox();
    }
  };

  return (
    <FormModal
      title={
        endpoint
          ? t('journalEndpoints.editTitle', { name: endpoint.name })
          : t('journalEndpoints.createTitle')
      }
      size="lg"
      onClose={onClose}
      onSubmit={submit}
    >
      <TextInput
        label={t('journalEndpoints.name')}
        value={name}
        onChange={(event) => setName(event.currentTarget.value)}
        required
        error={submitted && !name.trim() ? t('validation.required') : undefined}
        data-autofocus
      />
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <Select
          flex={1}
          label={t('journalEndpoints.mailbox')}
          description={t('journalEndpoints.mailboxHint')}
          placeholder={options.length === 0 ? t('journalEndpoints.noJournalMailboxes') : undefined}
          data={options}
          value={mailboxId}
          onChange={setMailboxId}
          searchable
          required
          nothingFoundMessage={mailboxes.isPending ? t('common.loading') : t('common.nothingFound')}
          error={submitted && mailboxId === null ? t('validation.required') : undefined}
        />
        <Tooltip label={t('journalEndpoints.newMailbox')}>
          <ActionIcon
            size="input-sm"
            variant="default"
            aria-label={t('journalEndpoints.newMailbox')}
            aria-expanded={addingMailbox}
            onClick={() => setAddingMailbox((open) => !open)}
            mb={submitted && mailboxId === null ? 22 : 0}
          >
            <IconPlus size={18} aria-hidden />
          </ActionIcon>
        </Tooltip>
      </Group>
      {addingMailbox && (
        <Group align="flex-end" gap="xs" wrap="nowrap">
          <TextInput
            flex={1}
            label={t('journalEndpoints.newMailboxName')}
            value={newMailboxName}
            onChange={(event) => setNewMailboxName(event.currentTarget.value)}
            onKeyDown={onNewMailboxKey}
            autoFocus
          />
          <Button
            variant="light"
            onClick={addMailbox}
            loading={createMailbox.isPending}
            disabled={!newMailboxName.trim()}
          >
            {t('journalEndpoints.createMailbox')}
          </Button>
        </Group>
      )}
      {createMailbox.error && <ErrorAlert error={createMailbox.error} />}
      {mailboxes.error && <ErrorAlert error={mailboxes.error} focus={false} />}
      {endpoint && (
        <Switch
          label={t('journalEndpoints.enabledLabel')}
          description={t('journalEndpoints.enabledHint')}
          checked={enabled}
          onChange={(event) => setEnabled(event.currentTarget.checked)}
        />
      )}
      <ModalFooter
        submitLabel={endpoint ? t('common.saveChanges') : t('journalEndpoints.create')}
        pending={save.isPending}
        error={save.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
