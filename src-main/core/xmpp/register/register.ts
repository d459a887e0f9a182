// In-band registration (XEP-0077 §3.1) on its own unauthenticated connection, after STARTTLS:
// ask for the form (iq get), then send username and password (iq set). The account is then used
// through a normal authenticated connection. The stream feature
// <register xmlns='http://jabber.org/features/iq-register'/> (XEP-0077 §4) tells whether the
// server allows it.
import xml, { type Element } from '@xmpp/xml';
import { promise } from '@xmpp/events';
import { MessengerError } from '../../../../src-shared/ipc/result';
import { createClient, type ClientOptions } from '../client/client';
import { conditionName } from '../../errors';

export const NS_REGISTER = 'jabber:iq:register';
export const NS_REGISTER_FEATURE = 'http://jabber.org/features/iq-register';
const NS_STREAMS = 'http://etherx.jabber.org/streams';

export interface RegisterOptions extends Omit<ClientOptions, 'credentials'> {
  username: string;
  password: string;
}

interface StanzaErrorLike {
  name?: string;
  condition?: string;
}

/** XEP-0077 §3.1 error conditions in plain words. */
function registrationError(e: unknown, domain: string): MessengerError {
  const err = (typeof e === 'object' && e !== null ? e : {}) as StanzaErrorLike;
  if (err.name === 'StanzaError') {
    switch (err.condition) {
      case 'conflict':
        return new MessengerError('account-exists', `An account with this name already exists on ${domain}.`);
      case 'not-acceptable':
        return new MessengerError(
          'registration-refused',
          `${domain} did not accept this user name or password (it may be too short or contain characters it does not allow).`,
        );
      case 'not-allowed':
      case 'forbidden':
      case 'service-unavailable':
      case 'feature-not-implemented':
        return new MessengerError('registration-refused', `${domain} does not allow creating accounts from the client.`);
      case 'resource-constraint':
      case 'policy-violation':
        return new MessengerError('registration-refused', `${domain} refused the registration for now (too many registrations); try again later.`);
      default:
        // ejabberd echoes the submitted form, password included, in the error stanza: only a
        // condition from RFC 6120's list is repeated, never the server's text (errors.ts)
        return new MessengerError('registration-refused', `${domain} refused the registration (${conditionName(err.condition)}).`);
    }
  }
  if (e instanceof MessengerError) return e;
  return new MessengerError('internal', 'registration failed');
}

/**
 * Registers `username` with `password` on the server. Errors are MessengerErrors: account-exists,
 * registration-refused, or the connection errors (mapped by `mapConnectError`).
 */
export async function register(options: RegisterOptions, mapConnectError: (e: unknown) => MessengerError): Promise<void> {
  const { username, password, ...clientOptions } = options;
  const client = createClient(clientOptions);
  const { entity, middleware, iqCaller } = client;

  // The feature list that arrives on the encrypted stream (after the STARTTLS restart).
  const secureFeatures = new Promise<Element>((resolve) => {
    middleware.use((ctx, next) => {
      if (ctx.stanza.is('features', NS_STREAMS) && entity.isSecure()) resolve(ctx.stanza);
      return next();
    });
  });
  const failed = promise<never>(entity, 'error-not-emitted', 'error');
  failed.catch(() => {});
  const timeout = options.timeout ?? 15_000;
  const timer = (ms: number) =>
    new Promise<never>((_, reject) => setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), ms).unref());

  try {
    let features: Element;
    try {
      await entity.connect(entity.options.service);
      await entity.open({ domain: options.domain });
      features = await Promise.race([secureFeatures, failed, timer(timeout)]);
    } catch (e) {
      throw mapConnectError(e);
    }
    if (!features.getChild('register', NS_REGISTER_FEATURE)) {
      throw new MessengerError('registration-refused', `${options.domain} does not allow creating accounts from the client.`);
    }
    try {
      // XEP-0077 §3.1 example 1: ask which fields are required
      const form = await iqCaller.get(xml('query', { xmlns: NS_REGISTER }), undefined, timeout);
      if (form?.getChild('x', 'jabber:x:data') && !form.getChild('username')) {
        throw new MessengerError('registration-refused', `${options.domain} wants a registration form this messenger cannot fill in.`);
      }
      // XEP-0077 §3.1 example 3
      await iqCaller.set(xml('query', { xmlns: NS_REGISTER }, xml('username', {}, username), xml('password', {}, password)), undefined, timeout);
    } catch (e) {
      if (e instanceof MessengerError) throw e;
      if ((e as StanzaErrorLike).name === 'TimeoutError') throw mapConnectError(e);
      throw registrationError(e, options.domain);
    }
  } finally {
    await Promise.race([entity.stop().catch(() => {}), timer(3000).catch(() => {})]);
    (entity.socket as { destroy?: () => void } | null)?.destroy?.();
  }
}
