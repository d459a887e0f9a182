// The push account of one XMPP account (docs/architecture.md §7; ChatSecure Push Protocol v3.1, "Register
// Alice with App's Push Server"): create or sign in with push_name + password at the chosen
// api_endpoint, register this desktop as a `desktop` device, and keep the secrets in the OS
// keychain (docs/architecture.md §4): the password, the login token (Authorization: Token) and the desktop
// channel secret (registration_id, returned once by the server). The profile database holds only
// the api_endpoint, push_name and device id.
import type { KeyStore } from '../keychain/keychain';
import type { AccountResponse, DeviceKind, DeviceResponse, KnockEnvelope, TokenResponse } from '../../../src-shared/push/wire';
import { normalizeEndpoint, passwordSchema, pushNameSchema } from '../../../src-shared/push/wire';
import { MessengerError } from '../../../src-shared/ipc/result';
import type { DesktopLink } from './channel';
import type { PushStore } from './push-store';

/** The part of the push server's client (src-shared/node-push/client.ts) the core uses. */
export interface PushApi {
  createOrLogin(username: string, password: string): Promise<AccountResponse>;
  login(username: string, password: string): Promise<AccountResponse>;
  registerDevice(kind: DeviceKind, fields: { name?: string }): Promise<DeviceResponse>;
  createToken(opts: { device?: string; name?: string }): Promise<TokenResponse>;
  revokeToken(token: string): Promise<void>;
  sendKnock(knock: KnockEnvelope): Promise<{ id: string; status: string }>;
  connectDesktop(registrationId: string): Promise<DesktopLink>;
  close(): void;
}

/** Builds a client for an api_endpoint, signed in with `token` when given. */
export type PushApiFactory = (endpoint: string, token?: string) => PushApi;

export const pushPasswordEntry = (accountId: string) => `push-password:${accountId}`;
export const pushTokenEntry = (accountId: string) => `push-token:${accountId}`;
export const pushDeviceEntry = (accountId: string) => `push-device:${accountId}`;

export interface PushSignIn {
  apiEndpoint: string;
  pushName: string;
  password: string;
  /** create the account if it does not exist (ChatSecure's accounts/ semantics), else sign in only */
  create: boolean;
}

export interface SignedIn {
  api: PushApi;
  deviceSecret: string;
}

/** Validates the user's input before anything goes over the network. */
export function checkSignIn(input: PushSignIn): PushSignIn {
  let apiEndpoint: string;
  try {
    apiEndpoint = normalizeEndpoint(input.apiEndpoint);
  } catch {
    throw new MessengerError('invalid-argument', 'The push server address must be an http(s) URL such as https://push.example/api/v1/.');
  }
  if (!pushNameSchema.safeParse(input.pushName).success) throw new MessengerError('invalid-argument', 'A push name has 1 to 64 letters, digits or @ . + - _.');
  if (!passwordSchema.safeParse(input.password).success)
    throw new MessengerError('invalid-argument', 'The push password must be 1 to 100 printable characters.');
  return { ...input, apiEndpoint };
}

export async function signIn(
  deps: { store: PushStore; keys: KeyStore; http: PushApiFactory; now(): number },
  accountId: string,
  raw: PushSignIn,
): Promise<SignedIn> {
  const input = checkSignIn(raw);
  const api = deps.http(input.apiEndpoint);
  try {
    const account = input.create ? await api.createOrLogin(input.pushName, input.password) : await api.login(input.pushName, input.password);
    if (!account.token) throw new MessengerError('internal', 'The push server did not return a login token.');
    const device = await api.registerDevice('desktop', { name: 'Messenger desktop' });
    if (!device.registration_id) throw new MessengerError('internal', 'The push server did not return the desktop channel secret.');
    await deps.keys.set(pushPasswordEntry(accountId), input.password);
    await deps.keys.set(pushTokenEntry(accountId), account.token);
    await deps.keys.set(pushDeviceEntry(accountId), device.registration_id);
    deps.store.setAccount({ account_id: accountId, api_endpoint: input.apiEndpoint, push_name: input.pushName, device_id: device.id, created_at: deps.now() });
    api.close();
    return { api: deps.http(input.apiEndpoint, account.token), deviceSecret: device.registration_id };
  } catch (e) {
    api.close();
    throw e;
  }
}

/** The stored push account, signed in again with the token from the keychain (at start-up). */
export async function resume(deps: { store: PushStore; keys: KeyStore; http: PushApiFactory }, accountId: string): Promise<SignedIn | undefined> {
  const row = deps.store.account(accountId);
  if (!row) return undefined;
  const token = await deps.keys.get(pushTokenEntry(accountId));
  const deviceSecret = await deps.keys.get(pushDeviceEntry(accountId));
  if (!token || !deviceSecret) return undefined;
  return { api: deps.http(row.api_endpoint, token), deviceSecret };
}

export async function forget(deps: { store: PushStore; keys: KeyStore }, accountId: string): Promise<void> {
  deps.store.deleteAccount(accountId);
  for (const entry of [pushPasswordEntry, pushTokenEntry, pushDeviceEntry]) await deps.keys.delete(entry(accountId)).catch(() => false);
}
