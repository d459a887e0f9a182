// OTR Error Messages (OTRv3 §"OTR Error Messages": any message *containing* "?OTR Error:";
// OTRv4 §"OTR Error Messages": a message *starting* with "?OTR Error: " followed by an error code
// such as ERROR_1). We accept the v3 rule, which is the looser one, and send the v4 form, which
// satisfies both.

export const ERROR_PREFIX = '?OTR Error:';

/** OTRv4 §"OTR Error Messages" codes (v3 has none; libotr sends free text) */
export const OtrErrorMessageCode = {
  unreadable: 'ERROR_1',
  notInPrivateState: 'ERROR_2',
  malformed: 'ERROR_3',
} as const;

/** `?OTR Error: ` ‖ text (text must not be empty; it is shown to the peer) */
export function formatErrorMessage(text: string): string {
  return `${ERROR_PREFIX} ${text}`;
}

/** The human-readable part of an error message, or undefined if `text` is not one. */
export function parseErrorMessage(text: string): string | undefined {
  const at = text.indexOf(ERROR_PREFIX);
  if (at < 0) return undefined;
  return text.slice(at + ERROR_PREFIX.length).trim();
}
