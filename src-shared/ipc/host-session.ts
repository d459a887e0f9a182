// How a browser tab becomes THE tab of the browser host (src-main/host/tabs.ts; docs/ui.md
// "Browser host"), shared by the host and the renderer's bootstrap (src-renderer/api.ts):
// 1. The host prints http://127.0.0.1:PORT/#token=TOKEN (a one-time launch token, in the
//    fragment so that it never reaches a server log or a Referer).
// 2. The page removes it from its address at once, then POSTs { token } to SESSION_PATH and gets
//    { secret }, a secret for this tab (kept in sessionStorage: a reload of the tab keeps it).
//    409 { error: 'open-elsewhere' }: another tab is connected; POSTing { token, takeOver: true }
//    after the user agreed disconnects that tab. 401 { error: 'link-used' }: the token was spent.
// 3. The tab opens the WebSocket WS_PATH?secret=…[&takeover=1]. The host admits it with a
//    { type: 'hello' } frame, or closes it with CLOSE_OTHER_TAB (another connection of the same
//    secret, e.g. a duplicated tab); a tab that was taken over is closed with CLOSE_TAKEN_OVER.
import { WS_PATH } from './ws-client';

export const SESSION_PATH = '/session';
/** WebSocket close codes (4000–4999 are for applications, RFC 6455 §7.4.2) */
export const CLOSE_TAKEN_OVER = 4001;
export const CLOSE_OTHER_TAB = 4409;
/** the first frame of an admitted connection */
export const HELLO_FRAME = JSON.stringify({ type: 'hello' });

export interface SessionRequest {
  token: string;
  takeOver?: boolean;
}
export type SessionAnswer = { secret: string } | { error: 'link-used' | 'open-elsewhere' | 'bad-request' };

/** the launch token of a host page address (…/#token=TOKEN), or null */
export function launchTokenFromPage(pageUrl: string): string | null {
  const hash = new URL(pageUrl).hash.replace(/^#/, '');
  const token = new URLSearchParams(hash).get('token');
  return token && /^[A-Za-z0-9_-]{16,128}$/.test(token) ? token : null;
}

/** the page address without its fragment (what the tab shows once the token is taken out) */
export function pageWithoutToken(pageUrl: string): string {
  const u = new URL(pageUrl);
  return `${u.pathname}${u.search}`;
}

/** the tab's WebSocket address on the host that served `pageUrl` */
export function tabSocketUrl(pageUrl: string, secret: string, takeOver = false): string {
  const u = new URL(pageUrl);
  const scheme = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${u.host}${WS_PATH}?secret=${encodeURIComponent(secret)}${takeOver ? '&takeover=1' : ''}`;
}
