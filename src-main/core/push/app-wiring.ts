// Wake-ups wired into the running core (docs/push-in-the-app.md; docs/architecture.md §7): the
// push service (service.ts) meets the accounts' OTR conversations and send path here.
//   - the OTR link (otr/push-link.ts) carries the handshake's TLV 0x01A4 (with TLV 7/8);
//   - TLV 0x01A4 arriving in a private session goes to the push service with the extra symmetric
//     key of its own message (InboundTlv.extraKey);
//   - a private session coming up asks the user once per contact (handshake "asking");
//   - a message written to an offline contact with a record knocks (at most one per contact per
//     minute while unanswered: KnockLimiter), and the conversation says so;
//   - a valid knock logs the account in, starts a private session with the knocker, then runs
//     the handshake again to rotate shared_key (approved before: no prompt). Woken from sleep,
//     the session we still hold may be one the knocker no longer has (its messenger restarted
//     since): the offer waits until a session proves alive (a new one comes up, or the knocker's
//     message arrives encrypted), else it would be sent into a dead session and lost.
// Everything the user reads is an OTR notice (codes + data; src-renderer/otr/notice-words.ts).
import type { ChatMessage, Contact } from '../../../src-shared/ipc/contract';
import type { OtrNoticeData, OtrStatus } from '../../../src-shared/ipc/otr-contract';
import type { AccountSession } from '../account/session';
import type { CoreEvents } from '../account/events';
import type { OtrAccount } from '../otr/account';
import { createOtrPushLink, isPushTlv, pushKeyInput } from '../otr/push-link';
import type { PushEvent, PushService } from './service';
import { wokeUp } from './sleep';

/** what integration tests look at in a running core (as otr/identity.ts identityVaults) */
export interface PushTestHooks {
  push: PushService;
  otr(accountId: string): OtrAccount | undefined;
  /** every push event (knocks dropped, wake-ups requested) as the service emits it */
  onPushEvent(listener: (e: PushEvent) => void): () => void;
}
export const pushTestHooks = new WeakMap<object, PushTestHooks>();

export interface PushWiringDeps {
  push: PushService;
  events: CoreEvents;
  session(accountId: string): AccountSession | undefined;
  /** one line per event, without names, keys or ids */
  log?(line: string): void;
}

const REFUSAL: Record<string, Extract<OtrNoticeData, { kind: 'wake-refused' }>['reason']> = {
  'malformed-push-tlv': 'malformed',
  'oversized-push-tlv': 'oversized',
  'unexpected-push-tlv': 'unexpected',
  'invalid-extra-symmetric-key': 'bad-key',
};

const isPrivate = (state: string) => state === 'private-unverified' || state === 'private-verified';

export function wirePushIntoApp(d: PushWiringDeps) {
  const log = d.log ?? (() => {});
  const key = (accountId: string, peer: string) => `${accountId}\n${peer}`;
  /** whether the last otr.status of each conversation was private */
  const privateNow = new Map<string, boolean>();
  /** woken by these contacts: rotate shared_key once a private session with them is known alive */
  const rotateWhenAlive = new Set<string>();

  d.push.attachOtr(createOtrPushLink((accountId) => d.session(accountId)?.otr));

  const notice = (accountId: string, peer: string, data: OtrNoticeData): void => {
    void d
      .session(accountId)
      ?.otr.run((svc) => svc.notice(peer, data))
      .catch(() => {});
  };

  const rotate = (accountId: string, peer: string): void => {
    d.push.rotate(accountId, peer).catch((e: unknown) => log(`push: rotation failed: ${(e as { code?: string }).code ?? 'error'}`));
  };

  const offEvents = d.events.on((e) => {
    if (e.name === 'message.added') {
      // the knocker's message read in a private session: that session is alive, rotate in it
      const m = e.payload as ChatMessage;
      if (m.direction === 'in' && m.encrypted && rotateWhenAlive.delete(key(m.accountId, m.peer))) rotate(m.accountId, m.peer);
      return;
    }
    if (e.name === 'contact.updated') {
      // the contact is back: the next knock may go at once (KnockLimiter "while unanswered")
      const c = e.payload as Contact;
      if (c.presence !== 'offline') d.push.contactAnswered(c.accountId, c.jid);
      return;
    }
    if (e.name !== 'otr.status') return;
    const { accountId, peer, state } = e.payload as OtrStatus;
    const k = key(accountId, peer);
    const now = isPrivate(state);
    const was = privateNow.get(k) ?? false;
    privateNow.set(k, now);
    if (!now || was) return;
    // a private session just came up
    if (rotateWhenAlive.delete(k)) rotate(accountId, peer);
    else d.push.privateSessionStarted(accountId, peer);
  });

  /** a valid knock (or ChatSecure token message): log in, private session, then rotation */
  const wake = async (accountId: string, peer: string): Promise<void> => {
    const s = d.session(accountId);
    if (!s) return;
    // the user took the account offline (not asleep): offline means unreachable (push/sleep.ts)
    if (s.status === 'offline' && !s.info().asleep) {
      log('push: a knock for an account taken offline: not woken');
      return;
    }
    notice(accountId, peer, { kind: 'woken-by' });
    d.events.emit('push.notice', { accountId, peer, kind: 'woken-by', message: `${peer} woke this computer.` });
    const k = key(accountId, peer);
    if (s.status !== 'online') {
      // set before connecting: the knocker's message may be read while the account connects
      rotateWhenAlive.add(k);
      // woken: online from now on, across restarts, until the user puts it to sleep again
      wokeUp(d.push, accountId);
      await s.connect();
      // a session that still says private may be dead on the knocker's side: no offer into it
      // yet; the knocker's own start (its message waits for one) or its message settles it
      if (!rotateWhenAlive.has(k)) return;
      const status = await s.otr.run((svc) => svc.status(peer));
      if (!isPrivate(status.state)) await s.otr.run((svc) => svc.start(peer));
      return;
    }
    const status = await s.otr.run((svc) => svc.status(peer));
    if (isPrivate(status.state)) {
      rotate(accountId, peer);
      return;
    }
    rotateWhenAlive.add(k);
    await s.otr.run((svc) => svc.start(peer));
  };

  /** the push service's events that act on the accounts (the IPC events are forwarded apart) */
  const listeners = new Set<(e: PushEvent) => void>();
  const onPushEvent = (e: PushEvent): void => {
    for (const l of [...listeners]) l(e);
    switch (e.type) {
      case 'wake-requested':
        wake(e.accountId, e.peer).catch((err: unknown) => log(`push: wake-up failed: ${(err as { code?: string }).code ?? 'error'}`));
        return;
      case 'knock-sent':
        notice(e.accountId, e.peer, { kind: 'wake-sent' });
        return;
      case 'refused': {
        const reason = REFUSAL[e.code];
        if (reason) notice(e.accountId, e.peer, { kind: 'wake-refused', reason });
        return;
      }
      default:
        return;
    }
  };

  /** hooks one account's session: inbound TLV 0x01A4, and knocks from its send path */
  const attachSession = (s: AccountSession): void => {
    s.onTlv((t) => {
      if (!isPushTlv(t)) return;
      void d.push.receivedTlv(s.id, t.peer, t.tlv.value, pushKeyInput(t)).catch(() => log('push: a handshake TLV could not be handled'));
    });
    s.onSend((peer) => {
      let offline: boolean;
      try {
        offline = s.contact(peer).presence === 'offline';
      } catch {
        return;
      }
      if (!offline) {
        d.push.contactAnswered(s.id, peer);
        return;
      }
      // the message itself waits for a private session (or goes through the prekey server): never in clear
      d.push.knock(s.id, peer).catch((e: unknown) => log(`push: knock not sent: ${(e as { code?: string }).code ?? 'error'}`));
    });
  };

  return {
    onPushEvent,
    attachSession,
    testHooks(): PushTestHooks {
      return {
        push: d.push,
        otr: (accountId) => d.session(accountId)?.otr,
        onPushEvent: (l) => (listeners.add(l), () => listeners.delete(l)),
      };
    },
    close(): void {
      offEvents();
      d.push.attachOtr(undefined);
    },
  };
}
