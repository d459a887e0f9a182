import './groups.css';
export { GroupsContext, useGroups } from './context';
export { createGroupsStore, type GroupsStore } from './groups-store';
export { GroupsSection } from './GroupsSection';
export { startGroupNotifier } from './group-notifier';
