// The preload (docs/architecture.md §3): exposes exactly `window.messenger`, an object implementing the IPC
// contract's MessengerApi, and nothing else. Built as CommonJS (electron.vite.config.ts) because a
// sandboxed preload cannot load ES modules. It validates nothing itself beyond names: the main
// process parses every request with its zod schema (dispatchRequest) and checks the sender frame.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  IPC_EVENT_CHANNEL,
  IPC_REQUEST_CHANNEL,
  eventNames,
  type EventName,
  type EventPayloads,
  type MessengerApi,
  type MessengerEvent,
  type RequestInput,
  type RequestName,
  type RequestOutput,
} from '../src-shared/ipc/contract';
import type { Result } from '../src-shared/ipc/result';

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
const knownEvents = new Set<string>(eventNames);

ipcRenderer.on(IPC_EVENT_CHANNEL, (_event: IpcRendererEvent, message: MessengerEvent) => {
  if (!message || !knownEvents.has(message.name)) return;
  const set = listeners.get(message.name);
  if (set) for (const l of [...set]) l(message.payload);
});

const api: MessengerApi = {
  request<K extends RequestName>(name: K, input: RequestInput<K>): Promise<Result<RequestOutput<K>>> {
    return ipcRenderer.invoke(IPC_REQUEST_CHANNEL, name, input) as Promise<Result<RequestOutput<K>>>;
  },
  on<K extends EventName>(name: K, listener: (payload: EventPayloads[K]) => void): () => void {
    if (!knownEvents.has(name) || typeof listener !== 'function') return () => undefined;
    let set = listeners.get(name);
    if (!set) listeners.set(name, (set = new Set()));
    const l = listener as (payload: unknown) => void;
    set.add(l);
    return () => {
      set.delete(l);
    };
  },
};

contextBridge.exposeInMainWorld('messenger', api);
