import {
  ActionIcon,
  Autocomplete,
  Button,
  Checkbox,
  Collapse,
  Drawer,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { IconAdjustmentsHorizontal, IconHelp, IconSearch, IconX } from '@tabler/icons-react';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shared/components/error-alert';
import { LoadingState } from '../shared/components/loading-state';
import type { ListState } from './list-state';
import { buildQuery, EMPTY_ADVANCED, parseAdvanced, type AdvancedSearch } from './search-query';
import { useMailboxes, useSearchHelp } from './webaccess.api';

interface SearchBarProps {
  state: ListState;
  /** Runs the search: the query goes into the address. */
  onSearch: (q: string) => void;
}

/**
 * One box for the query language (docs/search.md), the "Advanced search" form that writes the same
 * language into it, and the language's help in a drawer.
 */
export function SearchBar({ state, onSearch }: SearchBarProps) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState(state.q);
  const [shownQ, setShownQ] = useState(state.q);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const advancedId = useId();

  // The address changed (back button, a link, a bookmark): the box shows its search.
  if (shownQ !== state.q) {
    setShownQ(state.q);
    setDraft(state.q);
  }

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(draft.trim());
  };

  const clear = () => {
    setDraft('');
    onSearch('');
  };

  return (
    <Stack gap="xs" className="pv-wa-search">
      <form onSubmit={submit} role="search" aria-label={t('webaccess.search.label')}>
        <Group gap="xs" wrap="nowrap" align="flex-start">
          <TextInput
            className="pv-wa-search-input"
            type="search"
            aria-label={t('webaccess.search.label')}
            placeholder={t('webaccess.search.placeholder')}
            value={draft}
            onChange={(event) => setDraft(event.currentTarget.value)}
            leftSection={<IconSearch size={16} aria-hidden />}
            rightSection={
              draft ? (
                <ActionIcon
                  variant="subtle"
                  color="gray"
                  size="sm"
                  aria-label={t('webaccess.search.clear')}
                  onClick={clear}
                >
                  <IconX size={14} aria-hidden />
                </ActionIcon>
              ) : undefined
            }
            autoComplete="off"
            spellCheck={false}
            data-testid="search-input"
          />
          <Button type="submit">{t('webaccess.search.submit')}</Button>
          <Button
            variant={advancedOpen ? 'light' : 'default'}
            leftSection={<IconAdjustmentsHorizontal size={16} aria-hidden />}
            aria-expanded={advancedOpen}
            aria-controls={advancedId}
            onClick={() => setAdvancedOpen((open) => !open)}
            visibleFrom="md"
          >
            {t('webaccess.search.advanced')}
          </Button>
          <Tooltip label={t('webaccess.search.help')}>
            <ActionIcon
              variant="default"
              size="input-sm"
              aria-label={t('webaccess.search.help')}
              onClick={() => setHelpOpen(true)}
            >
              <IconHelp size={18} aria-hidden />
            </ActionIcon>
          </Tooltip>
        </Group>
      </form>
      <Button
        variant="subtle"
        size="compact-sm"
        hiddenFrom="md"
        leftSection={<IconAdjustmentsHorizontal size={16} aria-hidden />}
        aria-expanded={advancedOpen}
        aria-controls={advancedId}
        onClick={() => setAdvancedOpen((open) => !open)}
        style={{ alignSelf: 'flex-start' }}
      >
        {t('webaccess.search.advanced')}
      </Button>
      <Collapse expanded={advancedOpen} id={advancedId}>
        {advancedOpen && (
          <AdvancedSearchForm
            query={draft}
            state={state}
            onSearch={(q) => {
              setDraft(q);
              setAdvancedOpen(false);
              onSearch(q);
            }}
            onCancel={() => setAdvancedOpen(false)}
          />
        )}
      </Collapse>
      <SearchHelpDrawer opened={helpOpen} onClose={() => setHelpOpen(false)} />
    </Stack>
  );
}

function AdvancedSearchForm(props: {
  query: string;
  state: ListState;
  onSearch: (q: string) => void;
  onCancel: () => void;
}) {
  const { query, state, onSearch, onCancel } = props;
  const { t } = useTranslation();
  const mailboxes = useMailboxes();
  const parsed = useMemo(() => parseAdvanced(query), [query]);
  const [form, setForm] = useState<AdvancedSearch>(parsed ?? EMPTY_ADVANCED);
  const set = <K extends keyof AdvancedSearch>(key: K, value: AdvancedSearch[K]) =>
    setForm((current) => ({ ...current, [key]: value }));
  const preview = buildQuery(form);
  const titleId = useId();

  // Folder paths to pick from: the chosen mailbox's, or every readable one's.
  const folderPaths = useMemo(() => {
    const data = mailboxes.data;
    if (!data) return [];
    const all = [...data.mine, ...data.shared, ...data.others];
    const scope = state.mailboxId === null ? all : all.filter((mailbox) => mailbox.id === state.mailboxId);
    return [...new Set(scope.flatMap((mailbox) => mailbox.folders.map((folder) => folder.path)))].sort();
  }, [mailboxes.data, state.mailboxId]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch(preview);
  };

  return (
    <Paper
      withBorder
      p="md"
      component="form"
      onSubmit={submit}
      noValidate
      aria-labelledby={titleId}
      data-testid="advanced-search"
    >
      <Stack gap="sm">
        <Text fw={600} id={titleId}>
          {t('webaccess.search.advancedTitle')}
        </Text>
        {parsed === null && query.trim() !== '' && (
          <Text size="sm" c="dimmed">
            {t('webaccess.search.advancedReplaces')}
          </Text>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
          <TextInput
            label={t('webaccess.search.from')}
            value={form.from}
            onChange={(event) => set('from', event.currentTarget.value)}
            autoComplete="off"
            spellCheck={false}
            autoFocus
          />
          <TextInput
            label={t('webaccess.search.to')}
            value={form.to}
            onChange={(event) => set('to', event.currentTarget.value)}
            autoComplete="off"
            spellCheck={false}
          />
          <TextInput
            label={t('webaccess.search.subject')}
            value={form.subject}
            onChange={(event) => set('subject', event.currentTarget.value)}
            autoComplete="off"
          />
          <TextInput
            label={t('webaccess.search.words')}
            description={t('webaccess.search.wordsHint')}
            value={form.words}
            onChange={(event) => set('words', event.currentTarget.value)}
            autoComplete="off"
          />
          <TextInput
            type="date"
            label={t('webaccess.search.after')}
            description={t('webaccess.search.afterHint')}
            value={form.after}
            onChange={(event) => set('after', event.currentTarget.value)}
          />
          <TextInput
            type="date"
            label={t('webaccess.search.before')}
            description={t('webaccess.search.beforeHint')}
            value={form.before}
            onChange={(event) => set('before', event.currentTarget.value)}
          />
          <Autocomplete
            label={t('webaccess.search.folder')}
            description={t('webaccess.search.folderHint')}
            value={form.folder}
            onChange={(value) => set('folder', value)}
            data={folderPaths}
            limit={50}
            autoComplete="off"
          />
          <Checkbox
            label={t('webaccess.search.hasAttachment')}
            checked={form.hasAttachment}
            onChange={(event) => set('hasAttachment', event.currentTarget.checked)}
            mt={{ base: 0, sm: 'xl' }}
          />
        </SimpleGrid>
        <Text size="sm" c="dimmed">
          {t('webaccess.search.preview')}{' '}
          <code className="pv-wa-query-preview" data-testid="advanced-preview">
            {preview || '—'}
          </code>
        </Text>
        <Group justify="flex-end" gap="xs">
          <Button variant="default" onClick={() => setForm(EMPTY_ADVANCED)}>
            {t('webaccess.search.reset')}
          </Button>
          <Button variant="default" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" leftSection={<IconSearch size={16} aria-hidden />}>
            {t('webaccess.search.submit')}
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

/** The query language's help, as the server words it (Markdown, shown as readable plain text). */
function SearchHelpDrawer({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const help = useSearchHelp(opened);
  return (
    <Drawer
      opened={opened}
      onClose={onClose}
      position="right"
      size="xl"
      title={t('webaccess.search.helpTitle')}
      closeButtonProps={{ 'aria-label': t('common.close') }}
    >
      {help.isPending && <LoadingState />}
      {help.isError && <ErrorAlert error={help.error} onRetry={() => void help.refetch()} />}
      {help.data && (
        <pre className="pv-wa-help" data-testid="search-help">
          {help.data.text}
        </pre>
      )}
    </Drawer>
  );
}
