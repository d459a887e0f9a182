// window.messenger exists in Electron (src-preload); in a browser tab the renderer talks to the
// browser host over a WebSocket instead (src-shared/ipc/ws-client.ts).
import type { MessengerApi } from '../src-shared/ipc/contract';

declare global {
  interface Window {
    messenger?: MessengerApi;
  }
}
export {};
