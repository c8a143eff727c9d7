import { instanceDir } from '../../../local-federation/state.js';

describe('instance state folder', () => {
  it('refuses instance names that could escape the state folder or overflow interface names', () => {
    expect(() => instanceDir('../etc')).toThrow(/instance name/);
    expect(() => instanceDir('a-very-long-instance-name')).toThrow(/instance name/);
    expect(instanceDir('dev')).toMatch(/federations\/dev$/);
  });
});
