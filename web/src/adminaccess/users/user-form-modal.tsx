import { Alert, PasswordInput, Switch, Text, TextInput } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { User } from '../../shared/api/types';
import { MIN_PASSWORD_LENGTH } from '../../shared/auth/change-password-modal';
import {
  AddressListInput,
  formatAddressList,
  parseAddressList,
} from '../../shared/components/address-list-input';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import { useCurrentSession } from '../../shared/session/session.hooks';
import { useCreateUser, useUpdateUser, type UserUpdate } from '../admin.api';

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Other addresses as shown: `addresses` without the primary one. */
export function otherAddresses(user: Pick<User, 'primaryAddress' | 'addresses'>): string[] {
  return user.addresses.filter((address) => address !== user.primaryAddress);
}

interface UserFormModalProps {
  /** Absent: create a user. */
  user?: User;
  onClose: () => void;
  onCreated?: (user: User, password: string | undefined) => void;
}

export function UserFormModal({ user, onClose, onCreated }: UserFormModalProps) {
  const { t } = useTranslation();
  const session = useCurrentSession();
  const create = useCreateUser();
  const update = useUpdateUser();
  const mutation = user ? update : create;
  const [name, setName] = useState('');
  const [displayName, setDisplayName] = useState(user?.displayName ?? '');
  const [primaryAddress, setPrimaryAddress] = useState(user?.primaryAddress ?? '');
  const [addresses, setAddresses] = useState(() => (user ? formatAddressList(otherAddresses(user)) : ''));
  const [password, setPassword] = useState('');
  const [disabled, setDisabled] = useState(user?.disabled ?? false);
  const [submitted, setSubmitted] = useState(false);
  // Name and addresses of synchronized users come from their directory.
  const local = !user || user.origin === 'local';

  const nameError = submitted && !user && !name.trim() ? t('validation.required') : undefined;
  const passwordError =
    password && password.length < MIN_PASSWORD_LENGTH
      ? t('password.tooShort', { count: MIN_PASSWORD_LENGTH })
      : undefined;

  const submit = () => {
    setSubmitted(true);
    const primary = primaryAddress.trim();
    const others = parseAddressList(addresses);
    // The API's `addresses` is the whole list (primary included); the primary is always sent with it,
    // so that replacing the list never moves the primary role to another address.
    const allAddresses = primary ? [primary, ...others.filter((address) => address !== primary)] : others;
    if (!user) {
      if (!name.trim() || passwordError) return;
      create.mutate(
        {
          name: name.trim(),
          displayName: displayName.trim() || undefined,
          primaryAddress: primary || undefined,
          addresses: allAddresses.length ? allAddresses : undefined,
          password: password || undefined,
        },
        { onSuccess: (answer) => onCreated?.(answer.user, answer.password) },
      );
      return;
    }
    // Only what changed is sent; synchronized users keep their profile (the directory owns it).
    const changes: UserUpdate = {};
    if (local) {
      if (displayName.trim() !== user.displayName) changes.displayName = displayName.trim();
      if (primary !== (user.primaryAddress ?? '') || !sameList(others, otherAddresses(user))) {
        changes.primaryAddress = primary || null;
        changes.addresses = allAddresses;
      }
    }
    if (disabled !== user.disabled) changes.disabled = disabled;
    if (Object.keys(changes).length === 0) {
      onClose();
      return;
    }
    update.mutate({ id: user.id, ...changes }, { onSuccess: onClose });
  };

  const slug = session.tenant?.slug ?? t('users.tenantExample');
  return (
    <FormModal
      title={user ? t('users.editTitle', { login: user.login }) : t('users.createTitle')}
      size="lg"
      onClose={onClose}
      onSubmit={submit}
    >
      {!local && (
        <Alert variant="light" icon={<IconInfoCircle aria-hidden />}>
          {t('users.syncedHint')}
        </Alert>
      )}
      {user ? (
        <Text size="sm">
          {t('users.login')}: <strong>{user.login}</strong>
        </Text>
      ) : (
        <TextInput
          label={t('users.name')}
          description={t('users.nameHint', { login: `${name.trim() || t('users.nameExample')}@${slug}` })}
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          autoCapitalize="none"
          spellCheck={false}
          required
          error={nameError}
          data-autofocus
        />
      )}
      <TextInput
        label={t('users.displayName')}
        value={displayName}
        onChange={(event) => setDisplayName(event.currentTarget.value)}
        readOnly={!local}
        data-autofocus={user && local ? true : undefined}
      />
      <TextInput
        type="email"
        label={t('users.primaryAddress')}
        value={primaryAddress}
        onChange={(event) => setPrimaryAddress(event.currentTarget.value)}
        autoCapitalize="none"
        spellCheck={false}
        readOnly={!local}
      />
      <AddressListInput
        label={t('users.otherAddresses')}
        value={addresses}
        onChange={setAddresses}
        readOnly={!local}
      />
      {!user && (
        <PasswordInput
          label={t('users.password')}
          description={t('users.passwordHint', { count: MIN_PASSWORD_LENGTH })}
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          autoComplete="new-password"
          error={passwordError}
          visibilityToggleButtonProps={{ 'aria-label': t('common.showCharacters') }}
        />
      )}
      {user && (
        <Switch
          label={t('users.disabled')}
          description={t('users.disabledHint')}
          checked={disabled}
          onChange={(event) => setDisabled(event.currentTarget.checked)}
          data-autofocus={local ? undefined : true}
        />
      )}
      <ModalFooter
        submitLabel={user ? t('common.saveChanges') : t('users.create')}
        pending={mutation.isPending}
        error={mutation.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
