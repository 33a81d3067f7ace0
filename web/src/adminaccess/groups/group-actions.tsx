import { ActionIcon, Group as MantineGroup, Tooltip } from '@mantine/core';
import { IconEdit, IconTool, IconTrash } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Group } from '../../shared/api/types';
import type { GroupDialog } from './group-dialogs';

/** Edit, the wrench for roles, delete. */
export function GroupActions({ group, open }: { group: Group; open: (dialog: GroupDialog) => void }) {
  const { t } = useTranslation();
  return (
    <MantineGroup gap={4} wrap="nowrap" justify="flex-end">
      <Tooltip label={t('groups.edit')}>
        <ActionIcon
          variant="subtle"
          aria-label={t('groups.edit')}
          onClick={() => open({ kind: 'edit', group })}
        >
          <IconEdit size={18} aria-hidden />
        </ActionIcon>
      </Tooltip>
      <Tooltip label={t('groups.editRoles')}>
        <ActionIcon
          variant="subtle"
          color="grape"
          aria-label={t('groups.editRoles')}
          onClick={() => open({ kind: 'roles', group })}
          data-testid={`edit-roles-${group.id}`}
        >
          <IconTool size={18} aria-hidden />
        </ActionIcon>
      </Tooltip>
      <Tooltip label={t('groups.delete')}>
        <ActionIcon
          variant="subtle"
          color="red"
          aria-label={t('groups.delete')}
          onClick={() => open({ kind: 'delete', group })}
        >
          <IconTrash size={18} aria-hidden />
        </ActionIcon>
      </Tooltip>
    </MantineGroup>
  );
}
