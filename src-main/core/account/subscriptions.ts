// Subscription requests that get through a server's anti-flood (RFC 6121 §3, issue 18).
//
// Servers may drop subscription stanzas silently: ejabberd's default mod_pres_counter lets one
// session send and receive 5 per 60 s, so adding a second contact within a minute can lose a
// request or an approval. Nothing in RFC 6121 reports the loss, so the requester's side keeps the
// request visible (the contact's pendingOut) and, while it stays unanswered, asks again with a
// growing delay (RFC 6121 §3.1.1 lets a client send a new request; the contact's client approves a
// repeated request from someone it already approved or asked itself, see session.onPresence).
// The first delay is longer than ejabberd's window, so a retry lands in a fresh one. After the last
// delay it stops: the request stays pending and visible until the contact answers or the next
// session (a reconnect or restart) starts a new series.

export const SUBSCRIBE_RETRY_DELAYS_MS: readonly number[] = [65_000, 65_000, 130_000, 300_000, 600_000];

export interface SubscriptionRetryDeps {
  /** sends again what is still missing for a mutual subscription (see missingStanzas) */
  resend(jid: string): Promise<void>;
  /** a mutual subscription is still incomplete (see missingStanzas) */
  isPending(jid: string): boolean;
  delays?: readonly number[];
}

export class SubscriptionRetry {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; attempt: number }>();
  private readonly delays: readonly number[];

  constructor(private readonly deps: SubscriptionRetryDeps) {
    this.delays = deps.delays ?? SUBSCRIBE_RETRY_DELAYS_MS;
  }

  /** A request to `jid` just went out: (re)start its series of retries. */
  watch(jid: string): void {
    this.forget(jid);
    this.arm(jid, 0);
  }

  /** A new session: every request still pending gets a new series. */
  watchAll(jids: Iterable<string>): void {
    for (const jid of jids) if (this.deps.isPending(jid)) this.watch(jid);
  }

  /** The contact answered (or was removed): no more retries. */
  forget(jid: string): void {
    const t = this.timers.get(jid);
    if (t) clearTimeout(t.timer);
    this.timers.delete(jid);
  }

  /** The session ended: every timer stops (the next session calls watchAll). */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
  }

  /** contacts with a retry scheduled (for tests and diagnostics) */
  get watching(): string[] {
    return [...this.timers.keys()];
  }

  private arm(jid: string, attempt: number): void {
    const delay = this.delays[attempt];
    if (delay === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(jid);
      if (!this.deps.isPending(jid)) return;
      Promise.resolve()
        .then(() => this.deps.resend(jid))
        .then(
          () => this.arm(jid, attempt + 1),
          () => undefined, // not connected: the next session starts a new series
        );
    }, delay);
    timer.unref?.();
    this.timers.set(jid, { timer, attempt });
  }
}

/** The parts of a contact row this module reads (store.ContactRow) */
interface RowLike {
  jid: string;
  subscription: string;
  pending_out: number;
  in_roster: number;
}

/**
 * What to send again to a contact in our roster (we added or approved them: the messenger always
 * makes subscriptions mutual) while the subscription is incomplete:
 * - 'subscribe' while our request is unanswered (RFC 6121 §3.1.1);
 * - 'subscribed' while they do not see us: their request may be stored at our server as pending
 *   (RFC 6121 §3.1.3) after the server dropped its delivery to us, and then a repeated request is
 *   not delivered again; our 'subscribed' approves the stored one (§3.1.5), and where there is none
 *   it is a pre-approval (§3.4) or ignored.
 */
export function missingStanzas(row: RowLike | undefined): Array<'subscribe' | 'subscribed'> {
  if (!row || row.in_roster !== 1) return [];
  const out: Array<'subscribe' | 'subscribed'> = [];
  if (requestPending(row)) out.push('subscribe');
  if (row.subscription !== 'from' && row.subscription !== 'both' && (row.pending_out === 1 || row.subscription === 'to')) out.push('subscribed');
  return out;
}

/** our request to them is unanswered: asked (pendingOut) and we do not see their presence yet */
export function requestPending(row: RowLike | undefined): boolean {
  return !!row && row.pending_out === 1 && row.subscription !== 'to' && row.subscription !== 'both';
}

/** contacts of one account whose mutual subscription is incomplete */
export function pendingRequests(rows: Iterable<RowLike>): string[] {
  return [...rows].filter((r) => missingStanzas(r).length > 0).map((r) => r.jid);
}
