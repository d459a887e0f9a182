// OTRv4 SMP (otrv4.md §"Socialist Millionaires Protocol (SMP)"): the state machine and the messages.
export { Smp, isSmpTlv } from './state';
export type { SmpOptions, SmpOutput, SmpStateName } from './state';
export { smpSecret, hashToScalar, SmpCheated } from './protocol';
