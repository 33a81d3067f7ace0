import { Button, Table, TextInput } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Domain } from '../../shared/api/types';
import { DeleteDialog } from '../../shared/components/delete-dialog';
import { EmptyState } from '../../shared/components/empty-state';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { ListTable } from '../../shared/components/list-table';
import { QueryStates } from '../../shared/components/query-states';
import { OriginBadge } from '../../shared/components/role-badges';
import { RowAction, RowActions } from '../../shared/components/row-action';
import { useFormat } from '../../shared/format';
import { useCreateDomain, useDeleteDomain, useDomains } from '../admin.api';
import { SectionTitle } from '../section-title';

type Dialog = { kind: 'add' } | { kind: 'delete'; domain: Domain } | null;

export function DomainsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const domains = useDomains();
  const remove = useDeleteDomain();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const addButton = (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setDialog({ kind: 'add' })}>
      {t('domains.add')}
    </Button>
  );
  const columns = [t('domains.name'), t('domains.origin'), t('common.created')];
  return (
    <>
      <SectionTitle title={t('domains.title')} actions={addButton} />
      <QueryStates
        query={domains}
        empty={<EmptyState title={t('domains.emptyTitle')} description={t('domains.emptyDescription')} />}
      >
        {(data) => (
          <ListTable label={t('domains.title')} columns={columns} withActions>
            {data.map((domain) => (
              <Table.Tr key={domain.id}>
                <Table.Td fw={500}>{domain.name}</Table.Td>
                <Table.Td>
                  <OriginBadge origin={domain.origin} />
                </Table.Td>
                <Table.Td>{format.date(domain.createdAt)}</Table.Td>
                <Table.Td>
                  <RowActions>
                    <RowAction
                      label={t('domains.delete')}
                      icon={IconTrash}
                      color="red"
                      onClick={() => setDialog({ kind: 'delete', domain })}
                      disabledReason={domain.origin === 'local' ? undefined : t('domains.deleteSynced')}
                    />
                  </RowActions>
                </Table.Td>
              </Table.Tr>
            ))}
          </ListTable>
        )}
      </QueryStates>
      {dialog?.kind === 'add' && <AddDomainModal onClose={close} />}
      {dialog?.kind === 'delete' && (
        <DeleteDialog
          title={t('domains.deleteTitle')}
          message={t('domains.deleteMessage', { name: dialog.domain.name })}
          confirmLabel={t('domains.delete')}
          typeToConfirm={dialog.domain.name}
          mutation={remove}
          variables={dialog.domain.id}
          deletedMessage={t('domains.deleted', { name: dialog.domain.name })}
          onClose={close}
        />
      )}
    </>
  );
}

function AddDomainModal({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const create = useCreateDomain();
  const [name, setName] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const submit = () => {
    setSubmitted(true);
    if (!name.trim()) return;
    create.mutate(name.trim().toLowerCase(), { onSuccess: onClose });
  };
  return (
    <FormModal title={t('domains.addTitle')} onClose={onClose} onSubmit={submit}>
      <TextInput
        label={t('domains.name')}
        placeholder="example.com"
        value={name}
        onChange={(event) => setName(event.currentTarget.value)}
        autoCapitalize="none"
        spellCheck={false}
        required
        error={submitted && !name.trim() ? t('validation.required') : undefined}
        data-autofocus
      />
      <ModalFooter
        submitLabel={t('domains.add')}
        pending={create.isPending}
        error={create.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
