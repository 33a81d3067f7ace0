import { useParams } from 'react-router';
import { NotFoundPage } from '../shared/components/not-found-page';
import { BASE, useListState } from './list-state';
import { MessageView } from './message-view';

/** /webaccess/messages/:messageId: one message on its own page (a link that can be shared). */
export function MessagePage() {
  const { messageId } = useParams();
  const [state] = useListState();
  const id = messageId && /^\d{1,15}$/.test(messageId) ? Number(messageId) : null;
  if (id === null || id <= 0) return <NotFoundPage home={BASE} />;
  return (
    <div className="pv-wa-message-page">
      <MessageView key={id} id={id} state={{ ...state, message: id }} standalone />
    </div>
  );
}
