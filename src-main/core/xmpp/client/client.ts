// Our composition of xmpp.js (the `client()` factory of @xmpp/client, rebuilt from its parts) so
// that TLS is required and verified with an optional extra CA:
// - RFC 6120 §5 STARTTLS with certificate verification always on; the certificate must name the
//   XMPP domain (RFC 6125 §6, RFC 7590 §3.3), whatever host we connect to. @xmpp/starttls cannot take
//   TLS options, so `starttls/` is ours.
// - No SASL before TLS (RFC 6120 §13.8): a feature list on a clear stream without <starttls/> ends
//   the connection (a downgrade attempt).
// - SASL SCRAM-SHA-1 (RFC 5802/6120 §6) preferred, PLAIN only inside TLS.
// - Stream management with resumption (XEP-0198), resource binding, IQ caller/callee, reconnect.
// - Incoming elements whose addresses are not valid JIDs are dropped before the middleware sees
//   them: xmpp.js would throw from an event listener on them and take the process down.
// - One connection's end never touches the next one (issue 18, seen with ejabberd's restart):
//   xmpp.js 0.14's disconnect() waits up to `timeout` for the server's closing tag and then closes
//   whatever socket and parser are current, by then the reconnected ones; data arriving after the
//   parser was detached threw a TypeError out of the socket's 'data' listener; and its SASL exchange
//   outlived its connection (sasl.ts). SafeClient binds the closing to the connection it started on.
import { Client, xml } from '@xmpp/client-core';
import { promise } from '@xmpp/events';
import type { JID } from '@xmpp/jid';
import _tcp from '@xmpp/tcp';
import _middleware, { type Middleware } from '@xmpp/middleware';
import _streamFeatures, { type StreamFeatures } from '@xmpp/stream-features';
import _iqCaller, { type IqCaller } from '@xmpp/iq/caller.js';
import _iqCallee, { type IqCallee } from '@xmpp/iq/callee.js';
import _resourceBinding from '@xmpp/resource-binding';
import _streamManagement, { type StreamManagement } from '@xmpp/stream-management';
import _reconnect, { type Reconnect } from '@xmpp/reconnect';
import SASLFactory from 'saslmechanisms';
import scramsha1 from '@xmpp/sasl-scram-sha-1';
import plain from '@xmpp/sasl-plain';
import type { Element } from '@xmpp/xml';
import { starttls, NS_TLS } from '../starttls/starttls';
import { isValidJid } from '../jid/jid';
import { sasl, type MechanismFactory } from './sasl';
import { advertisesPreApproval } from '../presence/presence';

export interface ClientOptions {
  /** the XMPP domain (the part after @) */
  domain: string;
  /** where to connect; defaults to the domain */
  host?: string;
  /** defaults to 5222 (RFC 6120 §14.7) */
  port?: number;
  /** extra trusted CA certificates (PEM) */
  extraCaPem?: string;
  /** the server certificate the user trusted for this account (xmpp/starttls/certificate.ts) */
  pinnedCertSha256?: string;
  /** omit for an unauthenticated stream (XEP-0077 registration) */
  credentials?: { username: string; password: string };
  resource?: string;
  /** stream-level timeout for each negotiation step, ms */
  timeout?: number;
}

export class InsecureStreamError extends Error {
  override readonly name = 'InsecureStreamError';
  constructor() {
    super('the server offered no STARTTLS; refusing to continue without encryption');
  }
}

/** The one stanza-level check xmpp.js needs before its middleware parses addresses. */
function addressesValid(el: Element): boolean {
  for (const key of ['from', 'to'] as const) {
    const value = el.attrs[key];
    if (value !== undefined && !isValidJid(value)) return false;
  }
  return true;
}

const NS_SM = 'urn:xmpp:sm:3';

class SafeClient extends Client {
  /**
   * XEP-0198 §4 'h': stanzas received since <enabled/>, counted here in parse order. xmpp.js
   * counts in its asynchronous middleware and resets the counter in a promise continuation, so a
   * stanza that arrives just before <enabled/> (our initial presence's echo) can be counted after
   * the reset; Prosody then ends the stream with "Client acknowledged more stanzas than sent".
   */
  smInbound = 0;

  /**
   * xmpp.js' start() with one difference: it waits for 'online' from before the stream opens, and
   * when the opening fails (a socket ended under it: "write after end") that wait was left alone
   * and rejected on the next 'error' with nobody listening, an unhandled rejection (seen in CI when
   * a core closed while its account was signing in). The opening's own failure is what start()
   * rejects with; the abandoned wait is settled quietly.
   */
  override async start(): Promise<JID> {
    if (this.status !== 'offline') throw new Error('Connection is not offline');
    const { service, domain, lang } = this.options;
    await this.connect(service);
    const online = promise<JID>(this, 'online');
    online.catch(() => {});
    await this.open(lang === undefined ? { domain } : { domain, lang });
    return online;
  }

  /**
   * xmpp.js subscribes its listeners to each new socket without unsubscribing them from a socket
   * that is still attached (an attempt whose stream opening failed stays attached, and the
   * reconnect goes on with a new one). When that old socket closed later, its 'close' detached the
   * NEW socket and reported 'disconnect': a healthy connection dropped about 30 s after a server
   * restart (seen with ejabberd behind a relay, issue 18). A new socket first takes the listeners
   * off the old one. The old socket is not ended here: STARTTLS (starttls.ts) attaches a TLS socket
   * that wraps it, and an abandoned attempt is ended by whoever abandoned it.
   */
  override _attachSocket(socket: unknown): void {
    if (this.socket && this.socket !== socket) this._detachSocket();
    super._attachSocket(socket);
  }

  /** A chunk after the stream ended (no parser) belongs to no stream: dropped, never thrown. */
  override _onData(data: Buffer): void {
    if (!this.parser) return;
    try {
      super._onData(data);
    } catch (e) {
      this.emit('error', e);
    }
  }

  /**
   * RFC 6120 §4.4: close our stream, wait for the server's closing tag, then close the socket —
   * but only the connection that was current when the close began. When its socket goes away
   * first (a server that exits after a stream error), the wait ends at once; a newer connection is
   * never closed by this one's timers.
   */
  override async disconnect(): Promise<unknown> {
    const socket = this.socket;
    if (!socket) return undefined; // that connection is over already
    const parser = this.parser;
    let el: unknown;
    if (parser) {
      try {
        el = await this._closeStream();
      } catch (reason) {
        if (this.parser === parser) this._detachParser();
        if (this.socket === socket) this._status('close', { clean: false, reason });
      }
    }
    if (this.socket !== socket) return el;
    try {
      await this._closeSocket();
    } catch (reason) {
      if (this.socket === socket) {
        this._detachSocket();
        (socket as { destroy?: () => void }).destroy?.();
        this._status('disconnect', { clean: false, reason });
      }
    }
    return el;
  }

  /** xmpp.js' wait for the server's closing tag, ended early when the socket closes. */
  override _closeStream(timeout?: number): Promise<unknown> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('no connection'));
    const gone = new Promise<never>((_, reject) => socket.once('close', () => reject(new Error('the connection closed'))));
    return Promise.race([super._closeStream(timeout), gone]);
  }

  override _onElement(element: Element): void {
    if (element.is('enabled', NS_SM)) this.smInbound = 0;
    else if (this.isStanza(element)) this.smInbound += 1; // a dropped stanza is handled too
    if (this.isStanza(element) && !addressesValid(element)) return;
    try {
      super._onElement(element);
    } catch (e) {
      // A listener threw synchronously; report it instead of unwinding into the socket handler.
      this.emit('error', e);
    }
  }
}

export interface XmppClient {
  entity: Client;
  middleware: Middleware;
  streamFeatures: StreamFeatures;
  iqCaller: IqCaller;
  iqCallee: IqCallee;
  /** absent on an unauthenticated (registration) stream */
  streamManagement?: StreamManagement;
  reconnect?: Reconnect;
  /** what the server advertised on the current connection's streams */
  serverFeatures: { preApproval: boolean };
}

/**
 * xmpp.js 0.14's IQCaller.request registers the wait for the reply, then awaits the write of the
 * request, and only then listens to the wait. An error reply that arrives before the write's
 * callback (a component that is not connected answers at once: "Component unavailable") rejected a
 * promise nobody listened to yet, an unhandled rejection that ends a Node process (seen in
 * bench/soak.ts). Each wait is marked handled as it is registered; the caller still gets the error.
 */
function settleEarlyReplies(iqCaller: IqCaller): void {
  const handlers = (iqCaller as unknown as { handlers?: Map<string, { promise: Promise<unknown> }> }).handlers;
  if (!handlers) return;
  const set = handlers.set.bind(handlers);
  handlers.set = (id, deferred) => {
    deferred.promise.catch(() => {});
    return set(id, deferred);
  };
}

export function createClient(options: ClientOptions): XmppClient {
  const host = options.host ?? options.domain;
  const port = options.port ?? 5222;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const entity = new SafeClient({ service: `xmpp://${hostPart}:${port}`, domain: options.domain, timeout: options.timeout ?? 15_000 });
  // Without an 'error' listener an EventEmitter throws; errors are handled by our callers.
  entity.on('error', () => {});
  // Each stream open waits on 'error' until it settles or times out; while a server restarts, the
  // reconnect attempts (one a second) leave several such waits pending for up to `timeout`.
  entity.setMaxListeners(50);
  _tcp({ entity });
  // Chat is many small writes (a receipt, then a reply): with Nagle's algorithm on, the second
  // waits for the server's delayed ACK (~40 ms on Linux). bench/messaging.ts measures it.
  entity.on('connect', () => {
    (entity.socket as { setNoDelay?: (on: boolean) => void } | null)?.setNoDelay?.(true);
  });

  const middleware = _middleware({ entity });
  const streamFeatures = _streamFeatures({ middleware });

  // RFC 6120 §5.3.1: TLS first. Registered before every other feature handler.
  middleware.use((ctx, next) => {
    const { stanza } = ctx;
    if (stanza.is('features', 'http://etherx.jabber.org/streams') && !entity.isSecure() && !stanza.getChild('starttls', NS_TLS)) {
      entity.emit('error', new InsecureStreamError());
      entity.disconnect().catch(() => {});
      return undefined;
    }
    return next();
  });

  const serverFeatures = { preApproval: false };
  entity.on('connect', () => {
    serverFeatures.preApproval = false;
  });
  middleware.use((ctx, next) => {
    if (ctx.stanza.is('features', 'http://etherx.jabber.org/streams') && advertisesPreApproval(ctx.stanza)) serverFeatures.preApproval = true;
    return next();
  });

  const iqCaller = _iqCaller({ middleware, entity });
  settleEarlyReplies(iqCaller);
  const iqCallee = _iqCallee({ middleware, entity });
  starttls({ streamFeatures, domain: options.domain, extraCaPem: options.extraCaPem, pinnedCertSha256: options.pinnedCertSha256 });

  const result: XmppClient = { entity, middleware, streamFeatures, iqCaller, iqCallee, serverFeatures };
  if (!options.credentials) return result;

  const credentials = options.credentials;
  const saslFactory = new SASLFactory();
  scramsha1(saslFactory);
  plain(saslFactory);
  const supported = ['SCRAM-SHA-1', 'PLAIN'];
  sasl({
    streamFeatures,
    factory: saslFactory as unknown as MechanismFactory,
    credentials,
    choose: (offered) => {
      if (!entity.isSecure()) throw new InsecureStreamError();
      // SCRAM first (the password never crosses the wire); PLAIN only inside TLS
      const mechanism = supported.find((m) => offered.includes(m));
      if (!mechanism) throw new Error('no SASL mechanism in common');
      return mechanism;
    },
  });
  const streamManagement = _streamManagement({ streamFeatures, entity, middleware });
  // Our counter replaces xmpp.js' (see SafeClient.smInbound); its writes are ignored.
  Object.defineProperty(streamManagement, 'inbound', { get: () => entity.smInbound, set: () => {}, enumerable: true, configurable: true });
  entity.on('offline', () => {
    entity.smInbound = 0;
  });
  _resourceBinding({ iqCaller, streamFeatures }, options.resource);
  const reconnect = _reconnect({ entity });

  // XEP-0199 / RFC 6120: answer pings so the server keeps us.
  iqCallee.get('urn:xmpp:ping', 'ping', () => ({}));
  return { ...result, streamManagement, reconnect };
}

export { xml };
