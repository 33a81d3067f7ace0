import { Button, Menu } from '@mantine/core';
import { IconCheck, IconLanguage } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { currentLanguage, LANGUAGE_NAMES } from '../../i18n';
import { LANGUAGES, type Language } from '../api/types';
import { useChangeLanguage } from '../session/session.hooks';

/** The language menu of the header and the sign-in pages. */
export function LanguageSwitcher() {
  const { t } = useTranslation();
  const changeLanguage = useChangeLanguage();
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          variant="subtle"
          color="gray"
          leftSection={<IconLanguage size={18} aria-hidden />}
          aria-label={t('language.choose')}
          loading={changeLanguage.isPending}
          data-testid="language-switcher"
        >
          {currentLanguage().toUpperCase()}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <LanguageMenuItems onChoose={(language) => changeLanguage.mutate(language)} />
      </Menu.Dropdown>
    </Menu>
  );
}

/** The languages as items of a menu, under the heading "Language"; the current one is checked. */
export function LanguageMenuItems({ onChoose }: { onChoose: (language: Language) => void }) {
  const { t } = useTranslation();
  const language = currentLanguage();
  return (
    <>
      <Menu.Label>{t('language.label')}</Menu.Label>
      {LANGUAGES.map((option) => (
        <Menu.Item
          key={option}
          lang={option}
          onClick={() => onChoose(option)}
          rightSection={option === language ? <IconCheck size={16} aria-hidden /> : undefined}
          aria-current={option === language ? 'true' : undefined}
        >
          {LANGUAGE_NAMES[option]}
        </Menu.Item>
      ))}
    </>
  );
}
