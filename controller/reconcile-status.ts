// The work item "status": one FeatureConfig's status aggregated from its
// members' latest results and written through the status subresource with
// Server-Side Apply — only when something other than timestamps changed.
import { FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL } from '../api/featureconfig.js';
import type { KubeObject } from '../kube-client/client.js';
import { resourcePath } from '../kube-client/paths.js';
import { FIELD_MANAGER, type ControllerParts } from './parts.js';
import { aggregateStatus, sameStatus } from './status.js';

export async function writeStatus(p: ControllerParts, fcName: string): Promise<void> {
  const fc = p.featureConfigs.get(fcName);
  if (!fc || fc.metadata.deletionTimestamp) return;
  const selected = p.selectedMembers(fc).map((m) => m.name);
  const status = aggregateStatus(fc.metadata.generation ?? 0, selected, p.results.of(fcName), fc.status, p.now().toISOString());
  if (sameStatus(fc.status, status)) return;
  const prevReady = fc.status?.conditions?.find((c) => c.type === 'Ready');
  const ready = status.conditions!.find((c) => c.type === 'Ready')!;
  await p.host.apply(`${resourcePath(FEATURECONFIG_API_VERSION, FEATURECONFIG_PLURAL, undefined, fcName)}/status`, {
    apiVersion: FEATURECONFIG_API_VERSION, kind: 'FeatureConfig', metadata: { name: fcName }, status,
  } as KubeObject, FIELD_MANAGER);
  if (ready.status === 'True' && prevReady?.status !== 'True') {
    p.events.record(fc, { type: 'Normal', reason: 'Ready', message: `all ${status.members?.selected ?? 0} selected members support every feature` });
  }
}
