// Types of what eslint.config.js exports for scripts/lint-boundaries.test.ts.
export interface Room {
  name: string;
  paths: string[];
  pure?: boolean;
  may: { rooms: string[]; packages?: string[]; node?: boolean };
  why: string;
}
export declare const rooms: Room[];
export declare const testExtras: { rooms: string[]; packages: string[]; files: string[] };
declare const config: unknown[];
export default config;
