// OTRv3 (otrv3-protocol.html): the conversation engine and the lower-level pieces.
export { V3Conversation, type V3ConversationOptions } from './conversation';
export { Ake, type AkeResult, type AuthState } from './ake';
export { DataSession } from './data-session';
export { Smp, smpSecret } from './smp';
export { encodeExtraKeyTlv, parseExtraKeyTlv, type ExtraKeyUse, type ExtraSymmetricKey } from './extra-key';
export {
  generateDsaKey,
  generateDsaKeyAsync,
  serializePrivateKey,
  deserializePrivateKey,
  fingerprint,
  fingerprintHex,
  encodePublicKey,
  type DsaPrivateKey,
  type DsaPublicKey,
} from './dsa';
export { generateInstanceTag, serializeIdentity, deserializeIdentity, MIN_INSTANCE_TAG, type V3Identity } from './identity';
export { pureSymmetric, type V3Symmetric, type KeyedMac } from './symmetric';
export { bigintDh1536Engine, DH1536_P, DH1536_G, DH1536_Q, type Dh1536Engine } from './group';
