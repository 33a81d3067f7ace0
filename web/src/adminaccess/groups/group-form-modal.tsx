import { MultiSelect, Textarea, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Group, Role } from '../../shared/api/types';
import { ErrorAlert } from '../../shared/components/error-alert';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { useCreateGroup, useUpdateGroup, useUsers, type GroupFields } from '../admin.api';
import { toIds, userOptions } from '../user-options';
import { RoleCheckboxes } from './role-checkboxes';

interface GroupFormModalProps {
  /** Absent: create a group. */
  group?: Group;
  onClose: () => void;
}

export function GroupFormModal({ group, onClose }: GroupFormModalProps) {
  const { t } = useTranslation();
  const users = useUsers();
  const create = useCreateGroup();
  const update = useUpdateGroup();
  const mutation = group ? update : create;
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [memberIds, setMemberIds] = useState<string[]>(() => group?.members.map((m) => String(m.id)) ?? []);
  const [roles, setRoles] = useState<Role[]>([]);
  const [submitted, setSubmitted] = useState(false);

  const submit = () => {
    setSubmitted(true);
    if (!name.trim()) return;
    const fields: GroupFields = {
      name: name.trim(),
      description: description.trim(),
      memberIds: toIds(memberIds),
    };
    if (group) update.mutate({ id: group.id, ...fields }, { onSuccess: onClose });
    else create.mutate({ ...fields, roles }, { onSuccess: onClose });
  };

  return (
    <FormModal
      title={group ? t('groups.editTitle', { name: group.name }) : t('groups.createTitle')}
      size="lg"
      onClose={onClose}
      onSubmit={submit}
    >
      <TextInput
        label={t('groups.name')}
        value={name}
        onChange={(event) => setName(event.currentTarget.value)}
        required
        error={submitted && !name.trim() ? t('validation.required') : undefined}
        data-autofocus
      />
      <Textarea
        label={t('groups.descriptionLabel')}
        value={description}
        onChange={(event) => setDescription(event.currentTarget.value)}
        autosize
        minRows={2}
      />
      <MultiSelect
        label={t('groups.members')}
        placeholder={memberIds.length ? undefined : t('groups.membersPlaceholder')}
        data={userOptions(users.data, group?.members)}
        value={memberIds}
        onChange={setMemberIds}
        searchable
        clearable
        nothingFoundMessage={users.isPending ? t('common.loading') : t('common.nothingFound')}
        hidePickedOptions
      />
      {users.error && <ErrorAlert error={users.error} focus={false} />}
      {!group && <RoleCheckboxes value={roles} onChange={setRoles} />}
      <ModalFooter
        submitLabel={group ? t('common.saveChanges') : t('groups.create')}
        pending={mutation.isPending}
        error={mutation.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
