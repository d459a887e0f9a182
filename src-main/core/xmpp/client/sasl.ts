// SASL authentication (RFC 6120 §6) that belongs to one connection attempt.
//
// Why not @xmpp/sasl: its exchange listens for <challenge/>, <success/> and <failure/> on the
// client object, which xmpp.js reuses for every reconnection, and it stops listening only on
// success or failure. When a server goes away in the middle of an exchange (ejabberd's restart
// ends every stream with <system-shutdown/>), the stale exchange stays subscribed and answers the
// next connection's challenge as well: the server then sees two responses to one challenge
// (RFC 6120 §6.4.3 allows one) and fails a correct password. Here each exchange is bound to the
// socket it started on and ends, rejected with SaslAbortedError, as soon as that socket is gone.
import xml, { type Element } from '@xmpp/xml';
import type Connection from '@xmpp/connection';
import type { StreamFeatures } from '@xmpp/stream-features';

export const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** RFC 6120 §6.5: the server's <failure/>; `condition` is the defined condition's element name. */
export class SaslFailure extends Error {
  // 'SASLError' is what errors.ts maps (the name xmpp.js used for the same thing)
  override readonly name = 'SASLError';
  // The server's optional <text/> is deliberately not kept: it is free text from the server.
  constructor(readonly condition: string) {
    super(`SASL failure: ${condition}`);
  }
}

/** The connection this exchange ran on ended before the server's <success/> or <failure/>. */
export class SaslAbortedError extends Error {
  override readonly name = 'SaslAbortedError';
  constructor() {
    super('the connection ended during authentication');
  }
}

/** What saslmechanisms' factory and its mechanisms (SCRAM-SHA-1, PLAIN) give us. */
interface Mechanism {
  name: string;
  clientFirst?: boolean;
  response(creds: Record<string, unknown>): string | Promise<string>;
  challenge(data: string): unknown;
}
export interface MechanismFactory {
  create(names: string[]): Mechanism | null;
}

// RFC 5802 §5.1 / RFC 4616 §2: the messages are UTF-8 (xmpp.js' btoa() threw on non-Latin-1 text)
const encode = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/** RFC 6120 §6.4.5: <failure/> holds one defined condition, maybe a <text/>. */
export function failureCondition(el: Element): string {
  const child = el.getChildElements().find((c) => c.name !== 'text');
  return child?.name ?? 'not-authorized';
}

/**
 * Runs one SASL exchange on the entity's current connection. Resolves on <success/>, rejects with
 * SaslFailure on <failure/> and with SaslAbortedError when that connection ends first; in every
 * case it has stopped listening, so it can never answer a later connection's challenge.
 */
export function authenticateOnce(
  entity: Connection,
  factory: MechanismFactory,
  mechanismName: string,
  credentials: { username: string; password: string },
): Promise<void> {
  const mech = factory.create([mechanismName]);
  if (!mech) return Promise.reject(new Error(`SASL mechanism ${mechanismName} is not available`));
  const socket = entity.socket;
  const { domain } = entity.options;
  const creds = { server: domain, host: domain, realm: domain, serviceType: 'xmpp', serviceName: domain, ...credentials };

  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const current = () => !settled && entity.socket === socket && socket !== null;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      entity.off('nonza', onNonza);
      entity.off('status', onStatus);
      if (error) reject(error);
      else resolve();
    };
    const onStatus = (status: string) => {
      if (status === 'disconnect' || status === 'close' || status === 'offline' || status === 'connecting') finish(new SaslAbortedError());
    };
    const onNonza = (el: Element) => {
      if (!current()) return finish(new SaslAbortedError());
      if (el.getNS() !== NS_SASL) return;
      if (el.name === 'failure') return finish(new SaslFailure(failureCondition(el)));
      if (el.name === 'success') return finish();
      if (el.name !== 'challenge') return;
      void (async () => {
        await mech.challenge(decode(el.text()));
        const response = await mech.response(creds);
        // the connection may have ended while the mechanism computed (SCRAM's PBKDF2)
        if (!current()) return finish(new SaslAbortedError());
        await entity.send(xml('response', { xmlns: NS_SASL }, typeof response === 'string' ? encode(response) : ''));
      })().catch((e: unknown) => finish(e instanceof Error ? e : new Error('SASL exchange failed')));
    };
    entity.on('nonza', onNonza);
    entity.on('status', onStatus);
    void (async () => {
      const initial = mech.clientFirst ? encode(await mech.response(creds)) : '';
      if (!current()) return finish(new SaslAbortedError());
      await entity.send(xml('auth', { xmlns: NS_SASL, mechanism: mech.name }, initial));
    })().catch((e: unknown) => finish(e instanceof Error ? e : new Error('SASL exchange failed')));
  });
}

/**
 * The SASL stream feature (RFC 6120 §6.4.1): picks a mechanism with `choose`, authenticates once on
 * this connection, then restarts the stream (§6.4.6).
 */
export function sasl(deps: {
  streamFeatures: StreamFeatures;
  factory: MechanismFactory;
  credentials: { username: string; password: string };
  choose: (offered: string[], entity: Connection) => string;
}): void {
  deps.streamFeatures.use('mechanisms', NS_SASL, async ({ entity }, _next, feature) => {
    const offered = feature.getChildren('mechanism', NS_SASL).map((m) => m.text().trim());
    const mechanism = deps.choose(offered, entity);
    await authenticateOnce(entity, deps.factory, mechanism, deps.credentials);
    await entity.restart();
  });
}
