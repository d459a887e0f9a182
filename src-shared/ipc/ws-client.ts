// The IPC contract over a WebSocket (docs/architecture.md §3, "Browser host"): what the renderer uses when it
// runs in a browser tab instead of Electron (no window.messenger). The host side is
// src-main/host/server.ts; both sides share the frame types below, and the host validates every
// request with dispatchRequest exactly as the Electron binding does.
//
// Frames are JSON text:
//   client -> host  { type: 'request', id, name, input }
//   host -> client  { type: 'response', id, result }          (result: Result<unknown>)
//                   { type: 'event', event: { name, payload } }
//                   { type: 'error', error }                   (a frame that matched no request)
import type { EventName, EventPayloads, MessengerApi, MessengerEvent, RequestInput, RequestName, RequestOutput } from './contract';
import { err, type IpcError, type Result } from './result';

export interface RequestFrame {
  type: 'request';
  id: number;
  name: string;
  input: unknown;
}
export type ServerFrame =
  { type: 'response'; id: number; result: Result<unknown> } | { type: 'event'; event: MessengerEvent } | { type: 'error'; error: IpcError };

/** Path of the WebSocket endpoint on the host; the per-run token travels as `?token=`. */
export const WS_PATH = '/ipc';
/** Largest frame either side accepts (a message body is at most 64 KiB, see contract.ts). */
export const WS_MAX_FRAME_BYTES = 1024 * 1024;

export type WsStatus = 'connecting' | 'open' | 'closed';

/** The subset of the browser WebSocket this client needs (Node's `ws` has it too, for tests). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface WsMessengerApi extends MessengerApi {
  readonly status: WsStatus;
  /** connection status changes; returns an unsubscribe function */
  onStatus(listener: (status: WsStatus) => void): () => void;
  close(): void;
}

/** Builds the WebSocket URL for a host page URL such as http://127.0.0.1:PORT/#token=... */
export function wsUrlFromPage(pageUrl: string): string | null {
  const url = new URL(pageUrl);
  const token = new URLSearchParams(url.hash.replace(/^#/, '')).get('token');
  if (!token) return null;
  const scheme = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${url.host}${WS_PATH}?token=${encodeURIComponent(token)}`;
}

const OPEN = 1;

export function createWsMessengerApi(url: string, factory: WebSocketFactory = (u) => new WebSocket(u)): WsMessengerApi {
  const socket = factory(url);
  let status: WsStatus = 'connecting';
  let nextId = 1;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const queued: string[] = [];
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const statusListeners = new Set<(s: WsStatus) => void>();

  const setStatus = (s: WsStatus) => {
    status = s;
    for (const l of statusListeners) l(s);
  };

  socket.addEventListener('open', () => {
    setStatus('open');
    for (const frame of queued.splice(0)) socket.send(frame);
  });
  const onGone = () => {
    if (status === 'closed') return;
    setStatus('closed');
    queued.length = 0;
    // Nothing will answer these any more: settle them instead of leaving the UI waiting.
    for (const resolve of pending.values()) resolve(err('not-connected', 'The connection to the messenger host was lost.'));
    pending.clear();
  };
  socket.addEventListener('close', onGone);
  socket.addEventListener('error', onGone);
  socket.addEventListener('message', (ev) => {
    if (typeof ev.data !== 'string') return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(ev.data) as ServerFrame;
    } catch {
      return; // the host only sends JSON; ignore anything else rather than crash the UI
    }
    if (frame?.type === 'response' && typeof frame.id === 'number') {
      const resolve = pending.get(frame.id);
      pending.delete(frame.id);
      resolve?.(frame.result);
    } else if (frame?.type === 'event' && frame.event && typeof frame.event.name === 'string') {
      const set = listeners.get(frame.event.name);
      if (set) for (const l of [...set]) (l as (p: unknown) => void)(frame.event.payload);
    }
  });

  return {
    get status() {
      return status;
    },
    request<K extends RequestName>(name: K, input: RequestInput<K>): Promise<Result<RequestOutput<K>>> {
      if (status === 'closed') return Promise.resolve(err('not-connected', 'The connection to the messenger host was lost.'));
      const id = nextId++;
      const frame: RequestFrame = { type: 'request', id, name, input };
      const text = JSON.stringify(frame);
      return new Promise((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        if (socket.readyState === OPEN) socket.send(text);
        else queued.push(text);
      });
    },
    on<K extends EventName>(name: K, listener: (payload: EventPayloads[K]) => void): () => void {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    close() {
      socket.close(1000, 'bye');
      onGone();
    },
  };
}
