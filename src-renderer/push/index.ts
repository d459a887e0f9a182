// The wake-up UI: mount <PushContext.Provider value={createPushStore(api)}> once, then
// <PushSettings> under each account and <WakeUpPrompts> in the conversation.
import './push.css';
export { PushContext, usePush, usePushState } from './context';
export { createPushStore, pushKey, type PushApi, type PushStore } from './push-store';
export { PushSettings } from './PushSettings';
export { WakeUpPrompts } from './WakeUpPrompt';
export { WakeUps } from './WakeUps';
export { ASLEEP_WORDS, SleepControl } from './SleepControl';
