import { Alert, MultiSelect, Textarea, TextInput } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Group, Role } from '../../shared/api/types';
import { ErrorAlert } from '../../shared/components/error-alert';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { useCreateGroup, useUpdateGroup, useUsers, type GroupFields } from '../admin.api';
import { toIds, userOptions } from '../user-options';
import { RoleCheckboxes } from './role-checkboxes';

function sameIds(a: number[], b: number[]): boolean {
  const sorted = (ids: number[]) => [...ids].sort((x, y) => x - y).join(',');
  return sorted(a) === sorted(b);
}

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
  // Name and members of synchronized groups come from their directory; the server refuses changes.
  const local = !group || group.origin === 'local';

  const submit = () => {
    setSubmitted(true);
    if (!name.trim()) return;
    if (!group) {
      create.mutate(
        { name: name.trim(), description: description.trim(), memberIds: toIds(memberIds), roles },
        { onSuccess: onClose },
      );
      return;
    }
    // Only what changed is sent; synchronized groups keep their name and members.
    const changes: Partial<GroupFields> = {};
    if (local && name.trim() !== group.name) changes.name = name.trim();
    if (description.trim() !== group.description) changes.description = description.trim();
    const ids = toIds(memberIds);
    const currentIds = group.members.map((member) => member.id);
    if (local && !sameIds(ids, currentIds)) changes.memberIds = ids;
    if (Object.keys(changes).length === 0) {
      onClose();
      return;
    }
    update.mutate({ id: group.id, ...changes }, { onSuccess: onClose });
  };

  return (
    <FormModal
      title={group ? t('groups.editTitle', { name: group.name }) : t('groups.createTitle')}
      size="lg"
      onClose={onClose}
      onSubmit={submit}
    >
      {!local && (
        <Alert variant="light" icon={<IconInfoCircle aria-hidden />}>
          {t('groups.syncedHint')}
        </Alert>
      )}
      <TextInput
        label={t('groups.name')}
        value={name}
        onChange={(event) => setName(event.currentTarget.value)}
        required
        readOnly={!local}
        error={submitted && !name.trim() ? t('validation.required') : undefined}
        data-autofocus={local ? true : undefined}
      />
      <Textarea
        label={t('groups.descriptionLabel')}
        value={description}
        onChange={(event) => setDescription(event.currentTarget.value)}
        autosize
        minRows={2}
        data-autofocus={local ? undefined : true}
      />
      <MultiSelect
        label={t('groups.members')}
        placeholder={memberIds.length || !local ? undefined : t('groups.membersPlaceholder')}
        data={userOptions(users.data, group?.members)}
        value={memberIds}
        onChange={setMemberIds}
        searchable={local}
        clearable={local}
        readOnly={!local}
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
