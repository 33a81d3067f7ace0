import { Button, Menu } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconCheck, IconLanguage } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { currentLanguage, LANGUAGE_NAMES } from '../../i18n';
import { LANGUAGES } from '../api/types';
import { errorTitle } from '../components/error-alert';
import { useChangeLanguage } from '../session/session.hooks';

/**
 * The language menu: in the header when signed in (the choice is saved with the user) and on the
 * sign-in pages (kept in this browser). Its name is "Language: EN", the visible "EN" included.
 */
export function LanguageSwitcher() {
  const { t } = useTranslation();
  const changeLanguage = useChangeLanguage();
  const language = currentLanguage();
  const choose = (option: typeof language) =>
    changeLanguage.mutate(option, {
      onError: (error) =>
        notifications.show({
          color: 'red',
          title: t('language.saveFailed'),
          message: `${errorTitle(t, error)}: ${error.message}`,
        }),
    });
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          variant="subtle"
          color="gray"
          leftSection={<IconLanguage size={18} aria-hidden />}
          loading={changeLanguage.isPending}
          data-testid="language-switcher"
        >
          <span className="pv-visually-hidden">{t('language.choose')}: </span>
          {language.toUpperCase()}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('language.label')}</Menu.Label>
        {LANGUAGES.map((option) => (
          <Menu.Item
            key={option}
            lang={option}
            onClick={() => choose(option)}
            rightSection={option === language ? <IconCheck size={16} aria-hidden /> : undefined}
            aria-current={option === language ? 'true' : undefined}
          >
            {LANGUAGE_NAMES[option]}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}
