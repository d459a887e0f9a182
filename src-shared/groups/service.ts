// The service role of the Protocol Notes (docs/groups.md §"The service"), as a state machine with
// its storage, clock and randomness injected; the XMPP component (src-server/groups) only moves
// bodies in and out. It relays ciphertext and signed statements; it never holds a session key.
//
//   identity → Ack (connection labelled); a newcomer's identity → new_user to one member;
//   Nack → another member; nobody left → disconnect with a reason; add_user (members only, by
//   the member asked) → user_added to all; group / encrypted → fan-out + log for offline members.
import type { Clock, RandomSource } from '../otr/common/random';
import { groupError, GroupProtocolError, isGroupError } from './errors';
import { type KeyBundle, verifyBundle } from './keys';
import { checkSetAdmins } from './service-admins';
import type { ServiceStore, StoredGroup } from './service-store';
import { sameKey, stripSeq, validGroup, withSeq } from './service-log';
import { verifyStatement } from './statements';
import { encodeMessage, type GroupMessage, type MessageOf, parseMessage } from './wire';

export interface Outgoing {
  /** full JID of a labelled connection */
  to: string;
  body: string;
}

export interface ServiceOptions {
  store: ServiceStore;
  clock: Clock;
  random: RandomSource;
  /** how long relayed messages wait for offline members (default 14 days) */
  retentionMs?: number;
  /** how long one member may take to vouch before the next is asked (default 60 s) */
  vouchTimeoutMs?: number;
  /** replayed per identity message at most (the client asks again from the last seq) */
  replayLimit?: number;
  onEvent?: (e: ServiceEvent) => void;
}

export type ServiceEvent =
  | { type: 'created' | 'connected' | 'admitted' | 'removed' | 'left' | 'admins-set'; group: string; fp: string }
  | { type: 'asked'; group: string; newcomer: string; member: string }
  /** a member's connection (its full JID) was labelled */
  | { type: 'member-online'; group: string; fp: string; jid: string }
  | { type: 'refused-newcomer'; group: string; fp: string; reason: string }
  | { type: 'rejected'; from: string; code: string; message: string };

interface Connection {
  fp: string;
  member: boolean;
}

interface Admission {
  jid: string;
  key: KeyBundle;
  tried: Set<string>;
  asked: string | null;
  askedAt: number;
}

const REASONS = {
  'nobody-vouched': 'No member of this group has verified your key. Ask a member to verify your fingerprint, then join again.',
  'no-member-online': 'No member of this group who could vouch for you is online. Try again later.',
  'refused-voucher': 'You did not recognise the member who answered, so you were not admitted.',
  removed: 'You are no longer a member of this group.',
  'no-such-group': 'This group does not exist.',
} as const;

export class GroupService {
  private readonly connections = new Map<string, Map<string, Connection>>();
  private readonly admissions = new Map<string, Map<string, Admission>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly retention: number;
  private readonly vouchTimeout: number;
  private readonly replayLimit: number;

  constructor(private readonly o: ServiceOptions) {
    this.retention = o.retentionMs ?? 14 * 24 * 3600_000;
    this.vouchTimeout = o.vouchTimeoutMs ?? 60_000;
    this.replayLimit = o.replayLimit ?? 500;
  }

  /** Handles one body from `from` (a full JID) to group `group` (the local part of `to`). */
  handle(from: string, group: string, body: string): Promise<Outgoing[]> {
    return this.serial(group, async () => {
      try {
        const m = parseMessage(body);
        if (m.group !== group) throw groupError('malformed', 'the message names another group than its address');
        return await this.dispatch(from, m);
      } catch (e) {
        if (!isGroupError(e)) throw e;
        this.o.onEvent?.({ type: 'rejected', from, code: e.code, message: e.message });
        return [{ to: from, body: encodeMessage({ t: 'error', group: validGroup(group), code: e.code, text: e.message }) }];
      }
    });
  }

  /** A connection went away (unavailable presence or a delivery error). */
  disconnected(jid: string, group: string): Promise<Outgoing[]> {
    return this.serial(group, async () => {
      const conn = this.connections.get(group)?.get(jid);
      this.connections.get(group)?.delete(jid);
      const pending = this.admissions.get(group);
      const out: Outgoing[] = [];
      if (!pending) return out;
      for (const [fp, a] of pending) {
        if (a.jid === jid) pending.delete(fp);
        else if (conn && a.asked === conn.fp && !this.onlineJids(group, conn.fp).length) out.push(...(await this.askNext(group, fp, a)));
      }
      return out;
    });
  }

  /** Moves on from members that did not answer in time (call periodically). */
  tick(): Promise<Outgoing[]> {
    const now = this.o.clock();
    const work = [...this.admissions].map(([group, pending]) =>
      this.serial(group, async () => {
        const out: Outgoing[] = [];
        for (const [fp, a] of pending) if (a.asked && now - a.askedAt > this.vouchTimeout) out.push(...(await this.askNext(group, fp, a)));
        return out;
      }),
    );
    return Promise.all(work).then((r) => r.flat());
  }

  /** the identity a connection is labelled with, if any */
  labelOf(group: string, jid: string): { fp: string; member: boolean } | undefined {
    return this.connections.get(group)?.get(jid);
  }

  private serial<T>(group: string, f: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(group) ?? Promise.resolve();
    const next = prev.then(f, f);
    const settled = next.catch(() => undefined);
    this.queues.set(group, settled);
    void settled.then(() => {
      if (this.queues.get(group) === settled) this.queues.delete(group);
    });
    return next;
  }

  private async dispatch(from: string, m: GroupMessage): Promise<Outgoing[]> {
    switch (m.t) {
      case 'identity':
        return this.onIdentity(from, m);
      case 'Nack':
        return this.onNack(from, m);
      case 'encrypted':
        return this.onEncrypted(from, m);
      case 'add_user':
        return this.onAddUser(from, m);
      case 'remove':
        return this.onRemove(from, m);
      case 'leave':
        return this.onLeave(from, m);
      case 'set_admins': {
        // docs/groups.md §"Admins": the creator names admins (service-admins.ts checks it)
        const g = await this.requireGroup(m.group);
        await this.o.store.setAdmins(m.group, checkSetAdmins(g, this.requireLabel(m.group, from), m), m.ver, g.epoch);
        this.o.onEvent?.({ type: 'admins-set', group: m.group, fp: m.by });
        const { group, admins, by, ver, sig } = m;
        return this.logAndFanOut(group, null, encodeMessage({ t: 'admins_set', group, admins, by, ver, sig, seq: 0 }), [...g.members.keys()]);
      }
      case 'group':
        return this.onGroup(from, m);
      default:
        // Ack, new_user, user_added, … are the service's own messages: a client must not send them
        throw groupError('out-of-order', `${m.t} is sent by the service, not to it`);
    }
  }

  private async onIdentity(from: string, m: MessageOf<'identity'>): Promise<Outgoing[]> {
    verifyBundle(m.key, m.fp);
    const now = this.o.clock();
    let g = await this.o.store.getGroup(m.group);
    if (!g) {
      if (!m.create) return [this.disconnect(from, m.group, 'no-such-group')];
      await this.o.store.createGroup(m.group, m.fp, m.key, now);
      g = await this.o.store.getGroup(m.group);
      if (!g) throw new Error('group creation failed');
      this.o.onEvent?.({ type: 'created', group: m.group, fp: m.fp });
    }
    const member = g.members.has(m.fp);
    if (member && !sameKey(g.members.get(m.fp)!, m.key)) throw groupError('bad-identity', 'this identity joined with other keys');
    this.label(m.group, from, { fp: m.fp, member });
    const ack: Outgoing = {
      to: from,
      body: encodeMessage({ t: 'Ack', group: m.group, member, creator: g.creator, admins: g.admins, head: await this.o.store.head(m.group) }),
    };
    if (member) {
      this.o.onEvent?.({ type: 'connected', group: m.group, fp: m.fp });
      this.o.onEvent?.({ type: 'member-online', group: m.group, fp: m.fp, jid: from });
      const backlog = await this.o.store.since(m.group, m.fp, m.since ?? 0, now, this.replayLimit);
      return [ack, ...backlog.map((e) => ({ to: from, body: withSeq(e.body, e.seq) }))];
    }
    // notes step 1–2: a newcomer; one member at a time is asked to vouch
    const pending = this.admissionsOf(m.group);
    const a: Admission = { jid: from, key: m.key, tried: new Set(), asked: null, askedAt: now };
    pending.set(m.fp, a);
    return [ack, ...(await this.askNext(m.group, m.fp, a, g))];
  }

  private async askNext(group: string, newcomer: string, a: Admission, known?: StoredGroup): Promise<Outgoing[]> {
    if (a.asked) a.tried.add(a.asked);
    const g = known ?? (await this.o.store.getGroup(group));
    const online = [...(this.connections.get(group) ?? [])].filter(([, c]) => c.member && g?.members.has(c.fp) && c.fp !== newcomer);
    const next = online.find(([, c]) => !a.tried.has(c.fp));
    if (!next) {
      this.admissionsOf(group).delete(newcomer);
      this.connections.get(group)?.delete(a.jid);
      const reason = a.tried.size > 0 ? 'nobody-vouched' : 'no-member-online';
      this.o.onEvent?.({ type: 'refused-newcomer', group, fp: newcomer, reason });
      return [this.disconnect(a.jid, group, reason)];
    }
    a.asked = next[1].fp;
    a.askedAt = this.o.clock();
    this.o.onEvent?.({ type: 'asked', group, newcomer, member: a.asked });
    return [{ to: next[0], body: encodeMessage({ t: 'new_user', group, fp: newcomer, key: a.key }) }];
  }

  private async onNack(from: string, m: MessageOf<'Nack'>): Promise<Outgoing[]> {
    const me = this.requireLabel(m.group, from);
    const a = this.admissionsOf(m.group).get(m.fp);
    if (m.reason === 'unknown-member') {
      // notes step 4: the newcomer did not recognise the member who answered
      if (me.fp !== m.fp || !a || a.jid !== from) throw groupError('out-of-order', 'no admission of yours is pending');
      this.admissionsOf(m.group).delete(m.fp);
      this.connections.get(m.group)?.delete(from);
      return [this.disconnect(from, m.group, 'refused-voucher')];
    }
    // notes step 3: the member asked cannot identify the newcomer → try another member
    if (!a || a.asked !== me.fp) throw groupError('out-of-order', 'you were not asked to vouch for this identity');
    return this.askNext(m.group, m.fp, a);
  }

  private async onEncrypted(from: string, m: MessageOf<'encrypted'>): Promise<Outgoing[]> {
    const me = this.requireLabel(m.group, from);
    if (me.fp !== m.from) throw groupError('not-allowed', 'a connection may only send as its own identity');
    const { seq: _ignored, ...rest } = m;
    const relay = encodeMessage(rest as GroupMessage);
    const pending = this.admissionsOf(m.group);
    const toNewcomer = pending.get(m.to);
    if (toNewcomer) {
      // steps 3 and 5: only the member asked talks to the newcomer
      if (!me.member || toNewcomer.asked !== me.fp) throw groupError('not-allowed', 'only the member asked may talk to the newcomer');
      return [{ to: toNewcomer.jid, body: relay }];
    }
    if (!me.member) {
      // step 4: the newcomer answers the member asked, and nobody else
      const mine = pending.get(me.fp);
      if (!mine || mine.jid !== from || mine.asked !== m.to) throw groupError('not-allowed', 'a newcomer may only answer the member asked');
      return this.onlineJids(m.group, m.to).map((to) => ({ to, body: relay }));
    }
    const g = await this.requireGroup(m.group);
    if (!g.members.has(m.to)) throw groupError('not-allowed', 'the recipient is not a member');
    // between members (rekey): logged so that an offline member gets it later
    return this.logAndFanOut(m.group, m.to, relay, [m.to]);
  }

  private async onAddUser(from: string, m: MessageOf<'add_user'>): Promise<Outgoing[]> {
    const me = this.requireLabel(m.group, from);
    const g = await this.requireGroup(m.group);
    if (!me.member || !g.members.has(me.fp) || me.fp !== m.by) throw groupError('not-allowed', 'add_user is accepted from a member, as itself, only');
    // docs/groups.md §"Admission and rekey, in order": a vouch made with the key of an epoch that a
    // removal or leave has since ended would hand the newcomer a key the former member holds and
    // leave it out of the new one; the member vouches again once it holds the new key
    if (g.epoch !== undefined && m.epoch !== g.epoch)
      throw groupError('stale-epoch', `add_user vouches with the key of epoch ${m.epoch}; the group is at epoch ${g.epoch}`);
    const a = this.admissionsOf(m.group).get(m.fp);
    if (!a || a.asked !== me.fp) throw groupError('out-of-order', 'no admission of this identity was asked of you');
    if (!sameKey(a.key, m.key)) throw groupError('bad-identity', 'add_user names other keys than the newcomer presented');
    if (!verifyStatement(g.members.get(me.fp)!.h, { op: 'add_user', group: m.group, fp: m.fp, key: m.key, by: m.by, epoch: m.epoch }, m.sig)) {
      throw groupError('bad-signature', 'add_user is not signed by the member');
    }
    await this.o.store.addMember(m.group, m.fp, m.key);
    // a group stored before the epoch was kept learns it from a member's signed vouch
    if (g.epoch === undefined) await this.o.store.setAdmins(g.id, g.admins, g.adminVer, m.epoch);
    this.admissionsOf(m.group).delete(m.fp);
    this.label(m.group, a.jid, { fp: m.fp, member: true });
    this.o.onEvent?.({ type: 'admitted', group: m.group, fp: m.fp });
    this.o.onEvent?.({ type: 'member-online', group: m.group, fp: m.fp, jid: a.jid });
    const { group, fp, key, by, epoch, sig } = m;
    return this.logAndFanOut(group, null, encodeMessage({ t: 'user_added', group, fp, key, by, epoch, sig, seq: 0 }), [...g.members.keys(), fp]);
  }

  private async onRemove(from: string, m: MessageOf<'remove'>): Promise<Outgoing[]> {
    const me = this.requireLabel(m.group, from);
    const g = await this.requireGroup(m.group);
    if (!me.member || me.fp !== m.by || !g.members.has(m.by)) throw groupError('not-allowed', 'remove is accepted from a member, as itself, only');
    if (!(g.creator === m.by || g.admins.includes(m.by))) throw groupError('not-allowed', 'only the creator and its admins may remove members');
    if (!g.members.has(m.fp) || m.fp === g.creator) throw groupError('not-allowed', 'this identity cannot be removed');
    if (!verifyStatement(g.members.get(m.by)!.h, { op: 'remove', group: m.group, fp: m.fp, by: m.by, epoch: m.epoch }, m.sig))
      throw groupError('bad-signature', 'remove is not signed by its author');
    const out = await this.logAndFanOut(
      m.group,
      null,
      encodeMessage({ t: 'user_removed', group: m.group, fp: m.fp, by: m.by, epoch: m.epoch, sig: m.sig, seq: 0 }),
      [...g.members.keys()],
    );
    await this.dropMember(g, m.fp);
    for (const jid of this.onlineJids(m.group, m.fp)) this.connections.get(m.group)?.delete(jid);
    this.o.onEvent?.({ type: 'removed', group: m.group, fp: m.fp });
    return out;
  }

  private async onLeave(from: string, m: MessageOf<'leave'>): Promise<Outgoing[]> {
    const me = this.requireLabel(m.group, from);
    const g = await this.requireGroup(m.group);
    if (!me.member || me.fp !== m.fp || !g.members.has(m.fp)) throw groupError('not-allowed', 'only a member may leave, as itself');
    if (!verifyStatement(g.members.get(m.fp)!.h, { op: 'leave', group: m.group, fp: m.fp, epoch: m.epoch }, m.sig))
      throw groupError('bad-signature', 'leave is not signed by the member');
    await this.dropMember(g, m.fp);
    for (const jid of this.onlineJids(m.group, m.fp)) this.connections.get(m.group)?.delete(jid);
    this.o.onEvent?.({ type: 'left', group: m.group, fp: m.fp });
    return this.logAndFanOut(
      m.group,
      null,
      encodeMessage({ t: 'user_left', group: m.group, fp: m.fp, epoch: m.epoch, sig: m.sig, seq: 0 }),
      [...g.members.keys()].filter((f) => f !== m.fp),
    );
  }

  private async onGroup(from: string, m: MessageOf<'group'>): Promise<Outgoing[]> {
    const me = this.requireLabel(m.group, from);
    const g = await this.requireGroup(m.group);
    if (!me.member || !g.members.has(me.fp)) throw groupError('not-allowed', 'only members may post');
    // per-sender authentication is end to end (clients verify the signature); the service only
    // refuses a connection posting under another identity
    if (me.fp !== m.from) throw groupError('not-allowed', 'a connection may only post as its own identity');
    const out = await this.logAndFanOut(m.group, null, encodeMessage({ ...m, seq: 0 }), [...g.members.keys()]);
    return out.filter((o) => o.to !== from);
  }

  private async logAndFanOut(group: string, to: string | null, body: string, recipients: string[]): Promise<Outgoing[]> {
    const now = this.o.clock();
    const seq = await this.o.store.append(group, to, stripSeq(body), now, now + this.retention);
    const out: Outgoing[] = [];
    const withS = withSeq(stripSeq(body), seq);
    for (const fp of new Set(recipients)) for (const jid of this.onlineJids(group, fp)) out.push({ to: jid, body: withS });
    return out;
  }

  /**
   * A member removed or leaving also loses its admin right (clients do the same, admins.ts), and
   * the group moves to the next key epoch, as every client counts (rekey.ts).
   */
  private async dropMember(g: StoredGroup, fp: string): Promise<void> {
    await this.o.store.removeMember(g.id, fp);
    const epoch = g.epoch === undefined ? undefined : g.epoch + 1;
    await this.o.store.setAdmins(
      g.id,
      g.admins.filter((a) => a !== fp),
      g.adminVer,
      epoch,
    );
  }

  private onlineJids(group: string, fp: string): string[] {
    return [...(this.connections.get(group) ?? [])].filter(([, c]) => c.fp === fp && c.member).map(([jid]) => jid);
  }

  private label(group: string, jid: string, c: Connection): void {
    let conns = this.connections.get(group);
    if (!conns) this.connections.set(group, (conns = new Map()));
    conns.set(jid, c);
  }

  private requireLabel(group: string, jid: string): Connection {
    const c = this.connections.get(group)?.get(jid);
    if (!c) throw groupError('out-of-order', 'send identity first');
    return c;
  }

  private async requireGroup(id: string): Promise<StoredGroup> {
    const g = await this.o.store.getGroup(id);
    if (!g) throw groupError('no-such-group', 'this group does not exist');
    return g;
  }

  private admissionsOf(group: string): Map<string, Admission> {
    let a = this.admissions.get(group);
    if (!a) this.admissions.set(group, (a = new Map()));
    return a;
  }

  private disconnect(jid: string, group: string, reason: keyof typeof REASONS): Outgoing {
    return { to: jid, body: encodeMessage({ t: 'disconnect', group, reason, text: REASONS[reason] }) };
  }
}

export { GroupProtocolError };
