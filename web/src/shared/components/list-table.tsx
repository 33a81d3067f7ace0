import { Table } from '@mantine/core';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export type ListColumn = string | { label: string; align: 'right' };

interface ListTableProps {
  /** The table's accessible name, usually the list's title. */
  label: string;
  columns: readonly ListColumn[];
  /** Adds a last column for the row actions, named for screen readers only. */
  withActions?: boolean;
  /** Narrower than this, the table scrolls sideways; without it, it never does. */
  minWidth?: number;
  /** The rows. */
  children: ReactNode;
}

/** The striped table of a list page: a header row from `columns`, then the rows. */
export function ListTable({ label, columns, withActions, minWidth, children }: ListTableProps) {
  const { t } = useTranslation();
  const table = (
    <Table striped highlightOnHover aria-label={label}>
      <Table.Thead>
        <Table.Tr>
          {columns.map((column, index) =>
            typeof column === 'string' ? (
              <Table.Th key={index}>{column}</Table.Th>
            ) : (
              <Table.Th key={index} ta={column.align}>
                {column.label}
              </Table.Th>
            ),
          )}
          {withActions && (
            <Table.Th>
              <span className="pv-visually-hidden">{t('common.actions')}</span>
            </Table.Th>
          )}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>{children}</Table.Tbody>
    </Table>
  );
  return minWidth === undefined ? (
    table
  ) : (
    <Table.ScrollContainer minWidth={minWidth}>{table}</Table.ScrollContainer>
  );
}
