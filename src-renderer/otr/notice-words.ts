// The OTR notices in plain words. The core sends each notice as a code and its data
// (src-shared/ipc/otr-contract.ts OtrNoticeData); the sentences the user reads live here, next to
// the words for the conversation states (words.ts).
import type { OtrNotice } from '../../src-shared/ipc/otr-contract';

const WAKE_REFUSED = {
  malformed: 'it was not in the expected form',
  oversized: 'it was too large',
  unexpected: 'it did not fit the wake-up agreement as it stands',
  'bad-key': 'its key was unusable',
} as const;

/** an instance tag as OTR clients show it: upper-case hex, eight digits (as the devices dialog does) */
const tagHex = (tag: number): string => tag.toString(16).toUpperCase().padStart(8, '0');

const count = (n: number, one: string, many: string): string => (n === 1 ? one : `${n} ${many}`);

/** the sentence a notice shows; `peer` is the contact (or, for an account notice, our address) */
export function noticeWords(n: OtrNotice): string {
  const peer = n.peer;
  switch (n.kind) {
    case 'fingerprint-changed':
      return `${peer} is using a key you have not seen before. This happens when they use a new device or reinstalled their messenger — or when someone else is in between. Verify the new key before you say anything sensitive.`;
    case 'new-device': {
      // issue 13: a calm item, not a warning: the device joined, it did not replace one
      const label = n.device ? `${n.device.slice(0, 64)} (device ${tagHex(n.instanceTag)})` : `Device ${tagHex(n.instanceTag)}`;
      return `New device of ${peer}: ${label}. What you write here now also goes to it. Verify its fingerprint to be sure it is theirs.`;
    }
    case 'unreadable':
      return `A private message from ${peer} could not be decrypted. It probably belongs to an earlier private conversation (for example from before the messenger restarted). Nothing is wrong with your keys: ask ${peer} to send it again once the private conversation is up.`;
    case 'peer-error':
      return `${peer}'s messenger reported a problem with the private conversation (it said: "${n.said.slice(0, 200)}"). A message you sent may not have been readable for them; send it again once the conversation is private.`;
    case 'plaintext-while-private':
      return `Warning: a message from ${peer} arrived UNENCRYPTED although this conversation is private. It may come from another device of theirs, or from someone else. Treat it with care; what you write still goes privately.`;
    case 'ended-by-peer':
      return `${peer} ended the private conversation. What you write now waits until you start a new private conversation, or you end it too.`;
    case 'queued':
      return n.because === 'ended-by-peer'
        ? `${peer} ended the private conversation. Your message waits: it is sent when a new private conversation is up. You can also send it unencrypted or discard it.`
        : `Your message waits until a private conversation with ${peer} is up; the messenger is starting one. You can also send it unencrypted or discard it.`;
    case 'queue-sent':
      return `The messages that waited have been sent privately to ${peer}.`;
    case 'smp-succeeded':
      return n.verifiedThem
        ? `Verification succeeded: ${peer} is verified.`
        : `You answered ${peer}'s question correctly; they have verified you. Ask them a question of your own to verify them.`;
    case 'smp-failed':
      return `Verification with ${peer} failed: the answers did not match. Either one of you mistyped (answers must match exactly), or you are not talking to ${peer}. Try again, or compare fingerprints another way.`;
    case 'offline-sent': {
      const devices = count(n.devices, 'one device', 'devices');
      return n.messages > 0
        ? `${peer} is offline: your ${count(n.messages, 'message was', 'messages were')} sent privately to ${devices} of theirs, to be read when they come online.`
        : `${peer} is offline: a private conversation with ${devices} of theirs is ready; what you write goes there until they answer.`;
    }
    case 'offline-start':
      return `${peer} started this private conversation while you were offline, from the keys your device published in advance for that. It is encrypted. Started this way, it is ${peer} who gave up some deniability (OTRv4: online deniability for the one who starts it offline); yours is as in any private conversation.`;
    case 'prekey-server-changed':
      return n.whose === 'own'
        ? `The prekey server of your server (${n.server}) presents a different key than before, so this device did not publish its keys there: contacts cannot start a private conversation with you while you are offline. This happens when the server was reinstalled — or when someone is in between. Ask your server's administrator which key it has now; accept the new key only if it matches.`
        : `The prekey server of ${peer}'s server presents a different key than before, so nothing was fetched from it. This happens when that server was reinstalled — or when someone is in between.`;
    case 'older-version-refused':
      return `${peer}'s client only speaks the older OTR version 2, which your settings refuse, so no private conversation can start with them. To talk privately, allow "the older OTR version 2" in the privacy settings.`;
    case 'start-unanswered': {
      const waiting =
        n.queued > 0 ? ` Your ${count(n.queued, 'message waits', 'messages wait')} and ${n.queued === 1 ? 'is' : 'are'} not sent until you choose.` : '';
      return `${peer} did not answer the request for a private conversation (${n.seconds} s). Their client may not support OTR, may only speak an older OTR version, or may be offline.${waiting}`;
    }
    case 'wake-sent':
      return `Woke ${peer}'s devices. Your message goes privately once ${peer} is back; it is never sent unencrypted.`;
    case 'woken-by':
      return `${peer} woke this computer: signing in and starting a private conversation with them.`;
    case 'wake-refused':
      return `A wake-up request from ${peer} was refused and nothing was stored (${WAKE_REFUSED[n.reason]}).`;
  }
}
