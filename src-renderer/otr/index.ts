// The OTR UI: mount <OtrContext.Provider value={createOtrStore(api)}> once, then <OtrPanel> in the
// conversation header, <EncryptedMarker> on each message and <AccountOtrWarnings> under the account.
import './otr.css';
export { OtrContext, useOtr, useOtrState, useOtrStatus } from './context';
export { createOtrStore, otrKey, type OtrApi, type OtrStore } from './otr-store';
export { OtrPanel } from './OtrPanel';
export { OtrBadge } from './OtrBadge';
export { EncryptedMarker } from './EncryptedMarker';
export { Fingerprint } from './Fingerprint';
export { VerifyDialog } from './VerifyDialog';
export { OfflineDialog } from './OfflineDialog';
export { AccountOtrWarnings, OwnDevicesButton } from './AccountOtrWarnings';
