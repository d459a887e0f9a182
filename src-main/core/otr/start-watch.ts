// Watches our requests for a private conversation (issue 11 item 6): a query (OTRv3 §"Query
// Messages") or a whitespace tag toward a client that never answers must not leave the user
// staring at nothing. While a request is out, the status carries `starting` (the renderer shows
// "starting… (sent the request N s ago)"); after START_ANSWER_TIMEOUT_MS without any OTR answer
// (a key exchange message, OTRv3 §"Authenticated Key Exchange" / OTRv4 §"Interactive DAKE") the
// request is given up: a 'start-unanswered' notice says what probably happened, and the status
// says `gaveUp` so the renderer offers the choices (ask again and keep waiting, send the waiting
// messages unencrypted, start through the contact's prekeys). Waiting messages stay queued;
// nothing goes out in clear unless the user says so (otr/queue.ts resolve).
import type { Clock } from '../../../src-shared/otr/common/random';
import type { Notices } from './notices';
import type { OtrStore } from './otr-store';
import type { Peers, PeerState } from './peers';
import type { StatusReporter } from './status';

/** how long a request for a private conversation may go unanswered before we say so */
export const START_ANSWER_TIMEOUT_MS = 30_000;

/** timers, injected so tests drive them with a fake clock */
export interface StartTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const systemTimers: StartTimers = {
  set(fn, ms) {
    const t = setTimeout(fn, ms);
    // a pending watch never keeps the process alive
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface StartWatchDeps {
  accountId: string;
  store: OtrStore;
  clock: Clock;
  peers: Peers;
  notices: Notices;
  status: StatusReporter;
  timers: StartTimers;
  timeoutMs?: number;
}

export interface StartWatch {
  /** a request (query) for a private conversation went out to the contact */
  requested(ps: PeerState): void;
  /**
   * after the contact's message was handled: an encrypted session ends the watch; an OTR
   * answer (key exchange in progress) starts the time again
   */
  received(ps: PeerState, answeredWithOtr: boolean): void;
  /** the contact's client offered only OTR version 2, which the policy refuses */
  olderVersionRefused(ps: PeerState, by: 'query' | 'whitespace-tag' | 'ake'): void;
  /** the user ended the conversation: nothing is being started any more */
  stop(ps: PeerState): void;
  /**
   * the account's OTR is going away (core closed, account removed): every pending watch is
   * cleared, and none fires later into a closed profile database (seen in bench/soak.ts)
   */
  close(): void;
}

export function createStartWatch(deps: StartWatchDeps): StartWatch {
  const { peers, notices, status, timers } = deps;
  const timeout = deps.timeoutMs ?? START_ANSWER_TIMEOUT_MS;
  /** contacts told about the refused version 2 since the last request (told once, not per message) */
  const toldRefused = new Set<string>();
  let closed = false;

  const stop = (ps: PeerState): void => {
    if (ps.starting?.timer !== undefined) timers.clear(ps.starting.timer);
    ps.starting = undefined;
  };

  const giveUp = (ps: PeerState): void => {
    const st = ps.starting;
    if (closed || !st || st.gaveUp) return;
    if (peers.encryptedSession(ps)) return stop(ps);
    st.gaveUp = true;
    st.timer = undefined;
    const seconds = Math.max(0, Math.round((deps.clock() - st.sentAt) / 1000));
    notices.raise(ps.peer, { kind: 'start-unanswered', seconds, queued: deps.store.queuedCount(deps.accountId, ps.peer) });
    status.emit(ps);
  };

  const arm = (ps: PeerState, sentAt: number): void => {
    stop(ps);
    const st: NonNullable<PeerState['starting']> = { sentAt, gaveUp: false };
    ps.starting = st;
    st.timer = timers.set(() => {
      // a later request replaced this one: its own timer decides
      if (ps.starting === st) giveUp(ps);
    }, timeout);
  };

  return {
    requested(ps) {
      toldRefused.delete(ps.peer);
      if (peers.encryptedSession(ps)) return stop(ps);
      arm(ps, deps.clock());
    },
    received(ps, answeredWithOtr) {
      if (!ps.starting) return;
      if (peers.encryptedSession(ps)) return stop(ps);
      // the contact's client speaks OTR and the exchange moves: the time starts again, but the
      // progress keeps saying when the request went
      if (answeredWithOtr && !ps.starting.gaveUp) {
        arm(ps, ps.starting.sentAt);
      }
    },
    olderVersionRefused(ps, by) {
      if (!toldRefused.has(ps.peer)) {
        toldRefused.add(ps.peer);
        notices.raise(ps.peer, { kind: 'older-version-refused', by });
      }
      // waiting longer changes nothing: offer the choices now
      if (ps.starting && !ps.starting.gaveUp) {
        if (ps.starting.timer !== undefined) timers.clear(ps.starting.timer);
        ps.starting = { sentAt: ps.starting.sentAt, gaveUp: true };
      }
    },
    stop,
    close() {
      closed = true;
      for (const ps of peers.all()) stop(ps);
    },
  };
}
