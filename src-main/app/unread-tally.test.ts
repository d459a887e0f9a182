import { describe, expect, it } from 'vitest';
import type { Contact, MessengerEvent } from '../../src-shared/ipc/contract';
import { UnreadTally } from './unread-tally';

const contact = (accountId: string, jid: string, unread: number): Contact => ({
  accountId,
  jid,
  subscription: 'both',
  pendingIn: false,
  pendingOut: false,
  presence: 'offline',
  unread,
});
const updated = (c: Contact): MessengerEvent => ({ name: 'contact.updated', payload: c }) as MessengerEvent;

describe('the unread total behind the icon badge', () => {
  it('starts from the snapshot and follows each conversation’s latest count', () => {
    const t = new UnreadTally();
    expect(t.seed([contact('a1', 'bob@x', 2), contact('a1', 'carol@x', 0), contact('a2', 'bob@x', 1)])).toBe(3);
    expect(t.onEvent(updated(contact('a1', 'bob@x', 5)))).toBe(6); // replaced, not added
    expect(t.onEvent(updated(contact('a1', 'bob@x', 5)))).toBeNull(); // no change, no badge update
    expect(t.onEvent(updated(contact('a1', 'bob@x', 0)))).toBe(1); // read
    expect(t.onEvent({ name: 'message.added', payload: {} } as MessengerEvent)).toBeNull();
  });

  it('forgets a removed contact and every conversation of a removed account', () => {
    const t = new UnreadTally();
    t.seed([contact('a1', 'bob@x', 2), contact('a1', 'carol@x', 3), contact('a2', 'bob@x', 4)]);
    expect(t.onEvent({ name: 'contact.removed', payload: { accountId: 'a1', jid: 'bob@x' } } as MessengerEvent)).toBe(7);
    expect(t.onEvent({ name: 'account.removed', payload: { accountId: 'a1' } } as MessengerEvent)).toBe(4);
    expect(t.total).toBe(4);
  });

  it('takes a count that is not a sane number as none', () => {
    const t = new UnreadTally();
    t.seed([contact('a1', 'bob@x', 2)]);
    expect(t.onEvent(updated(contact('a1', 'bob@x', Number.NaN)))).toBe(0);
    expect(t.onEvent(updated(contact('a1', 'eve@x', -5)))).toBeNull();
  });
});
