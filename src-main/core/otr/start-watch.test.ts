// The start watch (otr/start-watch.ts, issue 11 item 6) between two OTR services, one of which
// never answers (its traffic is dropped): progress in the status, the give-up after
// START_ANSWER_TIMEOUT_MS on the fake clock with a 'start-unanswered' notice, nothing in clear
// unless the user says so, "ask again", and no give-up once the conversation comes up.
import { describe, expect, it } from 'vitest';
import { START_ANSWER_TIMEOUT_MS, type StartTimers } from './service';
import { A, B, ids, openDb, pump, side, useOtrFixtures, write, type Side } from './test-support/otr-pair';

useOtrFixtures();

/** a fake clock and the timers that run on it */
function fakeTime(start = Date.now()) {
  let now = start;
  let next = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: StartTimers = {
    set(fn, ms) {
      const id = ++next;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clear: (h) => void pending.delete(h as number),
  };
  return {
    clock: () => now,
    timers,
    pendingCount: () => pending.size,
    /** moves the clock and runs the timers that are due, in order */
    advance(ms: number) {
      now += ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= now).sort((x, y) => x[1].at - y[1].at)[0];
        if (!due) return;
        pending.delete(due[0]);
        due[1].fn();
      }
    },
  };
}

function watchedPair(time: ReturnType<typeof fakeTime>): [Side, Side] {
  return [
    side(A, ids.A, openDb(), 'opportunistic', { clock: time.clock, timers: time.timers }),
    side(B, ids.B, openDb(), 'opportunistic', { clock: time.clock, timers: time.timers }),
  ];
}

describe('OTR start watch', () => {
  it('writing on while a request is out sends no second request; both sides write, the session comes up and every message arrives once', () => {
    const time = fakeTime();
    const [a, b] = [
      side(A, ids.A, openDb(), 'always', { clock: time.clock, timers: time.timers }),
      side(B, ids.B, openDb(), 'always', { clock: time.clock, timers: time.timers }),
    ];
    for (let i = 0; i < 5; i++) expect(write(a, B, `a${i}`)).toBe('queued');
    for (let i = 0; i < 5; i++) expect(write(b, A, `b${i}`)).toBe('queued');
    const queries = (s: Side) => s.wireLog.filter((w) => w.body.startsWith('?OTRv')).length;
    expect(queries(a)).toBe(1);
    expect(queries(b)).toBe(1);
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', queued: 0 });
    expect(b.svc.status(A)).toMatchObject({ state: 'private-unverified', queued: 0 });
    expect(b.received.map((m) => m.text).sort()).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
    expect(a.received.map((m) => m.text).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  it('a contact who comes online while our messages wait after a given-up request is asked again, and the messages go', () => {
    const time = fakeTime();
    const [a, b] = watchedPair(time);
    a.svc.start(B);
    expect(write(a, B, 'are you there?')).toBe('queued');
    a.out.length = 0; // bob's client is away: the request is lost
    time.advance(START_ANSWER_TIMEOUT_MS);
    expect(a.svc.status(B).starting?.gaveUp).toBe(true);
    const queries = () => a.wireLog.filter((w) => w.body.startsWith('?OTRv')).length;
    const before = queries();

    a.svc.contactAvailable(B); // bob's presence: available
    expect(queries()).toBe(before + 1);
    expect(a.svc.status(B).starting?.gaveUp).toBe(false);
    a.svc.contactAvailable(B); // a second presence while the request is out asks nothing more
    expect(queries()).toBe(before + 1);
    pump(a, b);
    expect(a.svc.status(B)).toMatchObject({ state: 'private-unverified', queued: 0 });
    expect(b.received).toEqual([{ text: 'are you there?', encrypted: true }]);
  });

  it('a contact who comes online when nothing waits is not asked anything', () => {
    const time = fakeTime();
    const [a] = watchedPair(time);
    a.svc.contactAvailable(B);
    expect(a.wireLog).toEqual([]);
  });

  it('closing the service clears every pending watch: nothing fires afterwards (the profile database may be closed)', () => {
    const time = fakeTime();
    const [a] = watchedPair(time);
    a.svc.start(B);
    expect(write(a, B, 'are you there?')).toBe('queued');
    expect(time.pendingCount()).toBe(1);
    a.svc.close();
    expect(time.pendingCount()).toBe(0);
    time.advance(START_ANSWER_TIMEOUT_MS * 2);
    expect(a.notices.map((n) => n.kind)).not.toContain('start-unanswered');
  });

  it('toward a client that never answers: progress, then a give-up notice after the bounded time; the waiting message stays unsent until the user chooses', () => {
    const time = fakeTime();
    const [a] = watchedPair(time);
    const t0 = time.clock();
    expect(a.svc.start(B).starting).toEqual({ sentAt: t0, gaveUp: false });
    expect(write(a, B, 'are you there?')).toBe('queued');
    a.out.length = 0; // the contact's client never answers: what we send goes nowhere

    time.advance(START_ANSWER_TIMEOUT_MS - 1);
    expect(a.svc.status(B).starting).toEqual({ sentAt: t0, gaveUp: false });
    expect(a.notices.map((n) => n.kind)).not.toContain('start-unanswered');

    time.advance(1);
    const st = a.svc.status(B);
    expect(st).toMatchObject({ state: 'not-private', queued: 1, starting: { sentAt: t0, gaveUp: true } });
    expect(a.notices.at(-1)).toMatchObject({ kind: 'start-unanswered', seconds: START_ANSWER_TIMEOUT_MS / 1000, queued: 1, peer: B });
    expect(a.statuses.at(-1)?.starting?.gaveUp).toBe(true); // pushed to the renderer, not only computed
    // nothing went out in clear by itself
    expect(a.wireLog.some((w) => w.body.includes('are you there?'))).toBe(false);
    expect(a.sent).toEqual([]);

    // the user's explicit choice: send the waiting message unencrypted
    const after = a.svc.resolveQueue(B, 'send-in-clear');
    expect(after.queued).toBe(0);
    expect(after.starting).toBeUndefined();
    expect(a.out.map((w) => w.body)).toEqual([expect.stringContaining('are you there?')]);
    expect(a.sent).toEqual([expect.objectContaining({ encrypted: false })]);
  });

  it('"keep waiting" asks again: a new query, the progress counts from it, and it gives up again only after a full timeout', () => {
    const time = fakeTime();
    const [a] = watchedPair(time);
    a.svc.start(B);
    time.advance(START_ANSWER_TIMEOUT_MS);
    expect(a.svc.status(B).starting?.gaveUp).toBe(true);
    a.out.length = 0;

    time.advance(5_000);
    const again = a.svc.start(B);
    expect(a.out.map((w) => w.body)).toEqual([expect.stringMatching(/^\?OTRv/)]);
    expect(again.starting).toEqual({ sentAt: time.clock(), gaveUp: false });
    time.advance(START_ANSWER_TIMEOUT_MS - 1);
    expect(a.svc.status(B).starting?.gaveUp).toBe(false);
    time.advance(1);
    expect(a.svc.status(B).starting?.gaveUp).toBe(true);
    expect(a.notices.filter((n) => n.kind === 'start-unanswered')).toHaveLength(2);
  });

  it('a contact that answers: the progress goes once private, the waiting message goes encrypted, and no give-up comes later', () => {
    const time = fakeTime();
    const [a, b] = watchedPair(time);
    a.svc.start(B);
    expect(write(a, B, 'secret')).toBe('queued');
    time.advance(10_000);
    pump(a, b);
    const st = a.svc.status(B);
    expect(st.state).toBe('private-unverified');
    expect(st.starting).toBeUndefined();
    expect(b.received).toEqual([{ text: 'secret', encrypted: true }]);
    expect(time.pendingCount()).toBe(0);
    time.advance(10 * START_ANSWER_TIMEOUT_MS);
    expect(a.notices.map((n) => n.kind)).not.toContain('start-unanswered');
  });

  it('ending the conversation stops the watch', () => {
    const time = fakeTime();
    const [a] = watchedPair(time);
    a.svc.start(B);
    expect(a.svc.end(B).starting).toBeUndefined();
    time.advance(START_ANSWER_TIMEOUT_MS);
    expect(a.notices.map((n) => n.kind)).not.toContain('start-unanswered');
  });
});
