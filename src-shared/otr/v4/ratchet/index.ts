// Public surface of the OTRv4 double ratchet (see README.md for the hand-off to the session).
export { DoubleRatchet } from './ratchet';
export { initRatchet } from './init';
export { DataMessageError } from './state';
export type { DecryptResult, EncryptResult, InitRatchetParams, RatchetOptions } from './state';
export { generateDhKeyPair, generateEcdhKeyPair, deriveExtraSubkey, MAX_EXTRA_KEYS } from './keys';
export type { DhKeyPair, EcdhKeyPair } from './keys';
export { exportRatchet, restoreRatchet } from './persist';
