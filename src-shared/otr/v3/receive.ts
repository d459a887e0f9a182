// Routing of incoming messages in an OTRv3 conversation (OTRv3 §"Receiving Fragments",
// §"Receiving a Query Message", §"Receiving plaintext with the whitespace tag", §"Instance Tags",
// §"Authenticated Key Exchange"): classify the text, reassemble fragments, answer offers, hand
// AKE messages to the session of the sender's instance and data messages to data-receive.ts.
//
// Decisions where the spec is silent (see docs/otrv3.md):
// * A D-H Commit we send in reply to a query or whitespace tag goes to receiver tag 0 from a
//   "master" AKE; a D-H Key (or a crossing D-H Commit) from an instance we have no exchange with
//   adopts that master exchange (libotr does the same), so every instance of the contact that
//   answers gets its own session.
// * OTR version 2 (OTRv3 §"Policies" ALLOW_V2) is chosen only when the contact offers nothing
//   newer, runs as the one session under tag V2_TAG, and a v2 offer the policy refuses is
//   reported as an `older-version-refused` event rather than dropped.
import { classifyMessage } from '../common/envelope';
import { parseV2Fragment, parseV3Fragment, V3Reassembler } from '../common/fragment-v3';
import { chooseVersion, onlyRefusedV2 } from '../common/query';
import type { ConversationState } from './conversation-state';
import { onData } from './data-receive';
import { MIN_INSTANCE_TAG } from './identity';
import { V2_TAG, type Out } from './instance-session';
import { decodeHeader, decodeV3Message, MessageType, V2_PROTOCOL_VERSION } from './messages';

/** libotr's MAX_AKE_WAIT_TIME: how long instances may still answer a D-H Commit sent to tag 0 */
const MASTER_COMMIT_LIFETIME_MS = 60_000;

export function handle(st: ConversationState, wire: string, out: Out, reassembled: boolean): void {
  if (!st.policy.allowV3 && !st.v2Allowed) {
    // OTR disabled: no special handling at all (§"State transitions")
    out.events.push({ type: 'message', text: wire, encrypted: false });
    return;
  }
  const m = classifyMessage(wire, st.opts.symmetric?.base64);
  switch (m.kind) {
    case 'fragment': {
      if (reassembled) return; // fragments are never fragmented again
      let f;
      try {
        f = m.text.includes('?OTR|') ? parseV3Fragment(m.text) : parseV2Fragment(m.text);
      } catch {
        return; // illegal or v4 fragment: discard (§"Receiving Fragments")
      }
      // v2 fragments carry no tags (parsed as 0): they reassemble under V2_TAG
      if (f.senderTag === 0 ? !st.v2Allowed : f.senderTag < MIN_INSTANCE_TAG || (f.receiverTag !== 0 && f.receiverTag !== st.ourTag)) return;
      let r = st.reassemblers.get(f.senderTag);
      if (!r) {
        if (st.reassemblers.size >= 64) st.reassemblers.clear(); // bound memory: fragments are unauthenticated
        r = new V3Reassembler();
        st.reassemblers.set(f.senderTag, r);
      }
      const whole = r.add(f);
      if (whole !== undefined) handle(st, whole, out, true);
      return;
    }
    case 'encoded':
      handleEncoded(st, m.bytes, out);
      return;
    case 'error':
      st.reassemblers.clear();
      out.events.push({ type: 'error', code: 'peer-error', message: m.message });
      if (st.policy.errorStartAke) out.toSend.push(st.queryMessage());
      return;
    case 'query':
      st.reassemblers.clear();
      answerOffer(st, m.versions, 'query', out);
      return;
    case 'plaintext': {
      st.reassemblers.clear();
      st.receivedPlaintext = true;
      if (m.text.length > 0) out.events.push({ type: 'message', text: m.text, encrypted: false });
      if (m.tagVersions.length > 0 && st.policy.whitespaceStartAke) answerOffer(st, m.tagVersions, 'whitespace-tag', out);
      return;
    }
  }
}

/**
 * §"Receiving a Query Message" / §"Receiving plaintext with the whitespace tag": a v3 D-H Commit
 * if v3 is offered, otherwise a v2 one if v2 is offered and allowed; a v2-only offer the policy
 * refuses becomes an event
 */
function answerOffer(st: ConversationState, versions: number[], by: 'query' | 'whitespace-tag', out: Out): void {
  const policy = { allowV2: st.v2Allowed, allowV3: st.policy.allowV3, allowV4: false };
  const v = chooseVersion(versions, policy);
  if (v === 3) startMaster(st, out);
  else if (v === 2) startV2(st, out);
  else if (onlyRefusedV2(versions, policy)) out.events.push({ type: 'older-version-refused', version: 2, by });
}

function handleEncoded(st: ConversationState, bytes: Uint8Array, out: Out): void {
  const h = decodeHeader(bytes);
  if (h.version === V2_PROTOCOL_VERSION) {
    handleV2(st, bytes, h.messageType, out);
    return;
  }
  if (!st.policy.allowV3) return; // §"Receiving a D-H Commit Message": version 3 not allowed, ignore
  // §"Instance Tags": discard bad sender tags and messages for another instance
  if (h.senderTag < MIN_INSTANCE_TAG) return;
  if (h.receiverTag !== st.ourTag && !(h.receiverTag === 0 && h.messageType === MessageType.dhCommit)) return;
  st.reassemblers.get(h.senderTag)?.reset();
  const msg = decodeV3Message(bytes);
  if (msg.type === 'data') {
    // a data message never creates an instance (it is unauthenticated until the MAC is checked)
    const known = st.instances.get(h.senderTag);
    if (known) onData(st, known, msg, out);
    else st.unreadable(msg.flags, out);
    return;
  }
  const s = st.instance(h.senderTag);
  const masterFresh = st.opts.clock() - st.masterStartedAt < MASTER_COMMIT_LIFETIME_MS;
  if (s.ake.state === 'none' && st.master.state === 'awaiting-dhkey' && masterFresh && (msg.type === 'dh-key' || msg.type === 'dh-commit')) {
    s.ake.adoptFrom(st.master);
  }
  const r = s.ake.receive(msg);
  if (r.reply) out.toSend.push(...st.wireFor(s, r.reply));
  if (r.result) st.goEncrypted(s, r.result, out);
}

/** a version 2 message: no instance tags, one session under V2_TAG (§"Policies" ALLOW_V2) */
function handleV2(st: ConversationState, bytes: Uint8Array, messageType: number, out: Out): void {
  if (!st.v2Allowed) {
    // §"Receiving a D-H Commit Message": "If the message is version 2 and ALLOW_V2 is not set, ignore this message" (but say why)
    if (messageType === MessageType.dhCommit) out.events.push({ type: 'older-version-refused', version: 2, by: 'ake' });
    return;
  }
  st.reassemblers.get(V2_TAG)?.reset();
  const msg = decodeV3Message(bytes);
  if (msg.type === 'data') {
    const known = st.instances.get(V2_TAG);
    if (known) onData(st, known, msg, out);
    else st.unreadable(msg.flags, out);
    return;
  }
  const s = st.instance(V2_TAG);
  const r = s.ake.receive(msg);
  if (r.reply) out.toSend.push(...st.wireFor(s, r.reply));
  if (r.result) st.goEncrypted(s, r.result, out);
}

/** a version 2 D-H Commit (v2 has no instance tags, so no master exchange is needed) */
function startV2(st: ConversationState, out: Out): void {
  const s = st.instance(V2_TAG);
  out.toSend.push(...st.wireFor(s, s.ake.start()));
}

/** §"Receiving a Query Message" / whitespace tag: D-H Commit to receiver tag 0 (any instance may answer) */
function startMaster(st: ConversationState, out: Out): void {
  st.masterStartedAt = st.opts.clock();
  out.toSend.push(...st.wire(st.master.start(), 0));
}
