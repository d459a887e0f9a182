// The library is pure: randomness and time are injected by the caller (docs/architecture.md §6).
// The app passes crypto.getRandomValues; tests pass a seeded generator.

/** returns n cryptographically random bytes */
export type RandomSource = (n: number) => Uint8Array;

/** returns the current time in milliseconds since the Unix epoch */
export type Clock = () => number;
