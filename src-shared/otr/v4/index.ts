// OTRv4 library entry point: keys, profiles, prekey messages, ring signature, DAKEs, the
// conversation (session state machine), fragmentation and the persisted identity. The double
// ratchet (./ratchet), data messages (./data-message) and SMP (./smp) have their own entry points.
export * from './keys';
export * from './client-profile';
export * from './prekey-profile';
export * from './prekey-message';
export * from './rsig';
export * from './ed448';
export * from './dake';
export * from './dake-messages';
export * from './fragment';
export * from './identity';
export { V4Conversation, type V4ConversationOptions, type SmpEngine, type SmpFactory } from './session';
