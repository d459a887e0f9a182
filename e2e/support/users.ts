// Users for the end-to-end specs: accounts made on the stack's Prosody, each signed in on a
// client of its own (a fresh profile), named `<name>-<run>` so that runs never collide.
import { randomBytes } from 'node:crypto';
import type { Stack } from '../../scripts/stack/stack';
import type { Client } from './clients';
import { signIn, type Credentials } from './ui';

export interface SignedInUser {
  who: Credentials;
  client: Client;
}

/** one signed-in client per name, in order */
export async function signedInUsers(stack: Stack, launchClient: (name: string) => Promise<Client>, ...names: string[]): Promise<SignedInUser[]> {
  const run = randomBytes(4).toString('hex');
  const users: SignedInUser[] = [];
  for (const name of names) {
    const who = { jid: `${name}-${run}@${stack.domain}`, password: `pw-${randomBytes(8).toString('hex')}`, host: stack.host, port: stack.port };
    await stack.createAccount(`${name}-${run}`, who.password);
    users.push({ who, client: await launchClient(name) });
  }
  for (const u of users) await signIn(u.client.page, u.who, 'sign-in');
  return users;
}
