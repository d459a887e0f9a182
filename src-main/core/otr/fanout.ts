// Which of the contact's devices a message we write is encrypted to (issue 13, "one conversation,
// several devices"; the per-device fan-out of the FxChat design, docs/architecture.md §6). OTR
// sessions are per device: one per instance tag of the contact (OTRv4 §"Instance Tags", OTRv3
// §"Instance Tags"), each with its own keys, so a message for several devices is encrypted once
// per device and each copy is sent to the full JID that device writes from.
//
// The choice, in order:
//   1. an offline start's devices (otr/offline-start.ts), while the contact has not written since;
//   2. the devices the user chose, those of them with an encrypted session;
//   3. every device with an encrypted session that is online now: its full JID is among the
//      contact's available resources (RFC 6121 §4). A device whose address is not known (a session
//      restored after a restart, before the device wrote again) counts as online: its copy goes
//      to the bare JID, and the contact's other devices drop what is not for their instance tag;
//   4. when none of them is online (the contact is away on every device), the session the
//      header shows: the one that last wrote or came up, as before several devices were handled.
// Pure: presence, sessions and the choice are passed in (unit tests in fanout.test.ts).
import type { MessageState } from '../../../src-shared/otr/api';

export interface FanoutInput {
  /** the conversation's sessions, one per instance tag of the contact */
  sessions: ReadonlyArray<{ instanceTag: number; state: MessageState }>;
  /** instance tag -> the full JID it last wrote from */
  tagJid: ReadonlyMap<number, string>;
  /** the contact's full JIDs that are available now; undefined: presence is not known here */
  present?: readonly string[] | undefined;
  /** the devices the user chose to write to; undefined: all that are online */
  chosen?: readonly number[] | undefined;
  /** the offline start's devices (otr/peers.ts PeerState.offlineFanout) */
  offlineFanout?: readonly number[] | undefined;
  /** the session the header shows (otr/peers.ts PeerState.current) */
  current?: number | undefined;
}

/** full JIDs compare with the bare part case-insensitive (RFC 7622 §3.2, §3.3) and the resource as is */
export function sameJid(a: string, b: string): boolean {
  const cut = (j: string) => {
    const i = j.indexOf('/');
    return i < 0 ? [j.toLowerCase(), ''] : [j.slice(0, i).toLowerCase(), j.slice(i + 1)];
  };
  const [ab, ar] = cut(a);
  const [bb, br] = cut(b);
  return ab === bb && ar === br;
}

/** whether the device with this tag is online, as far as presence tells */
export function deviceOnline(tag: number, tagJid: ReadonlyMap<number, string>, present: readonly string[] | undefined): boolean {
  if (present === undefined) return true;
  const jid = tagJid.get(tag);
  if (jid === undefined || !jid.includes('/')) return true;
  return present.some((p) => sameJid(p, jid));
}

/** the instance tags a message goes to, each once, in session order; [] when no session is encrypted */
export function fanoutTargets(input: FanoutInput): number[] {
  const enc = [...new Set(input.sessions.filter((s) => s.state === 'encrypted').map((s) => s.instanceTag))];
  if (enc.length === 0) return [];
  const has = (t: number) => enc.includes(t);
  const offline = input.offlineFanout?.filter(has) ?? [];
  if (offline.length > 0) return [...new Set(offline)];
  const chosen = input.chosen?.filter(has) ?? [];
  if (chosen.length > 0) return [...new Set(chosen)];
  const live = enc.filter((t) => deviceOnline(t, input.tagJid, input.present));
  if (live.length > 0) return live;
  return [input.current !== undefined && has(input.current) ? input.current : enc[0]!];
}

/**
 * The stanza id of one device's copy of a message: the first copy keeps the message's own id, the
 * others add the device's instance tag. Copies need ids of their own: a device that gets a copy
 * meant for another one (the server routes a message for a resource that left to the bare JID,
 * RFC 6121 §8.5.3.2.1) drops it, and its own copy must not then look like a duplicate of it
 * (account/inbox.ts recognises duplicates by id). A receipt names the copy; messageIdOfCopy
 * gives back the message it confirms.
 */
export function copyId(messageId: string, instanceTag: number, first: boolean): string {
  return first ? messageId : `${messageId}${COPY_MARK}${instanceTag.toString(16)}`;
}

const COPY_MARK = '~';

/** the message a receipt (XEP-0184 §5.2) or stanza error for one of our copies is about */
export function messageIdOfCopy(stanzaId: string): string {
  const i = stanzaId.indexOf(COPY_MARK);
  return i < 0 ? stanzaId : stanzaId.slice(0, i);
}

/**
 * The contact's online devices that have no session while another device has one: each is asked
 * for a session of its own (a query to its full JID, OTRv4 §"Query Messages"), once per address,
 * so that a device that signed in after the conversation became private gets what is written
 * from then on. Our query at the start went to the bare JID and reached every device online then;
 * this does the same for the ones that came later. While the address of a session is not known
 * (restored after a restart, until that device writes) nobody is asked: that device may be any of
 * them, and a query would make it run a new DAKE for nothing.
 */
export function devicesToAsk(input: Pick<FanoutInput, 'sessions' | 'tagJid' | 'present'>, asked: ReadonlySet<string>): string[] {
  const enc = input.sessions.filter((s) => s.state === 'encrypted');
  if (enc.length === 0 || !input.present) return [];
  const withSession = enc.map((s) => input.tagJid.get(s.instanceTag));
  if (withSession.some((j) => j === undefined || !j.includes('/'))) return [];
  return input.present.filter((p) => p.includes('/') && !asked.has(p) && !withSession.some((j) => sameJid(j!, p)));
}
