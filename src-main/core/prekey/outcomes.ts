// What the prekey lifecycle (lifecycle.ts) did, as data: logged without any key material and
// published on the diagnostics channel PREKEY_CHANNEL, which tests and diagnostics subscribe to.
import { channel } from 'node:diagnostics_channel';
import { PrekeyError } from './client';

export const PREKEY_CHANNEL = 'messenger:prekey';

export type PrekeyOutcome =
  | { accountId: string; outcome: 'no-server' }
  /** `announced`: the key the server presents now (112 hex digits), for the user to accept or not */
  | { accountId: string; outcome: 'fingerprint-changed'; server: string; announced: string }
  /**
   * `trigger` is absent for the publication at login, 'prekey-used' for a top-up after one was
   * used, 'renewal' for new profiles made during the session
   */
  | { accountId: string; outcome: 'published'; server: string; before: number; published: number; trigger?: 'prekey-used' | 'renewal' }
  | { accountId: string; outcome: 'failed'; server?: string; code: string };

const diagnostics = channel(PREKEY_CHANNEL);

export function report(o: PrekeyOutcome): PrekeyOutcome {
  if (o.outcome === 'fingerprint-changed') {
    console.warn(`core: the prekey server ${o.server} presents a different key than before; nothing was published to it`);
  } else if (o.outcome === 'failed') {
    console.warn(`core: publishing prekeys${o.server ? ` to ${o.server}` : ''} failed (${o.code})`);
  }
  if (diagnostics.hasSubscribers) diagnostics.publish(o);
  return o;
}

/** a code for logs: the error's kind only, never its text (which could quote a stanza) */
export function codeOf(err: unknown): string {
  if (err instanceof PrekeyError) return err.code;
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') return (err as { code: string }).code;
  return err instanceof Error ? err.name : 'unknown';
}
