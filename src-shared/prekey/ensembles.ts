// §"Retrieving Prekey Ensembles" (client steps) and ADR 012 §"Receiving Prekey Ensembles": the
// server is untrusted, so every ensemble it sends is parsed and validated again with the OTRv4
// library (same instance tag in all three values, both profiles valid and unexpired, the prekey
// profile signed by the client profile's key, the prekey message valid, version 4 offered);
// invalid and duplicate ones are dropped and, per instance tag, the one with the latest expiry is
// kept "to avoid sending multiple offline messages to the same instance tag".
import { OtrError } from '../otr/common/errors';
import type { Dh3072Engine } from '../otr/v4/dh3072';
import { type PrekeyEnsemble, selectPrekeyEnsembles } from '../otr/v4/prekey-message';
import type { EnsembleRetrievalMessage } from './messages';
import { clientProfileOf, prekeyMessageOf, prekeyProfileOf } from './spans';

export interface SelectedEnsembles {
  /** one ensemble per instance tag */
  byInstanceTag: Map<number, PrekeyEnsemble>;
  /** ensembles dropped as unparsable, invalid, expired or duplicate */
  dropped: number;
}

export function selectRetrievedEnsembles(reply: EnsembleRetrievalMessage, v: { nowMs: number; engine: Dh3072Engine }): SelectedEnsembles {
  const parsed: PrekeyEnsemble[] = [];
  for (const e of reply.ensembles) {
    try {
      parsed.push({
        clientProfile: clientProfileOf(e.clientProfile),
        prekeyProfile: prekeyProfileOf(e.prekeyProfile),
        prekeyMessage: prekeyMessageOf(e.prekeyMessage),
      });
    } catch (err) {
      if (!(err instanceof OtrError)) throw err;
    }
  }
  const groups = selectPrekeyEnsembles(parsed, v);
  const byInstanceTag = new Map<number, PrekeyEnsemble>();
  for (const [tag, list] of groups) if (list[0]) byInstanceTag.set(tag, list[0]);
  return { byInstanceTag, dropped: reply.ensembles.length - byInstanceTag.size };
}
