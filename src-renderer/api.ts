// Picks the transport: Electron's preload object when present, else the browser host's WebSocket
// (its URL carries the per-run token in the fragment: http://127.0.0.1:PORT/#token=...).
import type { MessengerApi } from '../src-shared/ipc/contract';
import { createWsMessengerApi, wsUrlFromPage, type WsStatus } from '../src-shared/ipc/ws-client';

export type LinkStatus = WsStatus | 'no-token';

export interface Transport {
  api: MessengerApi | null;
  status: LinkStatus;
  onStatus(listener: (s: LinkStatus) => void): () => void;
}

export function connectTransport(): Transport {
  if (window.messenger) {
    return { api: window.messenger, status: 'open', onStatus: () => () => undefined };
  }
  const url = wsUrlFromPage(window.location.href);
  if (!url) return { api: null, status: 'no-token', onStatus: () => () => undefined };
  const ws = createWsMessengerApi(url);
  return {
    api: ws,
    get status() {
      return ws.status;
    },
    onStatus: (l) => ws.onStatus(l),
  };
}
