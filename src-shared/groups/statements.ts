// Signed membership statements (docs/groups.md §"Verifiable member list"): add_user, remove,
// leave and set_admins (the creator names its admins; "Admins") are signed by the member who makes them, over the group, the subject, the actor and the
// epoch. The service forwards them unchanged in user_added / user_removed / user_left, so every
// client checks each change of its member list against keys it already holds, instead of
// trusting what the service says; the epoch stops the service from replaying an old statement.
import { concat, framed, utf8 } from './bytes';
import { type KeyBundle, signWith, verifyWith } from './keys';

const LABEL = utf8('messenger-groups/v1/statement');

export type Statement =
  | { op: 'add_user'; group: string; fp: string; key: KeyBundle; by: string; epoch: number }
  | { op: 'remove'; group: string; fp: string; by: string; epoch: number }
  | { op: 'leave'; group: string; fp: string; epoch: number }
  /** the whole admin list after the change (creator excluded), sorted, and a version that only grows */
  | { op: 'set_admins'; group: string; admins: string[]; by: string; ver: number };

function bytesOf(s: Statement): Uint8Array {
  switch (s.op) {
    case 'add_user':
      return concat(LABEL, framed([s.op, s.group, s.fp, s.key.h, s.key.f, s.key.x, s.by, String(s.epoch)]));
    case 'remove':
      return concat(LABEL, framed([s.op, s.group, s.fp, s.by, String(s.epoch)]));
    case 'leave':
      return concat(LABEL, framed([s.op, s.group, s.fp, String(s.epoch)]));
    case 'set_admins':
      return concat(LABEL, framed([s.op, s.group, s.by, String(s.ver), String(s.admins.length), ...s.admins]));
  }
}

export const signStatement = (secret: Uint8Array, s: Statement): Uint8Array => signWith(secret, bytesOf(s));
export const verifyStatement = (signerH: Uint8Array, s: Statement, sig: Uint8Array): boolean => verifyWith(signerH, bytesOf(s), sig);
