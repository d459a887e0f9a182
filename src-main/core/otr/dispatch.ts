// Acts on what the OTR library produced for one contact (src-shared/otr/api.ts EngineOutput):
// writes its wire messages, learns which device (full JID) each instance tag writes from, and
// reacts to its events: a session that became encrypted (trust bookkeeping, the queue goes
// out), one the contact ended, SMP steps, errors, TLVs for the account's hook.
import { randomUUID } from 'node:crypto';
import type { EngineOutput, OtrEvent, SmpEvent } from '../../../src-shared/otr/api';
import type { Clock } from '../../../src-shared/otr/common/random';
import { replyMark, resourceOf } from './device-label';
import { STALE_AFTER_MS, type DeviceRow } from './devices';
import { sameJid } from './fanout';
import type { Notices } from './notices';
import type { OtrStore } from './otr-store';
import { NO_SMP, type Peers, type PeerState } from './peers';
import type { StatusReporter } from './status';
import type { InboundTlv, OtrWire, ReceivedMessage } from './wire';

export interface DispatchDeps {
  accountId: string;
  store: OtrStore;
  clock: Clock;
  peers: Peers;
  notices: Notices;
  status: StatusReporter;
  transport(wire: OtrWire): void;
  isOnline(): boolean;
  /** SMP progress for the UI (otr/smp.ts) */
  onSmp(ps: PeerState, ev: SmpEvent): void;
  /** a session became encrypted: send what waits (otr/queue.ts); `announce`: say so */
  flushQueue(ps: PeerState, announce: boolean): void;
  /** TLVs OTR does not act on itself, for the account (see wire.ts InboundTlv) */
  onTlv?(tlv: InboundTlv): void;
  /** the contact's device sent an OTR error message: it could not read us (otr/recovery.ts) */
  onPeerError?(ps: PeerState): void;
  /**
   * A session came up with a key never seen for the contact while we knew another (the
   * fingerprint-changed notice was just raised): recovery re-sends into it (otr/recovery.ts
   * keyChanged). Called before the queue flush, so what it requeues goes out in this session.
   */
  onKeyChanged?(ps: PeerState): void;
  /** the contact's client offered only OTR version 2, which the policy refuses (otr/start-watch.ts) */
  onOlderVersionRefused(ps: PeerState, by: 'query' | 'whitespace-tag' | 'ake'): void;
  /** the contact's full JIDs that are available now (RFC 6121 §4); absent: presence is not known */
  presentResources?(peer: string): string[];
}

export interface Dispatch {
  /**
   * Sends what the library produced and acts on its events. `to` is where replies go (the full
   * JID a message came from, or the session's device); `messageId` marks the data message that
   * carries a ChatMessage (the last wire message of a send). Returns the messages for the user.
   */
  handle(ps: PeerState, out: EngineOutput, to: string, messageId?: string, opts?: { announceFlush?: boolean }): ReceivedMessage[];
}

export function createDispatch(deps: DispatchDeps): Dispatch {
  const { accountId, store, peers, notices } = deps;

  /**
   * Issue 13, "a new device is announced once": whether a device of the contact other than `tag`
   * is there now, so that `tag` joins it rather than replaces it. "There" is what presence says
   * (RFC 6121 §4): one of the contact's available full JIDs is the address of another device, known
   * from its session (tagJid) or from the devices store (its resource), and that device is not
   * stale (otr/devices.ts). A JID the new device itself writes from does not count (a reinstall
   * under the same resource replaces the old installation). Presence unknown: nobody is there,
   * and a new key reads as a key change, as it did before several devices were handled.
   */
  const anotherDeviceThere = (ps: PeerState, tag: number, rows: readonly DeviceRow[]): boolean => {
    const present = deps.presentResources?.(ps.peer);
    if (!present || present.length === 0) return false;
    const own = ps.tagJid.get(tag);
    const now = deps.clock();
    const addresses: string[] = [];
    for (const r of rows) {
      if (r.instanceTag === tag || now - r.lastSeen > STALE_AFTER_MS) continue;
      const jid = ps.tagJid.get(r.instanceTag) ?? (r.name ? `${ps.peer}/${r.name}` : undefined);
      if (jid) addresses.push(jid);
    }
    for (const s of ps.conv.sessions()) {
      const jid = s.state === 'encrypted' && s.instanceTag !== tag ? ps.tagJid.get(s.instanceTag) : undefined;
      if (jid) addresses.push(jid);
    }
    return addresses.some((a) => a.includes('/') && !(own !== undefined && sameJid(a, own)) && present.some((p) => sameJid(p, a)));
  };

  const onEncrypted = (ps: PeerState, ev: Extract<OtrEvent, { type: 'state-changed' }>): void => {
    ps.current = ev.theirInstanceTag;
    ps.smp = { ...NO_SMP };
    store.setPrivate(accountId, ps.peer, true);
    const fp = ev.theirFingerprint;
    if (!fp || ev.version === undefined) return;
    const tag = ev.theirInstanceTag;
    // read before this session is recorded: a tag the devices store never saw is a new device
    const rows = tag !== undefined ? store.devices.rows(accountId, ps.peer) : [];
    const newDevice = tag !== undefined && !rows.some((r) => r.instanceTag === tag) && anotherDeviceThere(ps, tag, rows);
    // a version 2 session authenticates with the same DSA key as version 3 (OTRv3 §"Authenticated
    // Key Exchange"): its fingerprint is the OTRv3 one, stored and trusted as such
    const seen = store.seen(accountId, ps.peer, fp, ev.version === 4 ? 4 : 3, deps.clock());
    // the full JID it writes from was learnt just before (handle below): its resource names it
    const resource = tag !== undefined ? resourceOf(ps.tagJid.get(tag)) : undefined;
    if (tag !== undefined) store.devices.seen(accountId, ps.peer, tag, fp, ev.version === 4 ? 4 : 3, deps.clock(), resource);
    if (newDevice && tag !== undefined) {
      // once per device: from now on the devices store knows the tag. Not a key change: the known
      // device is still there, and the fan-out (otr/fanout.ts) writes to both from now on
      notices.raise(ps.peer, { kind: 'new-device', fingerprint: fp, instanceTag: tag, ...(resource ? { device: resource } : {}) });
    } else if (seen.isNew && seen.hadOthers) {
      // the same device with a new key, or a new one while none we knew is there: it replaces them
      notices.raise(ps.peer, { kind: 'fingerprint-changed', fingerprint: fp });
      deps.onKeyChanged?.(ps);
    }
  };

  /** issue 13: a private message is marked with the device it came from when the contact has several */
  const deviceOf = (ps: PeerState, tag: number | undefined): { instanceTag?: number; device?: string } => {
    if (tag === undefined) return {};
    const tags = ps.conv
      .sessions()
      .filter((s) => s.state !== 'plaintext')
      .map((s) => s.instanceTag);
    const device = replyMark(tag, tags, store.devices.rows(accountId, ps.peer), deps.clock(), (t) => resourceOf(ps.tagJid.get(t)));
    return { instanceTag: tag, ...(device !== undefined ? { device } : {}) };
  };

  /**
   * Issue 13, several devices: plaintext from a device of the contact that has no session while
   * another of its devices has one. The library starts no key exchange then (OTRv3 §"Tagged
   * plaintext messages" applies only while nothing is encrypted, and plaintext names no instance
   * tag), so that device would never get what we write. It is asked for a session of its own: a
   * query to its full JID (OTRv4 §"Query Messages"), once per address, unless the policy is manual.
   */
  const askOtherDevice = (ps: PeerState, from: string): void => {
    if (!from.includes('/') || ps.convPolicy === 'manual' || !deps.isOnline()) return;
    const withSession = ps.conv
      .sessions()
      .filter((s) => s.state === 'encrypted')
      .some((s) => ps.tagJid.get(s.instanceTag) === from);
    if (withSession || ps.askedDevices?.has(from)) return;
    (ps.askedDevices ??= new Set()).add(from);
    for (const body of ps.conv.start().toSend) deps.transport({ to: from, id: randomUUID(), body });
  };

  const onError = (ps: PeerState, ev: Extract<OtrEvent, { type: 'error' }>): void => {
    if (ev.code === 'peer-error') {
      notices.raise(ps.peer, { kind: 'peer-error', said: ev.message.slice(0, 200) });
      deps.onPeerError?.(ps);
      return;
    }
    if (ev.code === 'unreadable') {
      notices.raise(ps.peer, { kind: 'unreadable' });
      // recover: ask for a new session unless one is up (OTRv3 §"Receiving an encrypted message" in PLAINTEXT)
      if (!peers.encryptedSession(ps) && (ps.convPolicy !== 'manual' || store.isPrivate(accountId, ps.peer)) && deps.isOnline()) {
        const q = ps.conv.start();
        for (const body of q.toSend) deps.transport({ to: ps.peer, id: randomUUID(), body });
      }
    }
    // malformed / invalid-value / unexpected / unsupported-version: no state changed; nothing
    // the user can act upon
  };

  return {
    handle(ps, out, to, messageId, opts = {}) {
      const received: ReceivedMessage[] = [];
      let becameEncrypted = false;
      // first learn the instance tags (so replies and flushes go to the right device)
      for (const ev of out.events) {
        if (ev.type === 'state-changed' && ev.theirInstanceTag !== undefined && to.includes('/')) ps.tagJid.set(ev.theirInstanceTag, to);
        if (ev.type === 'message' && ev.instanceTag !== undefined && to.includes('/')) ps.tagJid.set(ev.instanceTag, to);
      }
      out.toSend.forEach((body, i) => {
        const carries = messageId !== undefined && i === out.toSend.length - 1;
        deps.transport({ to, id: carries ? messageId : randomUUID(), body, ...(carries ? { messageId } : {}) });
      });
      // the extra symmetric key of a TLV 7/8 goes with the TLV right after it (wire.ts InboundTlv)
      let announced: InboundTlv['extraKey'];
      for (const ev of out.events) {
        const keyBefore = announced;
        announced = undefined;
        switch (ev.type) {
          case 'state-changed':
            if (ev.state === 'encrypted') {
              becameEncrypted = true;
              onEncrypted(ps, ev);
            } else if (ev.state === 'finished') {
              if (ps.current === ev.theirInstanceTag) ps.smp = { ...NO_SMP };
              notices.raise(ps.peer, { kind: 'ended-by-peer' });
            }
            break;
          case 'message':
            // replies go to the device the contact writes from (the most recently active session)
            if (ev.encrypted && ev.instanceTag !== undefined) {
              ps.current = ev.instanceTag;
              store.devices.touch(accountId, ps.peer, ev.instanceTag, deps.clock());
            }
            if (ev.text.length > 0) received.push({ text: ev.text, encrypted: ev.encrypted, ...deviceOf(ps, ev.encrypted ? ev.instanceTag : undefined) });
            // issue 13: plaintext inside a private conversation is a surprise the user must see
            if (ev.encrypted) ps.receivedInClear = false;
            else if (peers.encryptedSession(ps) && ev.text.length > 0) {
              ps.receivedInClear = true;
              notices.raise(ps.peer, { kind: 'plaintext-while-private' });
              askOtherDevice(ps, to);
            }
            break;
          case 'smp':
            deps.onSmp(ps, ev.smp);
            break;
          case 'error':
            onError(ps, ev);
            break;
          case 'tlv':
            try {
              deps.onTlv?.({ peer: ps.peer, from: to, tlv: ev.tlv, ...(keyBefore ? { extraKey: keyBefore } : {}) });
            } catch {
              // the hook's failure is the hook's problem; the conversation carries on
            }
            break;
          case 'older-version-refused':
            deps.onOlderVersionRefused(ps, ev.by);
            break;
          case 'extra-key-received':
            // OTRv4 keys are 64 bytes, OTRv3 ones 32 (h2 is SHA-256)
            announced = { version: ev.key.length === 64 ? 4 : 3, key: ev.key, use: ev.use };
            break;
          case 'message-queued':
            break;
        }
      }
      if (becameEncrypted) deps.flushQueue(ps, opts.announceFlush ?? true);
      deps.status.emit(ps);
      return received;
    },
  };
}
