// What a member "holds" for the plan's stickiness (rebalance: false): its
// Deployment's replica count, but never more than the last decision gave it
// (the placement's status). A member that went Offline was dropped from the
// decision while its Deployment stayed there, unreachable; when it comes
// back, that stale Deployment must not win the member its replicas back
// from the members that took them over (which would move replicas twice and
// remove a healthy member's Deployment): it is left like any member no
// longer chosen. Pure.
import type { PlacementMemberStatus } from '../api/featureplacement.js';

export function heldForPlan(member: string, deploymentReplicas: number, last: PlacementMemberStatus[] | undefined): number {
  if (!last) return deploymentReplicas; // no decision recorded yet
  return Math.min(deploymentReplicas, last.find((c) => c.name === member)?.assigned ?? 0);
}
