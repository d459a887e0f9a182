// An in-memory network of one GroupService and several clients (unit tests and the benchmark's
// pure part): bodies go client → service → clients exactly as the component would move them,
// with nothing faked but the transport.
import { ed448 } from '@noble/curves/ed448.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { connect, receive, type Step } from '../client';
import type { ClientDeps, ClientEvent, ClientGroupState } from '../client-state';
import { newGroupState } from '../client-state';
import { isGroupError, type GroupProtocolError } from '../errors';
import { type LocalGroupIdentity, localGroupIdentity } from '../keys';
import { GroupService, type ServiceEvent } from '../service';
import { MemoryServiceStore } from '../service-store';
import { encodeMessage } from '../wire';

export const DOMAIN = 'groups.test';

/** deterministic randomness for reproducible tests (never for real keys) */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) out.set(sha256(new TextEncoder().encode(`${seed}:${counter++}`)).subarray(0, Math.min(32, n - off)), off);
    return out;
  };
}

export function testIdentity(seed: string): LocalGroupIdentity {
  const r = seededRandom(`id:${seed}`);
  const symmetric = r(57);
  return localGroupIdentity({ symmetric, publicKey: ed448.getPublicKey(symmetric), forgingKey: ed448.getPublicKey(r(57)) });
}

export class TestClient {
  state: ClientGroupState;
  readonly events: ClientEvent[] = [];
  readonly errors: GroupProtocolError[] = [];
  readonly deps: ClientDeps;
  online = true;
  readonly trusted = new Set<string>();

  constructor(
    readonly net: TestNet,
    readonly jid: string,
    readonly name: string,
    group: string,
    create: boolean,
  ) {
    const me = testIdentity(name);
    this.deps = { me, isTrusted: (fp) => this.trusted.has(fp), random: seededRandom(`rng:${name}`), clock: () => net.now };
    this.state = newGroupState({ group, address: `${group}@${DOMAIN}`, me, name, create, random: this.deps.random });
  }

  get fp(): string {
    return this.deps.me.fingerprint;
  }

  trust(...others: TestClient[]): this {
    for (const o of others) this.trusted.add(o.fp);
    return this;
  }

  /** applies a step: the state is replaced only when the function returned (no throw) */
  apply(f: (s: ClientGroupState) => Step): Step | null {
    try {
      const step = f(this.state);
      this.state = step.state;
      this.events.push(...step.events);
      for (const m of step.out) this.net.toService(this.jid, encodeMessage(m));
      return step;
    } catch (e) {
      if (!isGroupError(e)) throw e;
      this.errors.push(e);
      return null;
    }
  }

  connect(): void {
    this.online = true;
    this.apply((s) => connect(s, this.deps));
  }

  deliver(from: string, body: string): void {
    this.apply((s) => receive(s, from, body, this.deps));
  }
}

export class TestNet {
  now = 1_700_000_000_000;
  readonly serviceEvents: ServiceEvent[] = [];
  readonly store = new MemoryServiceStore();
  readonly service: GroupService;
  private readonly queue: { from: string; body: string }[] = [];
  readonly clients = new Map<string, TestClient>();

  constructor(readonly group = 'g-test') {
    this.service = new GroupService({ store: this.store, clock: () => this.now, random: seededRandom('service'), onEvent: (e) => this.serviceEvents.push(e) });
  }

  client(name: string, create = false): TestClient {
    const c = new TestClient(this, `${name}@example.org/dev`, name, this.group, create);
    this.clients.set(c.jid, c);
    return c;
  }

  toService(from: string, body: string): void {
    this.queue.push({ from, body });
  }

  /** moves messages until nobody has anything left to say */
  async flush(): Promise<void> {
    while (this.queue.length) {
      const { from, body } = this.queue.shift()!;
      const out = await this.service.handle(from, this.group, body);
      this.route(out);
    }
  }

  /** moves the one oldest message to the service and its answers on (a step of flush) */
  async flushOne(): Promise<void> {
    const next = this.queue.shift();
    if (next) this.route(await this.service.handle(next.from, this.group, next.body));
  }

  route(out: { to: string; body: string }[]): void {
    for (const o of out) {
      const c = this.clients.get(o.to);
      if (c?.online) c.deliver(`${this.group}@${DOMAIN}`, o.body);
    }
  }

  async goOffline(c: TestClient): Promise<void> {
    c.online = false;
    this.route(await this.service.disconnected(c.jid, this.group));
    await this.flush();
  }
}
