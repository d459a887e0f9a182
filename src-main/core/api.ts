// What the core offers to its hosts (the Electron app, the browser host, tests): the IPC contract's
// handlers and a stream of events. Hosts never reach into the core otherwise.
import type { MessengerEvent, RequestHandlers } from '../../src-shared/ipc/contract';

export interface CoreOptions {
  /** the profile directory: database and everything else of this instance (docs/architecture.md §3) */
  profileDir: string;
  /** extra trusted CA certificates (PEM), e.g. the local stack's throwaway CA */
  extraCaPem?: string;
  /** keychain service name; defaults to one derived from the profile directory */
  keychainService?: string;
}

export interface Core {
  readonly handlers: RequestHandlers;
  /** subscribe to core events; returns an unsubscribe function */
  onEvent(listener: (event: MessengerEvent) => void): () => void;
  /** disconnects every account and closes the database */
  close(): Promise<void>;
}
