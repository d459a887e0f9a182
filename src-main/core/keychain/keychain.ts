// The OS keychain through keytar (DESIGN.md 4): one service name per profile; entries for the
// database key and each account's password. There is no fallback: without a keychain the
// profile cannot be opened and the user is told how to get one.
import keytar from 'keytar';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { MessengerError } from '../../../src-shared/ipc/result';

export const DATABASE_KEY_ENTRY = 'database-key';
export const accountPasswordEntry = (accountId: string): string => `account-password:${accountId}`;

export const KEYCHAIN_HELP =
  'No OS keychain could be reached, and this messenger never stores keys or passwords without one. ' +
  'On Linux, run a Secret Service provider in your session (GNOME Keyring or KWallet; on a machine without a desktop: ' +
  '`dbus-run-session -- bash`, then `echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets`). ' +
  'On macOS the login Keychain and on Windows the Credential Manager are used and must be unlocked.';

/** The default service name for a profile: stable for the same directory, distinct for others. */
export function serviceForProfile(profileDir: string): string {
  const digest = createHash('sha256').update(resolve(profileDir)).digest('hex').slice(0, 16);
  return `messenger-profile-${digest}`;
}

export interface KeyStore {
  readonly service: string;
  get(entry: string): Promise<string | null>;
  set(entry: string, secret: string): Promise<void>;
  delete(entry: string): Promise<boolean>;
}

const TIMEOUT_MS = 15_000;

async function guarded<T>(op: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      op(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new MessengerError('keychain-unavailable', `The keychain did not answer. ${KEYCHAIN_HELP}`)), TIMEOUT_MS);
      }),
    ]);
  } catch (e) {
    if (e instanceof MessengerError) throw e;
    // keytar's errors name the D-Bus problem; none carries a secret.
    const why = e instanceof Error ? e.message : String(e);
    throw new MessengerError('keychain-unavailable', `${KEYCHAIN_HELP} (${why})`);
  } finally {
    clearTimeout(timer);
  }
}

export function openKeyStore(service: string): KeyStore {
  return {
    service,
    get: (entry) => guarded(() => keytar.getPassword(service, entry)),
    set: (entry, secret) => guarded(() => keytar.setPassword(service, entry, secret)),
    delete: (entry) => guarded(() => keytar.deletePassword(service, entry)),
  };
}
