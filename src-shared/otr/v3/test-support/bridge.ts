// Connects our V3Conversation to one or more libotr peers (instances of one contact): everything
// we send is delivered to every peer (as a server fans a bare-JID message out to all resources);
// everything a peer sends comes to us. `settle` runs until nobody has anything left to deliver.
import type { EngineOutput, OtrEvent } from '../../api';
import type { V3Conversation } from '../conversation';
import type { LibotrPeer, PeerEvent } from './libotr-peer';

export class Bridge {
  readonly ours: OtrEvent[] = [];
  private toPeers: string[] = [];
  private toUs: string[] = [];

  constructor(
    readonly conv: V3Conversation,
    readonly peers: LibotrPeer[],
  ) {}

  /** take what our library produced */
  ours_(out: EngineOutput): void {
    this.ours.push(...out.events);
    this.toPeers.push(...out.toSend);
  }

  /** take what a peer produced */
  theirs(ev: PeerEvent[]): void {
    for (const e of ev) if (e.kind === 'OUT') this.toUs.push(e.text);
  }

  async settle(maxSteps = 2000): Promise<void> {
    for (let i = 0; i < maxSteps; i++) {
      if (this.toPeers.length > 0) {
        const m = this.toPeers.shift()!;
        for (const p of this.peers) this.theirs(await p.recv(m));
      } else if (this.toUs.length > 0) {
        this.ours_(this.conv.receive(this.toUs.shift()!));
      } else return;
    }
    throw new Error('bridge did not settle');
  }

  /** our side does something, then everything is delivered */
  async we(out: EngineOutput): Promise<EngineOutput> {
    this.ours_(out);
    await this.settle();
    return out;
  }

  /** a peer does something, then everything is delivered */
  async they(ev: Promise<PeerEvent[]>): Promise<PeerEvent[]> {
    const e = await ev;
    this.theirs(e);
    await this.settle();
    return e;
  }

  messages(): string[] {
    return this.ours.flatMap((e) => (e.type === 'message' ? [e.text] : []));
  }
  errors(): OtrEvent[] {
    return this.ours.filter((e) => e.type === 'error');
  }
}
