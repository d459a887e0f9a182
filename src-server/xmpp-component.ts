// The XMPP component connection (XEP-0114, @xmpp/component) shared by our two components, the
// prekey server (src-server/prekey/component.ts) and the group service
// (src-server/groups/component.ts): the typed part of @xmpp/component they use, and bringing a
// connection online and down.
import { createRequire } from 'node:module';

/** how a component reaches its XMPP server and where it keeps its data (both servers' configs) */
export interface ComponentSettings {
  /** the component's JID, e.g. prekeys.example.org */
  domain: string;
  /** XEP-0114 shared secret */
  secret: string;
  /** the XMPP server's component host and port */
  host: string;
  port: number;
  /** holds the SQLite file (and the prekey server's key file by default) */
  dataDir: string;
  /** postgres://… to use PostgreSQL instead of SQLite (several replicas share it) */
  postgresUrl?: string;
}

export const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
export const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

// ---- the part of @xmpp/component we use (it ships no type declarations) ----
export interface XmlElement {
  name: string;
  attrs: Record<string, string | undefined>;
  getChildText(name: string, xmlns?: string): string | null;
  getChild(name: string, xmlns?: string): XmlElement | undefined;
}
export type Xml = (name: string, attrs?: Record<string, string | undefined> | null, ...children: unknown[]) => XmlElement;
export interface IqContext {
  stanza: XmlElement;
  element: XmlElement;
}
export interface ComponentEntity {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(el: XmlElement): Promise<void>;
  on(event: 'stanza', f: (el: XmlElement) => void): void;
  on(event: 'error', f: (e: Error) => void): void;
  on(event: 'online' | 'offline', f: () => void): void;
  on(event: 'status', f: (status: string) => void): void;
  iqCallee: { get(ns: string, name: string, handler: (ctx: IqContext) => XmlElement | Promise<XmlElement>): void };
  reconnect: { stop(): void; delay: number };
}
interface ComponentModule {
  component(opts: { service: string; domain: string; password: string }): ComponentEntity;
  xml: Xml;
}
const require = createRequire(import.meta.url);
const componentModule = require('@xmpp/component') as ComponentModule;
export const component = componentModule.component;
export const xml = componentModule.xml;

/**
 * Connects and waits until the XMPP server accepted the component's handshake (XEP-0114 §3).
 * A failure (a wrong secret is not-authorized, a refused connection) stops the connection, so it
 * does not keep reconnecting in the background, and is thrown.
 */
export async function bringOnline(entity: ComponentEntity): Promise<void> {
  const online = new Promise<void>((resolve, reject) => {
    entity.on('online', () => resolve());
    entity.on('error', reject);
  });
  // a later error must not become an unhandled rejection once we are online (or gave up)
  online.catch(() => undefined);
  try {
    await entity.start();
    await online;
  } catch (e) {
    await takeDown(entity);
    throw e;
  }
}

/** Closes the connection for good: no reconnection afterwards. */
export async function takeDown(entity: ComponentEntity): Promise<void> {
  entity.reconnect.stop();
  await entity.stop().catch(() => undefined);
}
