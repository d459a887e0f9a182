// The core's xmpp modules reach the project's one JID module (src-shared/ipc/jid.ts) through
// this path; nothing is implemented here.
export { bareJid, bareKey, isValidJid, parseJid, resourceOf, type ParsedJid } from '../../../../src-shared/ipc/jid';
