// "Trusted identities" (Protocol Notes step 3–4) from the OTR store's trust API: a fingerprint is
// trusted when our user verified it for one of the contacts (SMP, shared secret or comparison).
// `peers` lists the contacts to look at (the roster), so the check uses OtrStore.isVerified only.
import type { OtrStore } from '../otr/otr-store';

export function trustFromOtrStore(otr: Pick<OtrStore, 'isVerified'>, accountId: string, peers: () => Iterable<string>): { isTrusted(fp: string): boolean } {
  return {
    isTrusted(fp) {
      for (const p of peers()) if (otr.isVerified(accountId, p, fp)) return true;
      return false;
    },
  };
}
