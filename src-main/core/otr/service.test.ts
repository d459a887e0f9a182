// The OTR service (otr/service.ts) between two accounts in-process: sessions, their end and
// refresh, restarts, and several devices of one contact. Real libraries and databases
// (test-support/otr-pair.ts).
import { describe, expect, it } from 'vitest';
import type { Peers } from './peers';
import type { InboundTlv, OtrWire } from './wire';
import { messageIdOfCopy } from './fanout';
import { A, B, ids, openDb, shown, pair, privatePair, pump, side, useOtrFixtures, write } from './test-support/otr-pair';

useOtrFixtures();

describe('OTR service: sessions', () => {
  it('starts a private conversation (v4) and exchanges encrypted messages addressed to the device', () => {
    const [a, b] = pair();
    a.svc.start(B);
    expect(a.out[0]?.to).toBe(B); // the query goes to the bare JID: every device may answer
    expect(a.out[0]?.body).toMatch(/^\?OTRv4/);
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', version: 4, resource: 'dev-b' });
    expect(b.svc.status(A)).toMatchObject({ state: 'private-unverified', version: 4 });
    expect(a.svc.status(B).theirFingerprint).toBe(b.svc.status(A).ourFingerprints.v4);

    expect(write(a, B, 'hello bob')).toBe('sent');
    expect(a.out[0]?.to).toBe(b.full); // per device: the full JID of the session
    expect(a.out[0]?.body).toMatch(/^\?OTR:/);
    expect(a.out[0]?.body).not.toContain('hello');
    pump(a, b);
    expect(write(b, A, 'hi alice')).toBe('sent');
    pump(a, b);
    expect(b.received).toEqual([{ text: 'hello bob', encrypted: true }]);
    expect(a.received).toEqual([{ text: 'hi alice', encrypted: true }]);
  });

  it('ending from one side moves the other to finished; what it writes then waits and goes out in the next session', () => {
    const [a, b] = privatePair();
    expect(a.svc.end(B).state).toBe('not-private');
    pump(a, b);
    expect(b.svc.status(A).state).toBe('finished');
    expect(b.notices.map((n) => n.kind)).toContain('ended-by-peer');

    const before = b.wireLog.length;
    expect(write(b, A, 'secret after end')).toBe('queued');
    expect(b.svc.status(A).queued).toBe(1);
    expect(b.notices.at(-1)).toMatchObject({ kind: 'queued', because: 'ended-by-peer' });
    // nothing went out in clear
    expect(b.wireLog.slice(before).some((w) => w.body.includes('secret after end'))).toBe(false);
    pump(a, b);
    expect(a.received).toEqual([]);

    // a new private conversation: the waiting message is sent inside it
    a.svc.start(B);
    pump(a, b);
    expect(b.svc.status(A).state).toBe('private-unverified');
    expect(a.received).toEqual([{ text: 'secret after end', encrypted: true }]);
    expect(b.sent).toEqual([expect.objectContaining({ encrypted: true })]);
    expect(b.svc.status(A).queued).toBe(0);
  });

  it('refresh (start while private) makes a new session and messages keep flowing', () => {
    const [a, b] = privatePair();
    expect(write(a, B, 'before refresh')).toBe('sent');
    pump(a, b);
    a.svc.start(B);
    pump(a, b);
    expect(a.svc.status(B).state).toBe('private-unverified');
    expect(b.svc.status(A).state).toBe('private-unverified');
    expect(write(b, A, 'after refresh')).toBe('sent');
    pump(a, b);
    expect(a.received.at(-1)).toEqual({ text: 'after refresh', encrypted: true });
    expect(a.notices.concat(b.notices).map((n) => n.kind)).not.toContain('unreadable');
  });

  it('after our end, messages go in clear again (the user left the private conversation)', () => {
    const [a, b] = privatePair();
    a.svc.end(B);
    pump(a, b);
    expect(write(a, B, 'plain again')).toBe('plain');
    pump(a, b);
    expect(b.received.at(-1)).toEqual({ text: 'plain again', encrypted: false });
  });

  it('a restarted contact (sessions lost, same keys) gets a new session and messages flow again', () => {
    const [a, b] = privatePair();
    // bob restarts: new service, same database and identity
    const b2 = side(B, ids.B, openDb());
    b2.svc.start(A);
    pump(a, b2);
    expect(a.svc.status(B).state).toBe('private-unverified');
    expect(write(a, B, 'after restart')).toBe('sent');
    pump(a, b2);
    expect(b2.received).toEqual([{ text: 'after restart', encrypted: true }]);
    void b;
  });

  it('an unreadable message (session lost on our side) is explained and a new session is requested', () => {
    const [a, b] = privatePair();
    const b2 = side(B, ids.B, openDb()); // bob restarted and does not know the session
    expect(write(a, B, 'lost one')).toBe('sent');
    pump(a, b2);
    expect(b2.notices.map((n) => n.kind)).toContain('unreadable');
    expect(b2.received.some((m) => m.text.includes('lost one'))).toBe(false);
    expect(a.notices.map((n) => n.kind)).toContain('peer-error');
    // the query bob sent brought a new session up
    expect(b2.svc.status(A).state).toBe('private-unverified');
    expect(write(a, B, 'again')).toBe('sent');
    pump(a, b2);
    expect(b2.received.at(-1)).toEqual({ text: 'again', encrypted: true });
    void b;
  });
});

describe('OTR service: several devices of one contact', () => {
  it('keeps the devices apart by instance tag and addresses each by its full JID', () => {
    const a = side(A, ids.A, openDb());
    const phone = side(B, ids.B, openDb());
    phone.full = `${B}/phone`;
    const laptop = side(B, ids.B2, openDb());
    laptop.full = `${B}/laptop`;
    const devices = [phone, laptop];
    /** XMPP routing: a bare JID reaches every device (as our server does for chat), a full JID one */
    const route = () => {
      for (let i = 0; i < 500; i++) {
        const w = a.out.shift();
        if (w) {
          for (const d of devices) if (w.to === B || w.to === d.full) shown(d, d.svc.receive(a.full, w.body));
          continue;
        }
        const d = devices.find((x) => x.out.length > 0);
        if (!d) return;
        const dw = d.out.shift() as OtrWire;
        shown(a, a.svc.receive(d.full, dw.body));
      }
      throw new Error('did not settle');
    };
    a.svc.start(B);
    route();
    expect(phone.svc.status(A).state).toBe('private-unverified');
    expect(laptop.svc.status(A).state).toBe('private-unverified');
    const fps = a.svc
      .fingerprints(B)
      .theirs.map((f) => f.fingerprint)
      .sort();
    expect(fps).toEqual([phone.svc.status(A).ourFingerprints.v4, laptop.svc.status(A).ourFingerprints.v4].sort());

    // the laptop writes: its message is marked with the device (issue 13, several devices)
    expect(write(laptop, A, 'from the laptop')).toBe('sent');
    route();
    expect(a.received.at(-1)).toEqual({ text: 'from the laptop', encrypted: true });
    expect(a.receivedFull.at(-1)).toEqual({ text: 'from the laptop', encrypted: true, instanceTag: ids.B2.instanceTag, device: 'laptop' });
    // alice writes: one copy per device, each encrypted in its own session and addressed to the
    // full JID that device writes from; the first carries the message id, the other names it
    expect(write(a, B, 'to every device')).toBe('sent');
    expect(a.out.map((w) => w.to).sort()).toEqual([laptop.full, phone.full].sort());
    expect(new Set(a.out.map((w) => w.body)).size).toBe(2);
    const [first, second] = a.out;
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.id).not.toBe(first?.id);
    expect(messageIdOfCopy(second!.id)).toBe(first?.id);
    route();
    for (const d of devices) expect(d.received.filter((m) => m.text === 'to every device')).toEqual([{ text: 'to every device', encrypted: true }]);
  });
});

describe("OTR service: the account's TLV hook", () => {
  it('hands a TLV OTR does not act on to the hook, with the contact and the device it came from', () => {
    const got: InboundTlv[] = [];
    const a = side(A, ids.A, openDb());
    const b = side(B, ids.B, openDb(), 'opportunistic', { onTlv: (t) => got.push(t) });
    a.svc.start(B);
    pump(a, b);
    // what a later feature (a push handshake, say) sends: an encrypted data message with a TLV of
    // its own type (OTRv4 §"TLV Record Types": unknown types are the application's)
    const conv = (a.svc as unknown as { peers: Peers }).peers.state(B).conv;
    const out = conv.send('', { tlvs: [{ type: 0x01a4, value: new Uint8Array([1, 2, 3]) }] });
    for (const body of out.toSend) shown(b, b.svc.receive(a.full, body));
    expect(got).toEqual([{ peer: A, from: a.full, tlv: { type: 0x01a4, value: new Uint8Array([1, 2, 3]) } }]);
    // nothing for the user, and the conversation goes on
    expect(b.received).toEqual([]);
    expect(write(a, B, 'after the TLV')).toBe('sent');
    pump(a, b);
    expect(b.received.map((m) => m.text)).toEqual(['after the TLV']);
  });
});
