// The core's event stream (src-shared/ipc/contract EventPayloads), typed.
import type { EventName, EventPayloads, MessengerEvent } from '../../../src-shared/ipc/contract';

export class CoreEvents {
  private readonly listeners = new Set<(event: MessengerEvent) => void>();

  on(listener: (event: MessengerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<K extends EventName>(name: K, payload: EventPayloads[K]): void {
    const event = { name, payload } as MessengerEvent;
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        // a listener's failure is the listener's problem; the core carries on
      }
    }
  }
}
