import { CHUNK_CHARS, chunks, describeFitted, formatBytes, formatError, formatUtc, inWords, mappingOf, monthRows, QUANTITY_LABELS } from './history-import';

describe('history import helpers', () => {
  it('splits a file into chunks the planner takes, in order, none empty', () => {
    const text = 'x'.repeat(CHUNK_CHARS * 2 + 5);
    const parts = chunks(text);
    expect(parts.map((p) => p.length)).toEqual([CHUNK_CHARS, CHUNK_CHARS, 5]);
    expect(parts.join('')).toBe(text);
    expect(chunks('abc', 2)).toEqual(['ab', 'c']);
    expect(chunks('')).toEqual(['']);
  });

  it('writes sizes, fitted values and errors as a homeowner reads them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(45_600_000)).toBe('45.6 MB');
    expect(describeFitted('battery.capacity_kwh', { value: 9.63, unit: 'kWh' })).toEqual({ label: 'Battery usable capacity', text: '9.6 kWh' });
    expect(describeFitted('battery.round_trip_efficiency', { value: 0.912, unit: '0..1' })).toEqual({ label: 'Battery round-trip efficiency', text: '91 %' });
    expect(describeFitted('inverter.rated_power_w', { value: 3800, unit: 'W' })).toEqual({ label: 'Inverter', text: '3.80 kW' });
    expect(describeFitted('inverter.work_mode', { value: 'selling_first', unit: null })).toEqual({ label: 'Inverter work mode', text: 'selling first' });
    expect(describeFitted('pv.some_new_thing', 1.23456)).toEqual({ label: 'some new thing', text: '1.235' });
    expect(describeFitted('inverter.floors_by_hour', { value: [null, 0.2], unit: '0..1' })).toBeNull();
    expect(inWords('grid_import_w is zero throughout')).toBe('bought from the grid is zero throughout');
    expect(inWords('no data for 1 h: left as NaN')).toBe('no data for 1 h: left empty');
    expect(describeFitted('load.replay', { value: 'calibrated/load_measured.csv', unit: null })).toBeNull();
    expect(formatUtc('2026-01-04T22:00:00Z')).toBe('2026-01-04 22:00 UTC');
    expect(formatError(1234.5, 'pv_w')).toBe('1.23 kW');
    expect(formatError(-87.4, 'load_w')).toBe('-87 W');
    expect(formatError(3.21, 'soc')).toBe('3.2 pts');
    expect(formatError(null, 'soc')).toBe('—');
  });

  it('labels every quantity in words, never its code name', () => {
    for (const [code, label] of Object.entries(QUANTITY_LABELS)) {
      expect(label).not.toContain('_');
      expect(label).not.toBe(code);
    }
  });

  it('sends a column alone, or with the unit and sign changed', () => {
    expect(mappingOf({ pv: 'sensor.pv', load: 'sensor.load', soc: null, battery: 'sensor.bat' }, { pv: 'kW' }, { battery: true }))
      .toEqual({ pv: { name: 'sensor.pv', unit: 'kW' }, load: 'sensor.load', battery: { name: 'sensor.bat', sign: 'charge_positive' } });
    expect(mappingOf({ grid: 'g' }, {}, { grid: true })).toEqual({ grid: { name: 'g', sign: 'export_positive' } });
  });

  it('lays out monthly energy as measured → simulated with the difference', () => {
    const rows = monthRows([{ month: '2026-01', energy_kwh: { pv: { measured: 400, simulated: 420 }, grid_import: { measured: 0, simulated: 1 } } }]);
    expect(rows[0].month).toBe('2026-01');
    expect(rows[0].cells[0]).toEqual({ name: 'pv', measured: '400.0', simulated: '420.0', diff: '+5.0 %' });
    expect(rows[0].cells[1].diff).toBe('—');
  });
});
