// The wiring of wake-ups into the core (push/app-wiring.ts) with a fake push service and fake
// account sessions: what reaches the push service when, and what the conversation is told.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, Contact } from '../../../src-shared/ipc/contract';
import type { OtrNoticeData, OtrStatus } from '../../../src-shared/ipc/otr-contract';
import { CoreEvents } from '../account/events';
import type { AccountSession } from '../account/session';
import type { InboundTlv } from '../otr/wire';
import { wirePushIntoApp } from './app-wiring';
import type { PushEvent, PushService } from './service';

function fakes(presence: Contact['presence'] = 'offline', otrState: OtrStatus['state'] = 'not-private', asleep = true, initial = 'offline') {
  const calls: string[] = [];
  const logs: string[] = [];
  const notices: Array<{ peer: string } & OtrNoticeData> = [];
  let tlvHook: ((t: InboundTlv) => void) | undefined;
  let sendHook: ((peer: string) => void) | undefined;
  let status = initial;
  let resolveConnected!: () => void;
  const connected = new Promise<void>((r) => (resolveConnected = r));
  let resolveSettled!: () => void;
  const settled = new Promise<void>((r) => (resolveSettled = r));
  const push = {
    attachOtr: () => {},
    privateSessionStarted: (a: string, p: string) => calls.push(`asked ${a} ${p}`),
    rotate: async (a: string, p: string) => {
      calls.push(`rotate ${a} ${p}`);
      resolveSettled();
    },
    receivedTlv: async (a: string, p: string, v: Uint8Array, k: unknown) => void calls.push(`tlv ${a} ${p} ${v.length} ${k ? 'key' : 'nokey'}`),
    knock: async (a: string, p: string) => (calls.push(`knock ${a} ${p}`), true),
    contactAnswered: (a: string, p: string) => calls.push(`answered ${a} ${p}`),
    store: { setStartState: (a: string, state: string) => calls.push(`start ${a} ${state}`) },
    resumeAccount: async () => {},
  } as unknown as PushService;
  const otrSvc = {
    notice: (peer: string, data: OtrNoticeData) => notices.push({ peer, ...data }),
    status: () => ({ state: otrState }),
    start: (peer: string) => {
      calls.push(`otr.start ${peer}`);
      resolveSettled();
    },
  };
  const session = {
    id: 'acc',
    get status() {
      return status;
    },
    connect: async () => {
      calls.push('connect');
      status = 'online';
      asleep = false;
      resolveConnected();
    },
    info: () => ({ id: 'acc', jid: 'bob@x', status, ...(asleep ? { asleep } : {}) }),
    otr: { run: async <T>(f: (s: typeof otrSvc) => T) => f(otrSvc) },
    onTlv: (h: (t: InboundTlv) => void) => (tlvHook = h),
    onSend: (h: (peer: string) => void) => (sendHook = h),
    contact: (jid: string) => ({ jid, presence }),
  } as unknown as AccountSession;
  const events = new CoreEvents();
  const w = wirePushIntoApp({ push, events, session: (id) => (id === 'acc' ? session : undefined), log: (l) => logs.push(l) });
  w.attachSession(session);
  const otrStatus = (peer: string, state: OtrStatus['state']) => events.emit('otr.status', { accountId: 'acc', peer, state } as OtrStatus);
  return { calls, logs, notices, w, events, otrStatus, settled, connected, tlv: (t: InboundTlv) => tlvHook!(t), send: (p: string) => sendHook!(p) };
}

describe('wake-ups wired into the core', () => {
  it('asks when a private session comes up, once per change to private (not on every status)', () => {
    const f = fakes();
    f.otrStatus('bob@x', 'not-private');
    f.otrStatus('bob@x', 'private-unverified');
    f.otrStatus('bob@x', 'private-verified');
    f.otrStatus('bob@x', 'finished');
    f.otrStatus('bob@x', 'private-unverified');
    expect(f.calls.filter((c) => c.startsWith('asked'))).toEqual(['asked acc bob@x', 'asked acc bob@x']);
  });

  it('routes TLV 0x01A4 (and only it) to the push service, with the key of its message', () => {
    const f = fakes();
    f.tlv({ peer: 'bob@x', from: 'bob@x/d', tlv: { type: 0x01a4, value: new Uint8Array(3) }, extraKey: { version: 4, key: new Uint8Array(64), use: 0x1a4 } });
    f.tlv({ peer: 'bob@x', from: 'bob@x/d', tlv: { type: 0x01a4, value: new Uint8Array(2) } });
    f.tlv({ peer: 'bob@x', from: 'bob@x/d', tlv: { type: 0x0042, value: new Uint8Array(1) } });
    expect(f.calls).toEqual(['tlv acc bob@x 3 key', 'tlv acc bob@x 2 nokey']);
  });

  it('knocks when the user writes to an offline contact; an online one counts as an answer', () => {
    const off = fakes('offline');
    off.send('bob@x');
    expect(off.calls).toEqual(['knock acc bob@x']);
    const on = fakes('online');
    on.send('bob@x');
    expect(on.calls).toEqual(['answered acc bob@x']);
    on.events.emit('contact.updated', { accountId: 'acc', jid: 'carol@x', presence: 'away' } as Contact);
    expect(on.calls).toContain('answered acc carol@x');
  });

  it('a knock: the user is told, the account logs in, a private session starts, and then shared_key rotates', async () => {
    const f = fakes('offline', 'not-private');
    f.w.onPushEvent({ type: 'wake-requested', accountId: 'acc', peer: 'alice@x', via: 'knock' } as PushEvent);
    await f.settled;
    // woken: online from now on (also after a restart) until the user puts it to sleep again
    expect(f.calls).toEqual(['start acc online', 'connect', 'otr.start alice@x']);
    expect(f.notices).toEqual([{ peer: 'alice@x', kind: 'woken-by' }]);
    f.otrStatus('alice@x', 'private-unverified');
    // the new session with the knocker rotates instead of asking (approved before)
    expect(f.calls.slice(3)).toEqual(['rotate acc alice@x']);
  });

  it("woken from sleep with a session that still says private: the rotation waits for the knocker's message read in it", async () => {
    const f = fakes('offline', 'private-unverified');
    f.w.onPushEvent({ type: 'wake-requested', accountId: 'acc', peer: 'alice@x', via: 'knock' } as PushEvent);
    await f.connected;
    const message = (m: Partial<ChatMessage>) =>
      f.events.emit('message.added', { accountId: 'acc', peer: 'alice@x', direction: 'in', encrypted: true, body: 'hi', ...m } as ChatMessage);
    // (the knocker may have restarted: an offer into that session could be lost)
    message({ encrypted: false });
    message({ peer: 'carol@x' });
    message({ direction: 'out' });
    expect(f.calls.filter((c) => c.startsWith('rotate'))).toEqual([]);
    message({});
    await f.settled;
    expect(f.calls).toEqual(['start acc online', 'connect', 'rotate acc alice@x']);
    message({});
    expect(f.calls.filter((c) => c.startsWith('rotate'))).toHaveLength(1);
  });

  it('a knock while the account is online with a private session up rotates at once', async () => {
    const f = fakes('online', 'private-unverified', false, 'online');
    f.w.onPushEvent({ type: 'wake-requested', accountId: 'acc', peer: 'alice@x', via: 'knock' } as PushEvent);
    await f.settled;
    expect(f.calls).toEqual(['rotate acc alice@x']);
  });

  it('a knock for an account the user took offline (not asleep) wakes nothing and tells nobody', () => {
    const f = fakes('offline', 'not-private', false);
    const told: unknown[] = [];
    f.events.on((e) => told.push(e));
    f.w.onPushEvent({ type: 'wake-requested', accountId: 'acc', peer: 'alice@x', via: 'knock' } as PushEvent);
    expect(f.calls).toEqual([]);
    expect(f.notices).toEqual([]);
    expect(told).toEqual([]);
    expect(f.logs).toEqual(['push: a knock for an account taken offline: not woken']);
  });

  it('says in the conversation that a knock went, and why a handshake message was refused', async () => {
    const f = fakes();
    f.w.onPushEvent({ type: 'knock-sent', accountId: 'acc', peer: 'bob@x' });
    f.w.onPushEvent({ type: 'refused', accountId: 'acc', peer: 'bob@x', code: 'malformed-push-tlv', message: 'x' });
    f.w.onPushEvent({ type: 'refused', accountId: 'acc', peer: 'bob@x', code: 'declined', message: 'x' });
    await Promise.resolve();
    expect(f.notices).toEqual([
      { peer: 'bob@x', kind: 'wake-sent' },
      { peer: 'bob@x', kind: 'wake-refused', reason: 'malformed' },
    ]);
  });
});
