// The one place tactics are registered: feature name -> reconfigurator.
import type { FeatureName } from '../api/featureconfig.js';
import { CalicoReconfigurator } from './calico/reconfigurator.js';
import { KubeletConfigReconfigurator } from './kubelet-config/reconfigurator.js';
import { PodPresetReconfigurator } from './podpreset/reconfigurator.js';
import type { Reconfigurator } from './types.js';

export class ReconfiguratorRegistry {
  private readonly byFeature = new Map<FeatureName, Reconfigurator>();

  constructor(reconfigurators: Reconfigurator[]) {
    for (const r of reconfigurators) {
      for (const f of r.features) {
        const taken = this.byFeature.get(f);
        if (taken) throw new Error(`feature ${f} claimed by both ${taken.name} and ${r.name}`);
        this.byFeature.set(f, r);
      }
    }
  }

  for(feature: FeatureName): Reconfigurator {
    const r = this.byFeature.get(feature);
    if (!r) throw new Error(`no reconfigurator registered for feature ${feature}`);
    return r;
  }
}

export interface RegistryOptions {
  /** Calico manifest for FeatureConfigs that name none: a mirror, for fleets without internet access. */
  calicoManifestURL?: string;
  /** Registry replacing docker.io in Calico's images for FeatureConfigs that name none (a mirror, or images imported on the nodes). */
  calicoImageRegistry?: string;
}

export function defaultRegistry(o: RegistryOptions = {}): ReconfiguratorRegistry {
  return new ReconfiguratorRegistry([new PodPresetReconfigurator(), new KubeletConfigReconfigurator(), new CalicoReconfigurator({ defaultManifestURL: o.calicoManifestURL, defaultImageRegistry: o.calicoImageRegistry })]);
}
