// The OS keychain through keytar (docs/architecture.md §4): one service name per profile; small entries only:
// the database key, the data key (data-key.ts), each account's password and its pinned prekey
// servers. Secrets of any size (the OTR keys) live sealed in the profile database instead
// (otr/identity.ts): Windows Credential Manager holds at most 2,560 bytes per entry, and every
// entry is held to that limit here on every platform so that a too-big entry fails in our tests
// on Linux, not only for users on Windows. There is no fallback: without a keychain the profile
// cannot be opened and the user is told how to get one.
import keytar from 'keytar';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { MessengerError } from '../../../src-shared/ipc/result';

export const DATABASE_KEY_ENTRY = 'database-key';
/** CRED_MAX_CREDENTIAL_BLOB_SIZE (wincred.h: 5 × 512 bytes); keytar stores the secret as UTF-8 */
export const KEYCHAIN_ENTRY_MAX_BYTES = 2560;
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
    set: (entry, secret) => {
      // a programming error, not the user's: say which entry, never what it holds
      const size = Buffer.byteLength(secret, 'utf8');
      if (size > KEYCHAIN_ENTRY_MAX_BYTES)
        return Promise.reject(
          new MessengerError(
            'internal',
            `The keychain entry "${entry}" would hold ${size} bytes; an entry holds at most ${KEYCHAIN_ENTRY_MAX_BYTES} on every platform.`,
          ),
        );
      return guarded(() => keytar.setPassword(service, entry, secret));
    },
    delete: (entry) => guarded(() => keytar.deletePassword(service, entry)),
  };
}
