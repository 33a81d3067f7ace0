import { MultiSelect, NativeSelect, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { MAILBOX_KINDS, type Mailbox, type MailboxKind } from '../../shared/api/types';
import {
  AddressListInput,
  formatAddressList,
  parseAddressList,
} from '../../shared/components/address-list-input';
import { ErrorAlert } from '../../shared/components/error-alert';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { useGroups, useSaveMailbox, useUsers } from '../admin.api';
import { groupOptions, toIds, userOptions } from '../user-options';
import { mailboxKindLabel } from './mailbox-kind';

export function MailboxFormModal({ mailbox, onClose }: { mailbox?: Mailbox; onClose: () => void }) {
  const { t } = useTranslation();
  const users = useUsers();
  const groups = useGroups();
  const save = useSaveMailbox();
  const [name, setName] = useState(mailbox?.name ?? '');
  const [kind, setKind] = useState<MailboxKind>(mailbox?.kind ?? 'user');
  const [primaryAddress, setPrimaryAddress] = useState(mailbox?.primaryAddress ?? '');
  const [secondary, setSecondary] = useState(() => formatAddressList(mailbox?.secondaryAddresses ?? []));
  const [ownerIds, setOwnerIds] = useState<string[]>(() => mailbox?.owners.map((o) => String(o.id)) ?? []);
  const [groupIds, setGroupIds] = useState<string[]>(
    () => mailbox?.sharedWith.map((g) => String(g.id)) ?? [],
  );
  const [submitted, setSubmitted] = useState(false);

  const submit = () => {
    setSubmitted(true);
    if (!name.trim()) return;
    const primary = primaryAddress.trim();
    save.mutate(
      {
        id: mailbox?.id,
        name: name.trim(),
        kind,
        primaryAddress: primary || (mailbox?.primaryAddress ? null : undefined),
        secondaryAddresses: parseAddressList(secondary),
        ownerIds: toIds(ownerIds),
        sharedGroupIds: toIds(groupIds),
      },
      { onSuccess: onClose },
    );
  };

  return (
    <FormModal
      title={mailbox ? t('mailboxes.editTitle', { name: mailbox.name }) : t('mailboxes.createTitle')}
      size="lg"
      onClose={onClose}
      onSubmit={submit}
    >
      <TextInput
        label={t('mailboxes.name')}
        value={name}
        onChange={(event) => setName(event.currentTarget.value)}
        required
        error={submitted && !name.trim() ? t('validation.required') : undefined}
        data-autofocus
      />
      <NativeSelect
        label={t('mailboxes.kind')}
        description={t('mailboxes.kindHint')}
        value={kind}
        onChange={(event) => setKind(event.currentTarget.value as MailboxKind)}
        data={MAILBOX_KINDS.map((value) => ({ value, label: mailboxKindLabel(t, value) }))}
      />
      <TextInput
        type="email"
        label={t('mailboxes.primaryAddress')}
        value={primaryAddress}
        onChange={(event) => setPrimaryAddress(event.currentTarget.value)}
        autoCapitalize="none"
        spellCheck={false}
      />
      <AddressListInput label={t('mailboxes.secondaryAddresses')} value={secondary} onChange={setSecondary} />
      <MultiSelect
        label={t('mailboxes.owners')}
        description={t('mailboxes.ownersHint')}
        data={userOptions(users.data, mailbox?.owners)}
        value={ownerIds}
        onChange={setOwnerIds}
        searchable
        clearable
        hidePickedOptions
        nothingFoundMessage={users.isPending ? t('common.loading') : t('common.nothingFound')}
      />
      <MultiSelect
        label={t('mailboxes.sharedWith')}
        description={t('mailboxes.sharedWithHint')}
        data={groupOptions(groups.data, mailbox?.sharedWith)}
        value={groupIds}
        onChange={setGroupIds}
        searchable
        clearable
        hidePickedOptions
        nothingFoundMessage={groups.isPending ? t('common.loading') : t('common.nothingFound')}
      />
      {(users.error || groups.error) && <ErrorAlert error={users.error ?? groups.error} focus={false} />}
      <ModalFooter
        submitLabel={mailbox ? t('common.saveChanges') : t('mailboxes.create')}
        pending={save.isPending}
        error={save.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
