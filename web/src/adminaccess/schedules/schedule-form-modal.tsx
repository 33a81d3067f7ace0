import { Checkbox, Group, NumberInput, Select, SimpleGrid, Switch, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import type { TFunction } from 'i18next';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../shared/components/error-alert';
import { FormModal, ModalFooter } from '../../shared/components/form-modal';
import {
  configurationLabel,
  describeRecurrence,
  intervalLabel,
  jobTypeLabel,
  recurrenceKindLabel,
  weekdayName,
} from './schedule-labels';
import {
  EVERY_MINUTES,
  RECURRENCE_KINDS,
  WEEKDAYS,
  useJobConfigurations,
  useSaveSchedule,
  type JobConfiguration,
  type Recurrence,
  type RecurrenceKind,
  type Schedule,
  type ScheduleUpdate,
  type Weekday,
} from './schedules.api';

/** A configuration to schedule, as its row shows it (the clock icon's props). */
export interface ScheduleTarget {
  jobType: string;
  configId: number | null;
  configName: string;
}

interface ScheduleFormModalProps {
  /** Editing this schedule; what it runs is shown but cannot change. */
  schedule?: Schedule;
  /** A new schedule for this configuration (shown read-only); without it, the dialog offers a choice. */
  target?: ScheduleTarget;
  onClose: () => void;
}

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** The browser's time zone, the default of a new schedule. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every IANA zone the browser knows, with UTC and the given ones (a schedule's own) surely among them. */
function timeZoneOptions(...extra: string[]): string[] {
  let zones: string[];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return [...new Set([...zones, 'UTC', ...extra])].sort((a, b) => a.localeCompare(b));
}

/** The wall-clock date and time 'YYYY-MM-DDTHH:mm' in a zone at an instant; null for an unknown zone. */
export function localDateTime(timeZone: string, ms: number): string | null {
  try {
    const parts = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(ms);
    const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
    return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}`;
  } catch {
    return null;
  }
}

const configKey = (configuration: { jobType: string; configId: number | null }) =>
  `${configuration.jobType}:${configuration.configId ?? ''}`;

interface Draft {
  kind: RecurrenceKind;
  date: string;
  /** The time of once, daily, weekly and monthly. */
  time: string;
  every: string;
  minute: number | '';
  days: Weekday[];
  day: number | '';
}

/** A once schedule's default: the next full hour at least half an hour away, in the zone. */
function soonInZone(timeZone: string | null): { date: string; time: string } | null {
  const soon = timeZone ? localDateTime(timeZone, Date.now() + 90 * 60_000) : null;
  return soon ? { date: soon.slice(0, 10), time: `${soon.slice(11, 13)}:00` } : null;
}

function initialDraft(recurrence: Recurrence | undefined, timeZone: string): Draft {
  const draft: Draft = {
    kind: 'daily',
    date: soonInZone(timeZone)?.date ?? '',
    time: '02:00',
    every: '60',
    minute: 0,
    days: ['mon'],
    day: 1,
  };
  switch (recurrence?.kind) {
    case undefined:
      return draft;
    case 'once':
      return { ...draft, kind: 'once', date: recurrence.at.slice(0, 10), time: recurrence.at.slice(11, 16) };
    case 'minutes':
      return { ...draft, kind: 'minutes', every: String(recurrence.every) };
    case 'hourly':
      return { ...draft, kind: 'hourly', minute: recurrence.minute };
    case 'daily':
      return { ...draft, kind: 'daily', time: recurrence.time };
    case 'weekly':
      return { ...draft, kind: 'weekly', days: recurrence.days, time: recurrence.time };
    case 'monthly':
      return { ...draft, kind: 'monthly', day: recurrence.day, time: recurrence.time };
  }
}

type DraftErrors = Partial<Record<'date' | 'time' | 'minute' | 'days' | 'day' | 'timeZone', string>>;

/** The recurrence the draft describes, or what is wrong with it (translated, per field). */
function toRecurrence(
  draft: Draft,
  timeZone: string | null,
  t: TFunction,
): { recurrence: Recurrence | null; errors: DraftErrors } {
  const errors: DraftErrors = {};
  if (!timeZone) errors.timeZone = t('validation.required');
  const needsTime = draft.kind !== 'minutes' && draft.kind !== 'hourly';
  if (needsTime && !TIME_RE.test(draft.time))
    errors.time = draft.time ? t('schedules.invalidTime') : t('validation.required');
  let recurrence: Recurrence | null = null;
  switch (draft.kind) {
    case 'once': {
      if (!DATE_RE.test(draft.date)) {
        errors.date = draft.date ? t('schedules.invalidDate') : t('validation.required');
        break;
      }
      const at = `${draft.date}T${draft.time}`;
      // At least a minute ahead, as the server asks (it checks again, against its own clock).
      const earliest = timeZone ? localDateTime(timeZone, Date.now() + 60_000) : null;
      if (!errors.time && earliest !== null && at <= earliest) errors.date = t('schedules.onceInPast');
      recurrence = { kind: 'once', at };
      break;
    }
    case 'minutes':
      recurrence = { kind: 'minutes', every: Number(draft.every) };
      break;
    case 'hourly':
      if (draft.minute === '' || !Number.isInteger(draft.minute) || draft.minute < 0 || draft.minute > 59)
        errors.minute = t('schedules.minuteRange');
      recurrence = { kind: 'hourly', minute: Number(draft.minute) };
      break;
    case 'daily':
      recurrence = { kind: 'daily', time: draft.time };
      break;
    case 'weekly':
      if (draft.days.length === 0) errors.days = t('schedules.daysRequired');
      recurrence = { kind: 'weekly', days: draft.days, time: draft.time };
      break;
    case 'monthly':
      if (draft.day === '' || !Number.isInteger(draft.day) || draft.day < 1 || draft.day > 31)
        errors.day = t('schedules.dayRange');
      recurrence = { kind: 'monthly', day: Number(draft.day), time: draft.time };
      break;
  }
  return { recurrence: Object.keys(errors).length === 0 ? recurrence : null, errors };
}

/**
 * Add or edit a schedule: what it runs (chosen when adding without a given configuration, read-only
 * otherwise), how it repeats, in which time zone, and whether it is enabled.
 */
export function ScheduleFormModal({ schedule, target, onClose }: ScheduleFormModalProps) {
  const { t, i18n } = useTranslation();
  const choosing = !schedule && !target;
  const configurations = useJobConfigurations();
  const save = useSaveSchedule();
  const [chosen, setChosen] = useState<string | null>(null);
  const [timeZone, setTimeZone] = useState<string | null>(schedule?.timeZone ?? browserTimeZone());
  const [draft, setDraft] = useState<Draft>(() =>
    initialDraft(schedule?.recurrence, schedule?.timeZone ?? browserTimeZone()),
  );
  const [enabled, setEnabled] = useState(schedule?.enabled ?? true);
  const [submitted, setSubmitted] = useState(false);
  const zones = useMemo(() => timeZoneOptions(browserTimeZone(), schedule?.timeZone ?? 'UTC'), [schedule]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  // Switching to once: a date and time that lie ahead, unless the ones already entered do.
  const changeKind = (kind: RecurrenceKind) =>
    setDraft((current) => {
      const now = timeZone ? localDateTime(timeZone, Date.now()) : null;
      const soon = soonInZone(timeZone);
      const ahead = now !== null && `${current.date}T${current.time}` > now;
      return kind === 'once' && !ahead && soon ? { ...current, kind, ...soon } : { ...current, kind };
    });

  const options = (configurations.data ?? []).map((configuration: JobConfiguration) => ({
    value: configKey(configuration),
    label:
      configuration.configId === null
        ? jobTypeLabel(t, configuration.jobType)
        : `${jobTypeLabel(t, configuration.jobType)}: ${configuration.name}`,
  }));
  const chosenConfiguration = configurations.data?.find(
    (configuration) => configKey(configuration) === chosen,
  );

  // What the schedule runs when it is given, and its name.
  const fixed = schedule
    ? { jobType: schedule.jobType, configId: schedule.configId, name: schedule.configName }
    : target
      ? { jobType: target.jobType, configId: target.configId, name: target.configName }
      : undefined;
  const fixedName = fixed ? configurationLabel(t, fixed) : '';

  const { recurrence, errors } = toRecurrence(draft, timeZone, t);
  const shownErrors: DraftErrors = submitted ? errors : {};
  const configError = submitted && choosing && !chosenConfiguration ? t('validation.required') : undefined;

  const saved = (name: string) => {
    notifications.show({ color: 'teal', message: t('schedules.saved', { name }) });
    onClose();
  };

  const submit = () => {
    setSubmitted(true);
    if (!recurrence || !timeZone || save.isPending) return;
    if (schedule) {
      const changes: ScheduleUpdate = {};
      if (JSON.stringify(recurrence) !== JSON.stringify(schedule.recurrence)) changes.recurrence = recurrence;
      if (timeZone !== schedule.timeZone) changes.timeZone = timeZone;
      if (enabled !== schedule.enabled) changes.enabled = enabled;
      if (Object.keys(changes).length === 0) {
        onClose();
        return;
      }
      save.mutate({ id: schedule.id, changes }, { onSuccess: () => saved(fixedName) });
      return;
    }
    const configuration = target ?? chosenConfiguration;
    if (!configuration) return;
    const name = target
      ? fixedName
      : configurationLabel(t, {
          jobType: configuration.jobType,
          configId: configuration.configId,
          name: chosenConfiguration?.name ?? null,
        });
    save.mutate(
      {
        create: {
          jobType: configuration.jobType,
          configId: configuration.configId,
          recurrence,
          timeZone,
          enabled,
        },
      },
      { onSuccess: () => saved(name) },
    );
  };

  const title = schedule
    ? t('schedules.editTitle', { name: fixedName })
    : target
      ? t('schedules.createTitleFor', { name: fixedName })
      : t('schedules.createTitle');

  const timeInput = (
    <TextInput
      type="time"
      label={t('schedules.time')}
      value={draft.time}
      onChange={(event) => set('time', event.currentTarget.value)}
      required
      error={shownErrors.time}
    />
  );

  return (
    <FormModal title={title} size="lg" onClose={onClose} onSubmit={submit}>
      {choosing ? (
        <Select
          label={t('schedules.configuration')}
          description={t('schedules.configurationHint')}
          data={options}
          value={chosen}
          onChange={setChosen}
          searchable
          required
          withAsterisk={false}
          nothingFoundMessage={configurations.isPending ? t('common.loading') : t('common.nothingFound')}
          error={configError}
          data-autofocus
        />
      ) : (
        <TextInput
          label={t('schedules.configuration')}
          description={fixed && fixed.configId !== null ? jobTypeLabel(t, fixed.jobType) : undefined}
          value={fixedName}
          readOnly
          variant="filled"
        />
      )}
      {configurations.error && choosing && <ErrorAlert error={configurations.error} focus={false} />}
      <Select
        label={t('schedules.recurrence')}
        data={RECURRENCE_KINDS.map((kind) => ({ value: kind, label: recurrenceKindLabel(t, kind) }))}
        value={draft.kind}
        onChange={(value) => value && changeKind(value as RecurrenceKind)}
        allowDeselect={false}
        required
        withAsterisk={false}
        data-autofocus={choosing ? undefined : true}
      />
      {draft.kind === 'once' && (
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <TextInput
            type="date"
            label={t('schedules.date')}
            value={draft.date}
            onChange={(event) => set('date', event.currentTarget.value)}
            required
            error={shownErrors.date}
          />
          <TextInput
            type="time"
            label={t('schedules.time')}
            value={draft.time}
            onChange={(event) => set('time', event.currentTarget.value)}
            required
            error={shownErrors.time}
          />
        </SimpleGrid>
      )}
      {draft.kind === 'minutes' && (
        <Select
          label={t('schedules.every')}
          description={t('schedules.everyHint')}
          data={EVERY_MINUTES.map((minutes) => ({
            value: String(minutes),
            label: intervalLabel(t, minutes),
          }))}
          value={draft.every}
          onChange={(value) => value && set('every', value)}
          allowDeselect={false}
          required
          withAsterisk={false}
        />
      )}
      {draft.kind === 'hourly' && (
        <NumberInput
          label={t('schedules.minute')}
          value={draft.minute}
          onChange={(value) => set('minute', typeof value === 'number' ? value : '')}
          min={0}
          max={59}
          allowDecimal={false}
          allowNegative={false}
          required
          error={shownErrors.minute}
        />
      )}
      {draft.kind === 'daily' && timeInput}
      {draft.kind === 'weekly' && (
        <>
          <Checkbox.Group
            label={t('schedules.days')}
            value={draft.days}
            onChange={(next) =>
              set(
                'days',
                WEEKDAYS.filter((day) => next.includes(day)),
              )
            }
            error={shownErrors.days}
          >
            <Group gap="md" mt="xs">
              {WEEKDAYS.map((day) => (
                <Checkbox key={day} value={day} label={weekdayName(i18n.language, day)} />
              ))}
            </Group>
          </Checkbox.Group>
          {timeInput}
        </>
      )}
      {draft.kind === 'monthly' && (
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          <NumberInput
            label={t('schedules.dayOfMonth')}
            value={draft.day}
            onChange={(value) => set('day', typeof value === 'number' ? value : '')}
            min={1}
            max={31}
            allowDecimal={false}
            allowNegative={false}
            required
            error={shownErrors.day}
          />
          {timeInput}
        </SimpleGrid>
      )}
      {draft.kind === 'monthly' && (
        <Text size="sm" c="dimmed">
          {t('schedules.dayOfMonthHint')}
        </Text>
      )}
      <Select
        label={t('schedules.timeZone')}
        description={t('schedules.timeZoneHint')}
        data={zones}
        value={timeZone}
        onChange={setTimeZone}
        searchable
        required
        withAsterisk={false}
        limit={100}
        nothingFoundMessage={t('common.nothingFound')}
        error={shownErrors.timeZone}
      />
      <Switch
        label={t('schedules.enabledLabel')}
        description={t('schedules.enabledHint')}
        checked={enabled}
        onChange={(event) => setEnabled(event.currentTarget.checked)}
      />
      {recurrence && timeZone && (
        <Text size="sm" role="status" data-testid="schedule-summary">
          {t('schedules.summary', {
            recurrence: describeRecurrence(t, i18n.language, recurrence),
            timeZone,
          })}
        </Text>
      )}
      <ModalFooter
        submitLabel={schedule ? t('common.saveChanges') : t('schedules.create')}
        pending={save.isPending}
        error={save.error}
        onCancel={onClose}
      />
    </FormModal>
  );
}
