// A pairwise message from one test client to another, as a rogue member could craft it.
import type { PairwisePayload } from '../inner';
import { sealPairwise } from '../pairwise';
import { encodeMessage } from '../wire';
import type { TestClient } from './harness';

export function pairwiseTo(from: TestClient, to: TestClient, payload: PairwisePayload): string {
  return encodeMessage(sealPairwise(from.deps.me, from.state.group, { fp: to.fp, key: to.deps.me.bundle }, payload, from.deps.random));
}
