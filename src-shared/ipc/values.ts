// zod schemas for the values every part of the IPC contract takes (contract.ts, otr-contract.ts).
import { z } from 'zod';

/** a bare JID as the core keys conversations: trimmed, lower case, name@server */
export const bareJid = z
  .string()
  .trim()
  .toLowerCase()
  .max(3071)
  .regex(/^[^@/\s"&'<>:]+@[^@/\s]+$/, 'a JID looks like name@server.example');

export const accountId = z.string().min(1).max(200);

/** SHA-256 of a server certificate as shown: upper-case hex pairs joined by ':' */
export const certSha256 = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^(?:[0-9A-F]{2}:){31}[0-9A-F]{2}$/, 'a certificate fingerprint is 32 hex pairs joined by ":"');
