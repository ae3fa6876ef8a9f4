import { homeToText, parseHomeFile, planLoad } from './home-file';

const HOME = {
  name: 'Reference home, Cape Town',
  location: { latitude: -33.93, longitude: 18.47, altitude_m: 40, timezone: 'Africa/Johannesburg' },
  start: '2026-01-05',
  currency: 'ZAR',
  seed: 7,
  devices: [
    { id: 'battery', kind: 'battery', capacity_kwh: 10.24, soc_min: 0.1 },
    { id: 'oven', kind: 'oven', circuit: 'non_essential', rated_power_w: 2000,
      cooking: [{ start: '17:30', end: '18:30', days: ['mon', 'tue'] }], switch: { timers: [], min_battery_soc: null } },
    { id: 'kettle', kind: 'kettle', uses: ['06:30', '19:30'], days: null },
  ],
};

describe('home files: save and load', () => {
  it('round-trips the home through YAML and through JSON', () => {
    const yaml = homeToText(HOME, 'yaml');
    expect(yaml).toContain('kind: oven');
    expect(yaml).toContain('circuit: non_essential');
    expect(yaml.trimStart().startsWith('{')).toBe(false);
    const fromYaml = parseHomeFile('home.yaml', yaml);
    expect(fromYaml.errors).toEqual([]);
    expect(fromYaml.home).toEqual(HOME);
    const fromJson = parseHomeFile('home.json', homeToText(HOME, 'json'));
    expect(fromJson.home).toEqual(HOME);
    // "06:30" stays a string (YAML 1.1 would read 06:30 as a number in base 60)
    expect((fromYaml.home!['devices'][2] as any).uses).toEqual(['06:30', '19:30']);
  });

  it('names the file and the field of every problem', () => {
    expect(parseHomeFile('bad.yaml', 'devices: [\n').errors[0]).toMatch(/^bad\.yaml: not valid YAML/);
    expect(parseHomeFile('bad.json', '{"devices": ').errors[0]).toMatch(/^bad\.json: not valid JSON/);
    expect(parseHomeFile('x.yaml', 'name: x\n').errors).toEqual(['x.yaml: devices: missing or not a list']);
    const bad = parseHomeFile('h.yml', [
      'devices:',
      '  - {id: oven, kind: oven, rated_power: 3000}',
      '  - {id: toaster, kind: toaster}',
      '  - {id: Oven 2, kind: oven}',
    ].join('\n'));
    expect(bad.home).toBeNull();
    expect(bad.errors).toEqual([
      'h.yml: devices[0] (oven).rated_power: not a property of oven',
      expect.stringMatching(/^h\.yml: devices\[1\] \(toaster\)\.kind: "toaster" is not a device kind/),
      'h.yml: devices[2].id: "Oven 2" is not an id (lower-case letters, digits and _)',
    ]);
  });

  it('adds the devices the live home lacks and sets the others’ properties', () => {
    const plan = planLoad(HOME, new Set(['battery', 'kettle']));
    expect(plan.add.map((d) => d['id'])).toEqual(['oven']);
    expect(plan.set).toEqual([
      { id: 'battery', changes: { capacity_kwh: 10.24, soc_min: 0.1 } },
      { id: 'kettle', changes: { uses: ['06:30', '19:30'], days: null } },
    ]);
  });
});
