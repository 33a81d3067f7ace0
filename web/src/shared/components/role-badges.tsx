import { Badge, Group, Text } from '@mantine/core';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Origin, Role } from '../api/types';

export function roleLabel(t: TFunction, role: Role): string {
  switch (role) {
    case 'admin':
      return t('roles.admin');
    case 'reader':
      return t('roles.reader');
    case 'auditor':
      return t('roles.auditor');
    case 'compliance':
      return t('roles.compliance');
  }
}

export function roleDescription(t: TFunction, role: Role): string {
  switch (role) {
    case 'admin':
      return t('roles.adminDescription');
    case 'reader':
      return t('roles.readerDescription');
    case 'auditor':
      return t('roles.auditorDescription');
    case 'compliance':
      return t('roles.complianceDescription');
  }
}

const ROLE_COLORS: Record<Role, string> = {
  admin: 'grape',
  reader: 'blue',
  auditor: 'orange',
  compliance: 'teal',
};

export function RoleBadges({ roles, emptyText }: { roles: Role[]; emptyText?: string }) {
  const { t } = useTranslation();
  if (roles.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        {emptyText ?? t('roles.none')}
      </Text>
    );
  }
  return (
    <Group gap={4}>
      {roles.map((role) => (
        <Badge key={role} color={ROLE_COLORS[role]} variant="light">
          {roleLabel(t, role)}
        </Badge>
      ))}
    </Group>
  );
}

export function originLabel(t: TFunction, origin: Origin): string {
  switch (origin) {
    case 'local':
      return t('origin.local');
    case 'entra':
      return t('origin.entra');
    case 'ldap':
      return t('origin.ldap');
  }
}

export function OriginBadge({ origin }: { origin: Origin }) {
  const { t } = useTranslation();
  return (
    <Badge variant="outline" color={origin === 'local' ? 'gray' : 'indigo'}>
      {originLabel(t, origin)}
    </Badge>
  );
}
