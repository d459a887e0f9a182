// Transitional: the validating point decoder now lives in ed448.ts. These names remain only until
// the prekey modules import from ed448.ts directly.
export { decodePoint as decodeValidPoint, validatePoint as checkPoint, trustPoint, isInPrimeOrderSubgroup } from './ed448';
