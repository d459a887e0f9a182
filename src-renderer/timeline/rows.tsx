// One row of the timeline each: a message, a notice of the core, a change of the conversation's
// state. Memoised on their data objects (which the stores keep when nothing changed), so an
// incoming message renders its own row and no other.
import { memo } from 'react';
import type { ChatMessage, DeliveryState } from '../../src-shared/ipc/contract';
import type { OtrNotice, OtrNoticeKind, OtrTrustState } from '../../src-shared/ipc/otr-contract';
import { EncryptedMarker } from '../otr/EncryptedMarker';
import { Fingerprint } from '../otr/Fingerprint';
import { noticeWords } from '../otr/notice-words';
import type { OtrStateEvent } from '../otr/otr-store';
import { PrekeyServerKeyChoice } from '../otr/PrekeyServerKeyChoice';

const deliveryWords: Record<DeliveryState, string> = {
  pending: 'Sending…',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Not delivered',
};

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

function When({ at }: { at: number }) {
  const when = new Date(at);
  return (
    <time dateTime={when.toISOString()} title={`${dayFormat.format(when)} ${timeFormat.format(when)}`}>
      {timeFormat.format(when)}
    </time>
  );
}

/** `highlight`: the message a search result opened the conversation at (focusable, so that the focus can go to it) */
export const MessageRow = memo(function MessageRow({ m, waiting, highlight = false }: { m: ChatMessage; waiting: boolean; highlight?: boolean }) {
  return (
    <li
      className={`message ${m.direction}${highlight ? ' highlight' : ''}`}
      data-kind="message"
      data-key={`m:${m.id}`}
      data-delivery={m.direction === 'out' ? m.delivery : undefined}
      data-highlight={highlight ? 'true' : undefined}
      tabIndex={highlight ? -1 : undefined}
    >
      {m.elsewhere ? (
        // issue 13: a private message from another of our devices, whose OTR session is its own
        <p className="body elsewhere">Sent privately from another of your devices. Only that device can read it.</p>
      ) : (
        <p className="body">{m.body}</p>
      )}
      <p className="meta">
        <When at={m.timestamp} />
        {/* OTR (docs/architecture.md §6): every message says whether it was encrypted, or waits for a private conversation. */}
        <EncryptedMarker encrypted={m.encrypted} waiting={waiting} />
        {/* issue 13: the contact writes from several devices; the core names the one this came from (in words, not a colour) */}
        {m.direction === 'in' && m.device && (
          <span className="device" data-device={m.device} title="The contact's device this message came from">
            from {m.device}
          </span>
        )}
        {m.direction === 'out' && m.resent && (
          <span className="resent" title="Their device could not read the first copy; sent again in a new private conversation">
            Re-sent
          </span>
        )}
        {m.direction === 'out' && <span className={`delivery ${m.delivery}`}>{deliveryWords[m.delivery]}</span>}
      </p>
    </li>
  );
});

/** notices that warn (role alert while new, red): something the user should look at */
const WARNINGS: ReadonlySet<OtrNoticeKind> = new Set(['fingerprint-changed', 'prekey-server-changed', 'smp-failed', 'unreadable', 'peer-error']);

export const NoticeRow = memo(function NoticeRow({ n, onVerify }: { n: OtrNotice; onVerify: () => void }) {
  return (
    <li className={`event otr-notice otr-${n.kind}${WARNINGS.has(n.kind) ? ' warning' : ''}`} data-kind="event" data-key={`n:${n.id}`} data-notice={n.kind}>
      <p>
        <When at={n.at} /> {noticeWords(n)}
      </p>
      {n.kind === 'prekey-server-changed' ? (
        <PrekeyServerKeyChoice notice={n} />
      ) : (
        n.fingerprint && (
          <p>
            {n.kind === 'new-device' ? 'Its fingerprint' : 'New fingerprint'}: <Fingerprint hex={n.fingerprint} />
          </p>
        )
      )}
      {/* a key change needs an answer: it stays answerable here, where it happened */}
      {n.kind === 'fingerprint-changed' && (
        <div className="row">
          <button type="button" className="primary" onClick={onVerify}>
            Verify now
          </button>
        </div>
      )}
      {/* issue 13: a new device of the contact; its session is the one the header (and the verify dialog) shows now */}
      {n.kind === 'new-device' && (
        <div className="row">
          <button type="button" onClick={onVerify} aria-label={`Verify the new device of ${n.peer}`}>
            Verify
          </button>
        </div>
      )}
    </li>
  );
});

function stateEventWords(ev: OtrStateEvent, peer: string): string | null {
  const { from, to } = ev;
  const wasPrivate = (s: OtrTrustState) => s === 'private-unverified' || s === 'private-verified';
  if (to === 'private-verified' && from === 'private-unverified') return `${peer} is verified: this private conversation is with them.`;
  if (to === 'private-verified') return `Private conversation started with ${peer} (verified).`;
  if (to === 'private-unverified' && from === 'private-verified') return `The private conversation with ${peer} uses a key you have not verified.`;
  if (to === 'private-unverified') return `Private conversation started with ${peer}. Verify them to be sure no one is in between.`;
  if (to === 'not-private' && (wasPrivate(from) || from === 'finished')) return `The private conversation with ${peer} ended. Messages are not encrypted now.`;
  // 'finished' is said by the core's ended-by-peer notice
  return null;
}

export const StateRow = memo(function StateRow({ ev, peer }: { ev: OtrStateEvent; peer: string }) {
  const words = stateEventWords(ev, peer);
  if (!words) return null;
  return (
    <li className={`event otr-state otr-${ev.to}`} data-kind="event" data-key={`s:${ev.id}`} data-state-event={ev.to}>
      <p>
        <When at={ev.at} /> {words}
      </p>
    </li>
  );
});
