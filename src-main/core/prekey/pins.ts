// The prekey server fingerprints pinned on first use, per account (a keychain entry next to the
// OTR identity; otrv4-prekey-server.md §"Discovering a Prekey Server" leaves trust to the client).
import type { KeyStore } from '../keychain/keychain';

/** the keychain entry of the prekey server fingerprints pinned for an account */
export const prekeyPinsEntry = (accountId: string): string => `otr-prekey-pins:${accountId}`;

/**
 * The user accepts the key a prekey server presents now (after a reinstall of the server, say):
 * it replaces the pinned one. The next lifecycle (the session restarts it) publishes again.
 */
export async function repinPrekeyServer(keys: KeyStore, accountId: string, server: string, fingerprint: string): Promise<void> {
  const pins = await readPins(keys, accountId);
  await keys.set(prekeyPinsEntry(accountId), JSON.stringify({ ...pins, [server]: fingerprint.toUpperCase() }));
}

export async function readPins(keys: KeyStore, accountId: string): Promise<Record<string, string>> {
  const text = await keys.get(prekeyPinsEntry(accountId));
  if (text === null) return {};
  try {
    const o = JSON.parse(text) as unknown;
    if (!o || typeof o !== 'object') return {};
    return Object.fromEntries(
      Object.entries(o as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string' && /^[0-9A-F]{112}$/i.test(e[1])),
    );
  } catch {
    // a damaged entry pins nothing; the first server seen is pinned again
    return {};
  }
}
