import { useParams } from 'react-router';
import { routeId } from '../../shared/route-id';
import { hasRole, useCurrentSession } from '../../shared/session/session.hooks';
import { JobRunDetailView } from './job-run-detail';
import { ADMIN_JOBS_API, ADMIN_PROCESS_LOG_PATH, adminRunPath } from './job-runs.api';

/** Admin Access → Process log → a run (/adminaccess/process-log/runs/:runId); admins may cancel it. */
export function JobRunDetailPage() {
  const { runId } = useParams();
  const session = useCurrentSession();
  const isAdmin = hasRole(session, ['admin']);
  return (
    <JobRunDetailView
      base={ADMIN_JOBS_API}
      runId={routeId(runId)}
      listPath={ADMIN_PROCESS_LOG_PATH}
      runPath={adminRunPath}
      canCancel={isAdmin}
      // Schedules is an Admin section; auditors see the schedule's description only.
      schedulesPath={isAdmin ? '/adminaccess/schedules' : undefined}
    />
  );
}
