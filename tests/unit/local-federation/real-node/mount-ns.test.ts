import { mountNsFile, mountNsScript, NODE_LOCAL_DIRS } from '../../../../local-federation/real-node/mount-ns.js';

describe('a real node\'s mount namespace', () => {
  it('makes mounts shared inside, then puts the node\'s own folders over the host folders a CNI writes', () => {
    const lines = mountNsScript('/fed/real-node/node2').split('\n');
    expect(lines.slice(0, 2)).toEqual(['set -e', 'mount --make-rshared /']);
    expect(lines).toContain("mount --bind '/fed/real-node/node2/cni/net.d' '/etc/cni/net.d'");
    expect(lines).toContain("mount --bind '/fed/real-node/node2/cni/bin' '/opt/cni/bin'");
    expect(lines).toContain("mount --bind '/fed/real-node/node2/var-lib-calico' '/var/lib/calico'");
    expect(NODE_LOCAL_DIRS.map((d) => d.host)).toEqual(['/etc/cni/net.d', '/opt/cni/bin', '/var/lib/cni', '/var/lib/calico', '/run/calico', '/var/log/calico']);
  });

  it('keeps each namespace under the instance\'s /run folder (swept by teardown)', () => {
    expect(mountNsFile('dev', 'member-1', 3)).toBe('/run/fedfeat/dev/mntns/member-1-node3');
    expect(mountNsFile('dev', 'host', 1)).not.toBe(mountNsFile('dev', 'member-1', 1));
  });
});
