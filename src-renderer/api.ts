// Picks the transport: Electron's preload object when present, else the browser host's WebSocket.
// In a browser tab this is the host bootstrap (src-shared/ipc/host-session.ts, docs/ui.md
// "Browser host"): the one-time launch token of the address (…/#token=…) is taken out of the
// address at once (history.replaceState: not in the address bar, the tab's history or a shared
// link), exchanged for a secret of this tab (kept in sessionStorage, so a reload keeps the tab),
// and the WebSocket is opened with that secret. Only one tab is connected at a time: another is
// told so and may take over; a tab taken over is told that too.
import type { MessengerApi } from '../src-shared/ipc/contract';
import {
  CLOSE_OTHER_TAB,
  CLOSE_TAKEN_OVER,
  HELLO_FRAME,
  launchTokenFromPage,
  pageWithoutToken,
  SESSION_PATH,
  tabSocketUrl,
} from '../src-shared/ipc/host-session';
import { createWsMessengerApi, type WsStatus } from '../src-shared/ipc/ws-client';

export type LinkStatus = WsStatus | 'no-token' | 'taken-over';

export interface Transport {
  api: MessengerApi;
  status: LinkStatus;
  onStatus(listener: (s: LinkStatus) => void): () => void;
  /** after 'taken-over': take the messenger back to this tab (with this tab's secret) */
  takeBack?(): Promise<HostGate>;
}

/** What the tab can do: use the messenger, or a page saying why not (TabGate.tsx). */
export type HostGate =
  | { kind: 'ready'; transport: Transport }
  /** no link and no tab secret: the page was opened without the printed address */
  | { kind: 'no-token' }
  /** the link was spent (by another tab, or it is an old one from the history) */
  | { kind: 'link-used' }
  /** another tab is connected; `takeOver` disconnects it after the user asked for it */
  | { kind: 'open-elsewhere'; takeOver(): Promise<HostGate> }
  /** the host refused this tab's secret or cannot be reached */
  | { kind: 'gone' };

const TAB_SECRET = 'messenger-tab-secret';

export async function openTransport(): Promise<HostGate> {
  if (window.messenger) {
    return { kind: 'ready', transport: { api: window.messenger, status: 'open', onStatus: () => () => undefined } };
  }
  const page = window.location.href;
  const token = launchTokenFromPage(page);
  if (token) {
    window.history.replaceState(window.history.state, '', pageWithoutToken(page));
    return exchange(token, false);
  }
  const secret = window.sessionStorage.getItem(TAB_SECRET);
  return secret ? connect(secret, false) : { kind: 'no-token' };
}

async function exchange(token: string, takeOver: boolean): Promise<HostGate> {
  let status: number;
  let body: { secret?: unknown };
  try {
    const res = await fetch(SESSION_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token, takeOver }),
      cache: 'no-store',
      credentials: 'omit',
    });
    status = res.status;
    body = (await res.json().catch(() => ({}))) as typeof body;
  } catch {
    return { kind: 'gone' };
  }
  if (status === 200 && typeof body.secret === 'string') {
    window.sessionStorage.setItem(TAB_SECRET, body.secret);
    return connect(body.secret, false);
  }
  if (status === 409) return { kind: 'open-elsewhere', takeOver: () => exchange(token, true) };
  // a spent link in a tab that holds its own secret: the tab's user pasted the link again
  const own = window.sessionStorage.getItem(TAB_SECRET);
  if (status === 401 && own) return connect(own, false);
  return status === 401 ? { kind: 'link-used' } : { kind: 'gone' };
}

/** Opens the tab's WebSocket; settles once the host admitted it (hello) or closed it. */
function connect(secret: string, takeOver: boolean): Promise<HostGate> {
  return new Promise((resolve) => {
    let settled = false;
    let takenOver = false;
    const api = createWsMessengerApi(tabSocketUrl(window.location.href, secret, takeOver), (url) => {
      const ws = new WebSocket(url);
      // registered before the client's own listeners, so the close code is known when it reports 'closed'
      ws.addEventListener('message', (ev: MessageEvent) => {
        if (settled || ev.data !== HELLO_FRAME) return;
        settled = true;
        resolve({ kind: 'ready', transport });
      });
      ws.addEventListener('close', (ev: CloseEvent) => {
        if (ev.code === CLOSE_TAKEN_OVER) takenOver = true;
        if (settled) return;
        settled = true;
        if (ev.code === CLOSE_OTHER_TAB) resolve({ kind: 'open-elsewhere', takeOver: () => connect(secret, true) });
        else resolve({ kind: 'gone' });
      });
      return ws;
    });
    const mapped = (s: WsStatus): LinkStatus => (s === 'closed' && takenOver ? 'taken-over' : s);
    const transport: Transport = {
      api,
      get status() {
        return mapped(api.status);
      },
      onStatus: (l) => api.onStatus((s) => l(mapped(s))),
      takeBack: () => connect(secret, true),
    };
  });
}
