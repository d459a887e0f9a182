// Minimal type declarations for the parts of xmpp.js 0.14 that the core uses. The packages ship
// no types (DefinitelyTyped's @types/xmpp__* are not installed); these describe only what we call.

declare module '@xmpp/xml' {
  export type XmlAttrs = Record<string, string | number | undefined | null>;
  export type XmlChild = Element | string | undefined | null | false;
  export class Element {
    constructor(name: string, attrs?: XmlAttrs);
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<Element | string>;
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    append(...children: XmlChild[]): Element;
    toString(): string;
  }
  export class Parser {
    constructor();
    write(data: string): void;
    end(data?: string): void;
    on(event: 'element', listener: (el: Element) => void): this;
    on(event: 'start', listener: (el: Element) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
  export class XMLError extends Error {}
  declare function xml(name: string, attrs?: XmlAttrs | null, ...children: Array<XmlChild | XmlChild[]>): Element;
  declare namespace xml {
    export { Element, Parser };
  }
  export default xml;
}

declare module '@xmpp/jid' {
  export class JID {
    constructor(local: string | null | undefined, domain: string, resource?: string);
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
    equals(other: JID): boolean;
  }
  declare function jid(address: string): JID;
  declare function jid(local: string | null | undefined, domain: string, resource?: string): JID;
  export default jid;
}

declare module '@xmpp/events' {
  import { EventEmitter } from 'node:events';
  export { EventEmitter };
  export function promise<T = unknown>(target: EventEmitter, event: string, rejectEvent?: string | null, timeout?: number): Promise<T>;
  export class TimeoutError extends Error {}
}

declare module '@xmpp/error' {
  import type { Element } from '@xmpp/xml';
  export default class XMPPError extends Error {
    condition: string;
    text?: string;
    application?: Element;
    element?: Element;
  }
}

declare module '@xmpp/middleware' {
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  export interface Context {
    stanza: Element;
    entity: unknown;
    name: string;
    id: string;
    type: string;
    from: JID | null;
    to: JID | null;
    element?: Element;
  }
  export type Next = () => Promise<unknown>;
  export type Handler = (ctx: Context, next: Next) => unknown;
  export interface Middleware {
    use(fn: Handler): Handler;
    filter(fn: Handler): Handler;
  }
  export default function middleware(deps: { entity: unknown }): Middleware;
}

declare module '@xmpp/connection' {
  import { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  export default class Connection extends EventEmitter {
    constructor(options?: Record<string, unknown>);
    jid: JID | null;
    status: string;
    timeout: number;
    options: { domain: string; service: string; lang?: string; [k: string]: unknown };
    socket: ({ secure?: boolean; socket?: unknown; end(): void; write(d: string, cb: (e?: Error) => void): void } & EventEmitter) | null;
    isSecure(): boolean;
    isStanza(el: Element): boolean;
    send(el: Element): Promise<void>;
    sendMany(els: Element[]): Promise<void>;
    start(): Promise<JID>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    restart(): Promise<unknown>;
    connect(service: string): Promise<unknown>;
    open(options: { domain: string; lang?: string }): Promise<unknown>;
    _onElement(el: Element): void;
    parser: { write(data: string): void } | null;
    _onData(data: Buffer): void;
    _closeStream(timeout?: number): Promise<unknown>;
    _closeSocket(timeout?: number): Promise<unknown>;
    _detachParser(): void;
    _detachSocket(): void;
    _status(status: string, ...args: unknown[]): void;
    _attachSocket(socket: unknown): void;
    _ready(resumed?: boolean): void;
  }
}

declare module '@xmpp/client-core' {
  import Connection from '@xmpp/connection';
  export class Client extends Connection {
    transports: unknown[];
    constructor(options: Record<string, unknown>);
  }
  export { default as xml } from '@xmpp/xml';
  export { default as jid } from '@xmpp/jid';
}

declare module '@xmpp/tcp' {
  export default function tcp(deps: { entity: unknown }): void;
}

declare module '@xmpp/tls/lib/Socket.js' {
  import { EventEmitter } from 'node:events';
  import type { ConnectionOptions } from 'node:tls';
  export default class Socket extends EventEmitter {
    secure: boolean;
    socket: import('node:tls').TLSSocket | null;
    connect(options: ConnectionOptions): void;
    end(): void;
    write(data: string, cb: (e?: Error) => void): void;
  }
}

declare module '@xmpp/stream-features' {
  import type { Middleware, Context, Next } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface StreamFeatures {
    use(name: string, xmlns: string, handler: (ctx: Context & { entity: import('@xmpp/connection').default }, next: Next, feature: Element) => unknown): void;
  }
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Middleware } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface IqCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    get(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
    set(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
  }
  export default function iqCaller(deps: { middleware: Middleware; entity: unknown }): IqCaller;
}

declare module '@xmpp/iq/callee.js' {
  import type { Middleware, Context, Next } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface IqCallee {
    get(ns: string, name: string, handler: (ctx: Context, next: Next) => Element | object | undefined | Promise<Element | object | undefined>): void;
    set(ns: string, name: string, handler: (ctx: Context, next: Next) => Element | object | undefined | Promise<Element | object | undefined>): void;
  }
  export default function iqCallee(deps: { middleware: Middleware; entity: unknown }): IqCallee;
}

declare module '@xmpp/sasl' {
  import type { StreamFeatures } from '@xmpp/stream-features';
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  export default function sasl(
    deps: { streamFeatures: StreamFeatures; saslFactory: unknown },
    onAuthenticate: (authenticate: Authenticate, mechanisms: string[], fast: unknown, entity: unknown) => Promise<void>,
  ): void;
}

declare module '@xmpp/sasl/lib/SASLError.js' {
  import XMPPError from '@xmpp/error';
  export default class SASLError extends XMPPError {}
}

declare module '@xmpp/sasl-scram-sha-1' {
  export default function scramsha1(factory: unknown): void;
}
declare module '@xmpp/sasl-plain' {
  export default function plain(factory: unknown): void;
}
declare module 'saslmechanisms' {
  export default class SASLFactory {
    constructor();
  }
}

declare module '@xmpp/resource-binding' {
  import type { StreamFeatures } from '@xmpp/stream-features';
  import type { IqCaller } from '@xmpp/iq/caller.js';
  export default function resourceBinding(deps: { streamFeatures: StreamFeatures; iqCaller: IqCaller }, resource?: string): void;
}

declare module '@xmpp/stream-management' {
  import { EventEmitter } from 'node:events';
  import type { StreamFeatures } from '@xmpp/stream-features';
  import type { Middleware } from '@xmpp/middleware';
  import type { Element } from '@xmpp/xml';
  export interface StreamManagement extends EventEmitter {
    enabled: boolean;
    id: string;
    inbound: number;
    outbound: number;
    outbound_q: Array<{ stanza: Element; stamp: string }>;
    timeout: number;
    requestAckInterval: number;
    on(event: 'ack' | 'fail', listener: (stanza: Element) => void): this;
    on(event: 'resumed', listener: () => void): this;
  }
  export default function streamManagement(deps: {
    streamFeatures: StreamFeatures;
    entity: unknown;
    middleware: Middleware;
    bind2?: unknown;
    sasl2?: unknown;
  }): StreamManagement;
}

declare module '@xmpp/reconnect' {
  import { EventEmitter } from 'node:events';
  export interface Reconnect extends EventEmitter {
    delay: number;
    start(): void;
    stop(): void;
    scheduleReconnect(): void;
  }
  export default function reconnect(deps: { entity: unknown }): Reconnect;
}
