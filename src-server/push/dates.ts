// Dates in API answers as the shipped ChatSecure server writes them after its "Fix datetime
// format" change: six fractional digits and Z (2026-12-07T03:21:16.123456Z). The ChatSecure iOS
// SDK parses them with yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z' and fails on three digits (issue 14).
// Our times are milliseconds, so the last three digits are zeros.
export function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
