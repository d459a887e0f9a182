// Test fixtures: DSA keys generated once with generateDsaKey (1024-bit p, 160-bit q) and committed
// so tests do not pay for key generation; a deterministic RNG; the app's native modexp engine re-exported.
import { sha256 } from '@noble/hashes/sha2.js';
import type { RandomSource } from '../../common/random';
import { deserializePrivateKey, type DsaPrivateKey } from '../dsa';

export const FIXTURE_KEYS: readonly string[] = [
  'otr3-dsa-v1:AAAAgIxZdj3Io178U8qlbOVo8i460u6uCpiMX/SwtNpOxO0V5vPMdQgDOVXLJP6ek2gK8xC/B4gIIKKsW5W/HVtms7DSZkge2wjWDMAh9gR+AnqU+pGDMrXlXeCEVjDRNcq4chaUYsgKYXe709Wj2OZiR+X4wLEsDNVnd9f/XARmmddpAAAAFKQucX9U+cRDRVDdU86FxMsOE3KHAAAAgAH8f2MNCpMQzoa/M7lYxKnq8p0dZlsgaLfu3tSsnArpGdLEKeO7gYc/Bq/Nv55shARttD8S95S1snyuVcA9RFK8briR/VnqpkLXpW4KphlEhUypwuEVfPm7uZQoImS4IL4p4WNulj2Ar+Ixxdp0Z2r96GQpo9t46C6YxyGxFOW5AAAAgBLN+Tl1deUCdgEp6Ztjm9idoShegJTl0pG3WvL2CpcEuvqhmfI/X8jkxtnQZ4+dpfzB+xPuqB0j/uIboewK2AfbUs4a4tYSKbCe0Xgxr7c0zcfHHBx8Zzf/0DzpLQmIjh3zN0jgH5f90bfqHu9+r4Kpp3F4S/JSBKjqOVKuSYFoAAAAFDDQ9QxZ3bFpCN1X987Y5BohihnC',
  'otr3-dsa-v1:AAAAgMstwFOBmocwnwQyIDZkdoJ+J5SrATqhPmqFAlK/STko4gLu284mmwbCfVHrvoDCnmY2/F7SGbS2zlojHuuakbFEgsPrav8hDw7RyH6SFArjquf3IW5CJDpKv8VPViHpxPmdUIZ4yVcHuIDV+mWiZuToartWgqNWnm8TV9Myh5clAAAAFJ0JwBsIKk6+sYynTp0zSUU7AdCBAAAAgEeu9BSuW9+S/tdwaduc+hK7TDbI4hVXU2SHj0jYdOhOq30CPucjQFo0dizYSuKZD5bFq+Zb81ELcUYPZUuVEchPJIGYSnKrwF74TGb8Qo5ZXL0ZmGKDkSc6lK5ZKJJka5MUQEZnbGUIZMZlPeLbn5bpf0btm1mpmMbW3OZYsv7uAAAAgLglD/li2p6n788SwUW0GcgAGp0aOdZGgy30gwh2fAMraDJ+85U4exwURkjnyxGmXYmqroVut8niOUgA1UJBTYjRB/mV+J93sfaGgrYLFMZPdtKEPsyAkZ+aJM7CfrSVlI2WuX8lIQRbft3o8fgdgIyUayqZeA0OwnggAPXRn7U0AAAAFH49z/3PNmGWOHIKigCF1vz58qOm',
  'otr3-dsa-v1:AAAAgNetsJvC2Kyr/x/4NRAQQjQfov0nMDWBHYhAtG0gCFrfcTer5x3oNeLeB5zlVyuiJop3Fx4MrCnh+r/b/Q/o9V/IROf4Qtr3ltA7oVEjBAsJkNxGPp8G/K3vu6MgPNc0/brFBmMG90RFBp1urcWA4UCKZk+NHnLq1vZdALvNly8fAAAAFJBfCj5tH2RKOilCHx6rKwo5HcpFAAAAgJzRV6TzGO+JvL/up0Ecf2qUGxjJTWUDAyLkshn1jwrKKsrwX/Gt/xw6xHtBYN4a6K6zNnTf1nWjY+7UgHGrMwjIzfB7J0F9k5fZfYxEH27fADwkvH9HV14k3zenGv24iyDEIsRBLRyvjHob5FHf0EutWCHhzZxclaMbgbjM6C3yAAAAgLTyXOSZTocZne7UdLYD8wtwB78ZfRpPRnFV7U4LbHOlqIpr7IEZla979JqTg9ir6cQLseoG/6ypCwUgQ+xnYP/KiC/pdPjFUp0InE7VpPYf59RB+V7Wmf0EvQnlzBrShBoBpIDilwq2Q6AGd3JncNPqwvMA6KipI9uiTm0V2TnuAAAAFD70NEHslAC3iYP8U5w6Rf9Oo/RV',
];

export const fixtureKey = (i: number): DsaPrivateKey => deserializePrivateKey(FIXTURE_KEYS[i]!);

/** deterministic RNG: SHA-256(seed ‖ counter) blocks — for reproducible tests only */
export function seededRng(seed: string): RandomSource {
  let counter = 0;
  const seedBytes = new TextEncoder().encode(seed);
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const c = new Uint8Array(4);
      new DataView(c.buffer).setUint32(0, counter++);
      const block = sha256(new Uint8Array([...seedBytes, ...c]));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

// The engine the app injects (src-shared/node-crypto), re-exported for the tests.
export { nativeDh1536Engine } from '../../../node-crypto/dh-engines';
export { nativeV3Symmetric } from '../../../node-crypto/symmetric-engine';
