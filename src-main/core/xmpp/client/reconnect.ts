// How an account reacts to 'auth-failed' while xmpp.js reconnects on its own (issue 18).
//
// A password the server stopped accepting does not heal by retrying, so the account stops and asks
// for it. But during a reconnect storm (every client of a restarting server coming back at once)
// a server can fail a correct password: a half-started server whose accounts are not loaded yet,
// or one that saw a stale exchange of a previous connection. So a few failures in a row are
// retried with a growing delay before the account is marked as needing its password; a session
// that gets online again starts the count afresh. The bound keeps a wrong password from hammering
// the server (ejabberd's mod_fail2ban bans an address after 20 failures by default).

export const AUTH_RETRY_DELAYS_MS: readonly number[] = [2_000, 5_000, 10_000];

export class AuthFailureBudget {
  private failures = 0;

  constructor(private readonly delays: readonly number[] = AUTH_RETRY_DELAYS_MS) {}

  /** An auth failure happened on a reconnect: the delay before trying again, or null to give up. */
  next(): number | null {
    const delay = this.delays[this.failures];
    this.failures += 1;
    return delay ?? null;
  }

  /** The account got online: the next failure is the first of a new series. */
  reset(): void {
    this.failures = 0;
  }
}

/** xmpp.js' reconnect delay between attempts when nothing went wrong (@xmpp/reconnect default) */
const RECONNECT_DELAY_MS = 1_000;

interface Reconnecting {
  entity: { disconnect(): Promise<unknown> };
  reconnect?: { delay: number } | undefined;
}

/**
 * An 'auth-failed' on a reconnect: true when it is retried (this connection is closed, xmpp.js'
 * reconnect tries again after the budget's delay), false when the account should give up.
 */
export function retryAfterAuthFailure(budget: AuthFailureBudget, client: Reconnecting): boolean {
  if (!client.reconnect) return false;
  const delay = budget.next();
  if (delay === null) return false;
  client.reconnect.delay = delay;
  // a SASL failure leaves the stream open (RFC 6120 §6.4.5 lets the client retry on it); we start over
  void client.entity.disconnect().catch(() => {});
  return true;
}

/** The account is online again: a new series of failures may be retried, at the usual pace. */
export function authSucceeded(budget: AuthFailureBudget, client: Reconnecting): void {
  budget.reset();
  if (client.reconnect) client.reconnect.delay = RECONNECT_DELAY_MS;
}
