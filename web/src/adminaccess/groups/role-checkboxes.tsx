import { Checkbox, Stack } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ROLES, type Role } from '../../shared/api/types';
import { roleDescription, roleLabel } from '../../shared/components/role-badges';

/** One checkbox per role, each with a short explanation of what it allows. */
export function RoleCheckboxes({
  value,
  onChange,
  autoFocus,
}: {
  value: Role[];
  onChange: (roles: Role[]) => void;
  autoFocus?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Checkbox.Group
      label={t('groups.roles')}
      value={value}
      onChange={(next) => onChange(ROLES.filter((role) => next.includes(role)))}
    >
      <Stack gap="sm" mt="xs">
        {ROLES.map((role, index) => (
          <Checkbox
            key={role}
            value={role}
            label={roleLabel(t, role)}
            description={roleDescription(t, role)}
            data-autofocus={autoFocus && index === 0 ? true : undefined}
          />
        ))}
      </Stack>
    </Checkbox.Group>
  );
}
