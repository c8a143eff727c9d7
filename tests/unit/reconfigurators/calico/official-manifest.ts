// Calico's official release manifests, read from the vendored v3.28.2 source
// tarball (never copied into the repository). Tests using them are skipped,
// saying why, where the tarball is absent.
import { calicoTarball, readFromCalicoTarball } from '../../../../local-federation/calico-build.js';

const tarball = calicoTarball();
export const officialManifestMissing = tarball ? undefined : 'Calico source tarball not found (set FEDFEAT_CALICO_TARBALL or put it in ../shared/vendor)';
export const officialManifest = (name: 'calico.yaml' | 'calico-policy-only.yaml' = 'calico.yaml'): string => readFromCalicoTarball(tarball!, `manifests/${name}`);
