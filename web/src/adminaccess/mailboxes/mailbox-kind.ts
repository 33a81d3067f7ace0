import type { TFunction } from 'i18next';
import type { MailboxKind } from '../../shared/api/types';

export function mailboxKindLabel(t: TFunction, kind: MailboxKind): string {
  switch (kind) {
    case 'user':
      return t('mailboxes.kindUser');
    case 'journal':
      return t('mailboxes.kindJournal');
    case 'shared':
      return t('mailboxes.kindShared');
  }
}
