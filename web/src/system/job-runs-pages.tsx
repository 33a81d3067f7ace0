import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { JobRunDetailView } from '../adminaccess/process-log/job-run-detail';
import { SYSTEM_JOBS_API } from '../adminaccess/process-log/job-runs.api';
import { JobRunsList } from '../adminaccess/process-log/job-runs-list';
import { PageHeader } from '../shared/components/page-header';
import { routeId } from '../shared/route-id';

const LIST_PATH = '/system/job-runs';
const runPath = (runId: number) => `${LIST_PATH}/${runId}`;
const tenantPath = (tenantId: number) => `/system/tenants/${tenantId}`;

/**
 * System console → Job runs: every tenant's runs and the installation's, with a tenant column and a
 * filter by tenant slug; the filters are search parameters (?tenant=acme&status=failed), as in Admin Access.
 */
export function SystemJobRunsPage() {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t('jobRuns.title')} description={t('jobRuns.systemDescription')} />
      <JobRunsList
        base={SYSTEM_JOBS_API}
        label={t('jobRuns.title')}
        runPath={runPath}
        withTenant
        tenantPath={tenantPath}
      />
    </>
  );
}

/** System console → Job runs → a run (/system/job-runs/:runId); system administrators may cancel it. */
export function SystemJobRunDetailPage() {
  const { runId } = useParams();
  return (
    <JobRunDetailView
      base={SYSTEM_JOBS_API}
      runId={routeId(runId)}
      listPath={LIST_PATH}
      runPath={runPath}
      canCancel
      tenantPath={tenantPath}
    />
  );
}
