// The mark a reply carries when the contact writes from several devices (issue 13, "replies from
// any of them shown in one conversation, each marked with its device"). A device is an OTR
// instance tag (OTRv4 §"Instance Tags"); its name is the XMPP resource it writes from (RFC 6120
// §1.4, the name its client chose), else "Device" and the tag in upper-case hex, as the devices
// dialog writes it (src-renderer/devices/DevicesDialog.tsx). The mark is given only while the
// contact has more than one device in the conversation: with one device it says nothing.
import { STALE_AFTER_MS, type DeviceRow } from './devices';

/** the resource of a full JID (everything after the first slash, RFC 7622 §3.4); undefined for a bare JID */
export function resourceOf(jid: string | undefined): string | undefined {
  const i = jid?.indexOf('/') ?? -1;
  return i < 0 ? undefined : jid!.slice(i + 1);
}

/** "Device 3F2A1B00": the instance tag in upper-case hex, eight digits */
export function tagWords(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(8, '0');
}

/** the device's name where known, else "Device <tag>"; bounded, so a long resource cannot flood the bubble */
export function deviceLabel(tag: number, name?: string): string {
  const n = name?.trim();
  return n ? (n.length > 64 ? `${n.slice(0, 63)}…` : n) : `Device ${tagWords(tag)}`;
}

/**
 * Whether the contact has more than one device in the conversation: the instance tags of its
 * sessions (any state but plaintext: a finished one was a device too) and of its devices seen in
 * private sessions that are not stale (otr/devices.ts), counted once each.
 */
export function severalDevices(sessionTags: readonly number[], rows: readonly DeviceRow[], now: number): boolean {
  const tags = new Set(sessionTags);
  for (const r of rows) if (now - r.lastSeen <= STALE_AFTER_MS) tags.add(r.instanceTag);
  return tags.size > 1;
}

/** the label for a message from `tag`, or undefined when the contact has only one device */
export function replyMark(
  tag: number | undefined,
  sessionTags: readonly number[],
  rows: readonly DeviceRow[],
  now: number,
  resourceOf: (tag: number) => string | undefined,
): string | undefined {
  if (tag === undefined || !severalDevices(sessionTags, rows, now)) return undefined;
  return deviceLabel(tag, resourceOf(tag) ?? rows.find((r) => r.instanceTag === tag)?.name);
}
