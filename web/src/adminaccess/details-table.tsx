import { Table } from '@mantine/core';
import type { ReactNode } from 'react';

/** Label/value rows of a detail page. */
export function DetailsTable({ rows }: { rows: Array<[label: string, value: ReactNode]> }) {
  return (
    <Table variant="vertical" layout="fixed" withTableBorder>
      <Table.Tbody>
        {rows.map(([label, value]) => (
          <Table.Tr key={label}>
            <Table.Th w={220}>{label}</Table.Th>
            <Table.Td>{value}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
