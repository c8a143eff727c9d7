import { editKubeletConfig, parseKubeletConfig, type ConfigEdit } from '../../../../daemonset-scripts/kubelet-agent/kubelet-yaml.js';

const edit = (text: string, edits: ConfigEdit[]) => editKubeletConfig(parseKubeletConfig(text, 'f'), edits);

describe('in-place edits of a kubelet config file (pure)', () => {
  it('JSON: removes an item in the middle or at the end with its comma, adds to an empty object', () => {
    const json = '{\n  "kind": "KubeletConfiguration",\n  "a": 1,\n  "b": {},\n  "c": [1, 2]\n}\n';
    expect(edit(json, [{ path: ['a'], delete: true }])).toBe('{\n  "kind": "KubeletConfiguration",\n  "b": {},\n  "c": [1, 2]\n}\n');
    expect(edit(json, [{ path: ['c'], delete: true }])).toBe('{\n  "kind": "KubeletConfiguration",\n  "a": 1,\n  "b": {}\n}\n');
    expect(edit(json, [{ path: ['b', 'cpu'], value: '1' }])).toBe('{\n  "kind": "KubeletConfiguration",\n  "a": 1,\n  "b": {"cpu": "1"},\n  "c": [1, 2]\n}\n');
    expect(edit('{"kind":"KubeletConfiguration","x":{"y":"z"}}', [{ path: ['x', 'w'], value: 'v' }])).toBe('{"kind":"KubeletConfiguration","x":{"y":"z", "w": "v"}}');
  });

  it('YAML: the last key of a nested mapping leaves {}, a file without a final newline keeps none, comments stay put', () => {
    expect(edit('kind: KubeletConfiguration\nsystemReserved:\n  cpu: "1" # mine\nz: 1\n', [{ path: ['systemReserved', 'cpu'], delete: true }])).toBe('kind: KubeletConfiguration\nsystemReserved: {}\nz: 1\n');
    expect(edit('kind: KubeletConfiguration', [{ path: ['a'], value: 'b' }])).toBe('kind: KubeletConfiguration\na: b');
    expect(edit('kind: KubeletConfiguration\nlist:\n- a\n- b\n# about the end\n', [{ path: ['x'], value: 2 }])).toBe('kind: KubeletConfiguration\nlist:\n- a\n- b\nx: 2\n# about the end\n');
    // Values that would read back as another type are quoted; the indentation step of the file is kept.
    expect(edit('kind: KubeletConfiguration\nauthentication:\n    anonymous:\n        enabled: false\n', [{ path: ['kubeReserved'], value: { cpu: 'yes', memory: '1Gi' } }]))
      .toBe('kind: KubeletConfiguration\nauthentication:\n    anonymous:\n        enabled: false\nkubeReserved:\n    cpu: "yes"\n    memory: 1Gi\n');
  });

  it('a mapping written as null or a scalar becomes one', () => {
    expect(edit('kind: KubeletConfiguration\nkubeReserved:\nx: 1\n', [{ path: ['kubeReserved', 'cpu'], value: '1' }])).toBe('kind: KubeletConfiguration\nkubeReserved:\n  cpu: "1"\nx: 1\n');
    expect(edit('kind: KubeletConfiguration\nkubeReserved: null\n', [{ path: ['kubeReserved', 'cpu'], value: '1' }])).toBe('kind: KubeletConfiguration\nkubeReserved:\n  cpu: "1"\n');
  });
});
