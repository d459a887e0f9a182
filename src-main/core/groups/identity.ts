// The group identity of an account (docs/groups.md §"Identity"): the account's OTRv4 long-term
// key and forging key, read through identity.ts' exported type only; the fingerprint is the one
// OTR shows and the user verifies.
import { encodePoint } from '../../../src-shared/otr/v4/ed448';
import { type LocalGroupIdentity, localGroupIdentity } from '../../../src-shared/groups/keys';
import type { OtrAccountIdentity } from '../otr/identity';

export function groupIdentityOf(id: Pick<OtrAccountIdentity, 'v4'>): LocalGroupIdentity {
  return localGroupIdentity({
    symmetric: id.v4.longTerm.symmetric,
    publicKey: id.v4.longTerm.publicBytes,
    forgingKey: encodePoint(id.v4.forging.public),
  });
}
