// The client side of verified groups in the core (docs/groups.md §"The client"): one façade per
// account that keeps each group's state machine (src-shared/groups/client.ts) fed with what the
// group service sends, persists state and timeline together, sends what the machine says, and
// tells the UI (group.updated / group.message / group.notice). Dependencies are explicit so the
// lead can wire it into the core: transport (XMPP), identity (the OTRv4 long-term key), trust
// (fingerprints the user verified), store (the profile database).
import { randomBytes } from 'node:crypto';
import { mayRemove, presentAdmins, setAdmin } from '../../../src-shared/groups/admins';
import { connect, leave, receive, remove, sendText, type Step } from '../../../src-shared/groups/client';
import { type ClientDeps, type ClientEvent, type ClientGroupState, newGroupState } from '../../../src-shared/groups/client-state';
import { isGroupError } from '../../../src-shared/groups/errors';
import type { LocalGroupIdentity } from '../../../src-shared/groups/keys';
import { encodeMessage } from '../../../src-shared/groups/wire';
import { type GroupInfo, type GroupMessageInfo, type GroupsEventPayloads, groupStatusText } from '../../../src-shared/ipc/groups-contract';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { GroupStore, TimelineEntry } from './store';
import type { GroupTransport } from './transport';

export interface GroupsDeps {
  accountId: string;
  /** the account's bare JID; its domain gives the default service groups.<domain> */
  accountJid: string;
  transport: GroupTransport;
  identity: () => Promise<LocalGroupIdentity>;
  /** "trusted identities": the OTR fingerprints our user has verified (OtrStore trust) */
  trust: { isTrusted(fingerprint: string): boolean };
  store: GroupStore;
  emit: <K extends keyof GroupsEventPayloads>(name: K, payload: GroupsEventPayloads[K]) => void;
  clock?: () => number;
  random?: (n: number) => Uint8Array;
  log?: (line: string) => void;
}

export interface Groups {
  create(o?: { service?: string; name?: string }): Promise<GroupInfo>;
  join(address: string, name?: string): Promise<GroupInfo>;
  leave(address: string): Promise<GroupInfo>;
  remove(address: string, member: string): Promise<GroupInfo>;
  /** the creator names `member` admin, or takes the right back (docs/groups.md §"Admins") */
  setAdmin(address: string, member: string, admin: boolean): Promise<GroupInfo>;
  send(address: string, body: string): Promise<GroupMessageInfo>;
  list(): GroupInfo[];
  timeline(address: string, limit: number, before?: number): GroupMessageInfo[];
  /** (re)connects every group we belong to or wait for: call when the account comes online */
  online(): Promise<void>;
  /** stops listening; tells each group service we went away */
  close(): Promise<void>;
}

const systemRandom = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
/** waits before asking a group service again after a bounce (its component not connected yet, e.g. after a server restart) */
const RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 15_000, 30_000];
const bare = (jid: string): string => jid.split('/')[0]!.toLowerCase();

export function createGroups(deps: GroupsDeps): Groups {
  const clock = deps.clock ?? Date.now;
  const random = deps.random ?? systemRandom;
  const log = deps.log ?? (() => undefined);
  const states = new Map<string, ClientGroupState>(deps.store.states(deps.accountId).map((s) => [s.address, s]));
  const queues = new Map<string, Promise<unknown>>();
  let me: LocalGroupIdentity | null = null;
  const myName = deps.accountJid.split('@')[0] ?? 'me';

  const clientDeps = async (): Promise<ClientDeps> => {
    me ??= await deps.identity();
    return { me, isTrusted: (fp) => deps.trust.isTrusted(fp), random, clock };
  };

  const serial = <T>(address: string, f: () => Promise<T>): Promise<T> => {
    const next = (queues.get(address) ?? Promise.resolve()).then(f, f);
    queues.set(
      address,
      next.catch(() => undefined),
    );
    return next;
  };

  const info = (s: ClientGroupState): GroupInfo => {
    const admins = new Set(presentAdmins(s));
    return {
      accountId: deps.accountId,
      address: s.address,
      phase: s.phase,
      status: groupStatusText(s.phase, s.refusal?.text),
      members: Object.entries(s.members)
        .map(([fp, m]) => ({
          fingerprint: fp,
          ...(m.name !== undefined ? { name: m.name } : {}),
          verified: fp === s.me || deps.trust.isTrusted(fp),
          me: fp === s.me,
          admin: admins.has(fp),
        }))
        .sort((a, b) => Number(b.me) - Number(a.me) || (a.name ?? a.fingerprint).localeCompare(b.name ?? b.fingerprint)),
      canRemove: s.phase === 'member' && mayRemove(s, s.me),
      canNameAdmins: s.phase === 'member' && s.creator === s.me,
      rekeyPending: s.rekeyPending,
    };
  };

  const toMessage = (s: ClientGroupState, e: TimelineEntry): GroupMessageInfo => {
    const name = s.members[e.sender]?.name;
    return {
      accountId: deps.accountId,
      address: s.address,
      id: e.id,
      sender: e.sender,
      ...(name !== undefined ? { senderName: name } : {}),
      mine: e.sender === s.me,
      body: e.body,
      sentAt: e.sentAt,
    };
  };

  /** runs one step of the machine; state, timeline and outgoing messages move together */
  const apply = async (
    address: string,
    f: (s: ClientGroupState, d: ClientDeps) => Step,
    extra: (step: Step) => { sender: string; body: string; sentAt: number; epoch: number; ctr: number }[] = () => [],
  ): Promise<{ state: ClientGroupState; stored: TimelineEntry[] }> => {
    const current = states.get(address);
    if (!current) throw new MessengerError('not-found', 'You are not in this group.');
    const step = f(current, await clientDeps());
    const now = clock();
    const incoming = step.events.flatMap((e) => (e.type === 'message' ? [{ sender: e.from, body: e.text, sentAt: e.ts, epoch: e.epoch, ctr: e.ctr }] : []));
    const rows = [...incoming, ...extra(step)].map((m) => ({ ...m, receivedAt: now }));
    const stored = deps.store.commit(deps.accountId, step.state, rows, now);
    states.set(address, step.state);
    for (const m of step.out) await deps.transport.send(address, encodeMessage(m)).catch((e: Error) => log(`sending to ${address} failed: ${e.message}`));
    for (const e of step.events) notice(step.state, e, current);
    deps.emit('group.updated', info(step.state));
    for (const e of stored) deps.emit('group.message', toMessage(step.state, e));
    return { state: step.state, stored };
  };

  const notice = (s: ClientGroupState, e: ClientEvent, before: ClientGroupState): void => {
    const wasAdmin = mayRemove(before, s.me);
    const text =
      e.type === 'untrusted-voucher'
        ? 'A member whose key you have not verified answered your request to join, so you did not join. Verify that member first.'
        : e.type === 'vouch-declined'
          ? 'Someone whose key you have not verified asked to join; another member may admit them.'
          : e.type === 'refused'
            ? e.text
            : e.type === 'removed'
              ? 'You were removed from this group.'
              : e.type === 'admins-changed' && e.admins.includes(s.me) !== wasAdmin
                ? e.admins.includes(s.me)
                  ? 'The creator made you an admin of this group: you may remove members.'
                  : 'You are no longer an admin of this group.'
                : e.type === 'service-error'
                  ? `The group service refused a message: ${e.text}`
                  : null;
    if (text) deps.emit('group.notice', { accountId: deps.accountId, address: s.address, text });
  };

  const userError = (e: unknown): never => {
    if (isGroupError(e)) throw new MessengerError(e.code === 'not-allowed' ? 'invalid-argument' : 'not-connected', e.message);
    throw e;
  };

  // A bounced identity leaves the group unconnected until the next 'online': after a server
  // restart the account may be back before the service's component is. Ask again with backoff
  // until an Ack arrives; also when the service no longer knows our connection (it restarted:
  // "send identity first").
  const retries = new Map<string, { attempt: number; timer: NodeJS.Timeout | null }>();
  const retry = (address: string): void => {
    const r = retries.get(address) ?? { attempt: 0, timer: null };
    if (r.timer) return;
    const delay = RETRY_DELAYS_MS[Math.min(r.attempt, RETRY_DELAYS_MS.length - 1)]!;
    r.attempt++;
    r.timer = setTimeout(() => {
      r.timer = null;
      const s = states.get(address);
      if (!s || !['member', 'pending', 'joining', 'admitting'].includes(s.phase)) return;
      void serial(address, () => apply(address, (x, d) => connect(x, d))).catch((e: unknown) => log(`reconnecting ${address}: ${String(e)}`));
    }, delay);
    r.timer.unref?.();
    retries.set(address, r);
  };
  const unbounce = deps.transport.onBounce((from) => {
    const address = bare(from);
    if (states.get(address)?.awaitingAck) retry(address);
  });

  // a body that names one of our groups but comes from another address (issue 16, bad input: "a
  // forged user_added from a non-service sender") goes to that group's machine, which refuses it
  // (forged-service-message) so the user hears of it; any other body is not ours
  const groupNamed = (body: string): string | undefined => {
    if (!body.startsWith('{"t":')) return undefined;
    try {
      const named = (JSON.parse(body) as { group?: unknown }).group;
      return [...states.values()].find((s) => s.group === named)?.address;
    } catch {
      return undefined;
    }
  };

  const unsubscribe = deps.transport.onBody((from, body) => {
    const address = states.has(bare(from)) ? bare(from) : groupNamed(body);
    if (!address) return;
    void serial(address, () => apply(address, (s, d) => receive(s, from, body, d)))
      .then(({ state }) => {
        if (!state.awaitingAck) retries.delete(address);
        if (state.phase === 'member' && /send identity first/.test(body)) retry(address);
      })
      .catch((e: unknown) => {
        // a refused message changes nothing (the machine works on a copy); the user hears of forgeries
        if (isGroupError(e)) {
          log(`group ${address}: refused ${e.code}: ${e.message}`);
          if (e.code !== 'replay' && e.code !== 'malformed')
            deps.emit('group.notice', { accountId: deps.accountId, address, text: `A group message was refused: ${e.message}` });
        } else log(`group ${address}: ${e instanceof Error ? e.message : String(e)}`);
      });
  });

  const start = async (state: ClientGroupState): Promise<GroupInfo> => {
    states.set(state.address, state);
    deps.store.commit(deps.accountId, state, [], clock());
    const r = await serial(state.address, () => apply(state.address, (s, d) => connect(s, d))).catch(userError);
    return info(r.state);
  };

  return {
    async create(o = {}) {
      const domain = o.service ?? `groups.${deps.accountJid.split('@')[1] ?? ''}`;
      const id = `g-${Buffer.from(random(8)).toString('hex')}`;
      const d = await clientDeps();
      return start(newGroupState({ group: id, address: `${id}@${domain}`, me: d.me, name: o.name ?? myName, create: true, random }));
    },
    async join(address, name) {
      const a = address.toLowerCase();
      const existing = states.get(a);
      if (existing?.phase === 'member') return info(existing);
      // still waiting (or stuck after a refused answer): ask the service again
      if (existing && (existing.phase === 'pending' || existing.phase === 'admitting' || existing.phase === 'joining')) {
        const r = await serial(a, () => apply(a, (s, d) => connect(s, d))).catch(userError);
        return info(r.state);
      }
      const d = await clientDeps();
      return start(newGroupState({ group: a.split('@')[0]!, address: a, me: d.me, name: name ?? myName, create: false, random }));
    },
    async leave(address) {
      const r = await serial(address, () => apply(address, (s, d) => leave(s, d))).catch(userError);
      await deps.transport.sendUnavailable(address).catch(() => undefined);
      return info(r.state);
    },
    async remove(address, member) {
      const r = await serial(address, () => apply(address, (s, d) => remove(s, member, d))).catch(userError);
      return info(r.state);
    },
    async setAdmin(address, member, admin) {
      const r = await serial(address, () => apply(address, (s, d) => setAdmin(s, member, admin, d))).catch(userError);
      return info(r.state);
    },
    async send(address, body) {
      const r = await serial(address, () =>
        apply(
          address,
          (s, d) => sendText(s, body, d),
          (step) => step.out.flatMap((m) => (m.t === 'group' ? [{ sender: step.state.me, body, sentAt: clock(), epoch: m.epoch, ctr: m.ctr }] : [])),
        ),
      ).catch(userError);
      const mine = r.stored[0];
      if (!mine) throw new MessengerError('internal', 'the message was not stored');
      return toMessage(r.state, mine);
    },
    list() {
      return [...states.values()].map(info);
    },
    timeline(address, limit, before) {
      const s = states.get(address);
      if (!s) throw new MessengerError('not-found', 'You are not in this group.');
      return deps.store.timeline(deps.accountId, address, limit, before).map((e) => toMessage(s, e));
    },
    async online() {
      await Promise.all(
        [...states.values()]
          .filter((s) => s.phase === 'member' || s.phase === 'pending' || s.phase === 'joining' || s.phase === 'admitting')
          .map((s) => serial(s.address, () => apply(s.address, (x, d) => connect(x, d))).catch((e: unknown) => log(`reconnecting ${s.address}: ${String(e)}`))),
      );
    },
    async close() {
      unsubscribe();
      unbounce();
      for (const r of retries.values()) if (r.timer) clearTimeout(r.timer);
      retries.clear();
      await Promise.all([...states.values()].filter((s) => s.phase === 'member').map((s) => deps.transport.sendUnavailable(s.address).catch(() => undefined)));
    },
  };
}
