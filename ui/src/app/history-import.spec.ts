import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { Bus, BusError } from './bus';
import { HistoryImport, CHUNK_CHARS, chunks, describeFitted, formatBytes, formatError, formatUtc, inWords, mappingOf, monthRows, QUANTITY_LABELS } from './history-import';

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

describe('HistoryImport', () => {
  const inspection = {
    upload: '0123456789abcdef', name: 'ha.csv', layout: 'ha_history', layout_label: 'Home Assistant history export',
    columns: ['sensor.pv_power', 'sensor.load_power', 'sensor.battery_power'],
    mapping: { pv: 'sensor.pv_power', load: 'sensor.load_power', battery: 'sensor.battery_power' },
    units: { pv: 'power', load: 'power' },
    quantities: { pv: 'Solar power (PV)', load: 'Home consumption', battery: 'Battery power (+ discharging)' },
    location: { latitude: -33.9, longitude: 18.4, timezone: 'Africa/Johannesburg' },
  };
  const imported = {
    job: 'fedcba9876543210',
    quality: { files: [{ path: 'ha.csv', rows: 3670, first: '2026-01-04T22:00:00Z', last: '2026-01-08T22:00:00Z' }],
      problems: [{ kind: 'gap', quantity: 'pv_w', count: 1, detail: 'no data for 1 h: left as NaN', examples: [] }],
      coverage: { pv_w: 0.99 }, notes: [] },
    home: { devices: [] }, notes: ['a note'],
    fitted: { kwp: { value: 5.03, unit: 'kWp' }, 'battery.capacity_kwh': { value: 10.02, unit: 'kWh' },
      'load.replay': { value: 'calibrated/load.csv', unit: null } },
    report: { errors: { pv_w: { hourly: { mae: 7.2, rmse: 14, bias: 2 }, daily: { mae: 3, bias: 3 } } },
      months: [{ month: '2026-01', energy_kwh: { pv: { measured: 77, simulated: 77.2 } } }] },
    plots: [{ title: 'A typical day', src: 'data:image/png;base64,iVBORw0KGgo=' }],
    home_file: '/out/live/imports/jobs/fedcba9876543210/home.yaml',
  };

  async function make(answer: (rest: string, kw: any, progress?: (...a: any[]) => void) => unknown) {
    const calls: [string, Record<string, unknown>][] = [];
    const bus = {
      canChange: () => true,
      desired: signal({ version: 7, devices: [], home: {} }),
      call: async (rest: string, _args: unknown[], kwargs: Record<string, unknown>, progress?: (...a: any[]) => void) => {
        calls.push([rest, kwargs]);
        return answer(rest, kwargs, progress);
      },
    };
    TestBed.configureTestingModule({ providers: [{ provide: Bus, useValue: bus }] });
    const fixture = TestBed.createComponent(HistoryImport);
    const settle = async () => {
      for (let i = 0; i < 6; i++) {
        fixture.detectChanges();
        await fixture.whenStable();
        await new Promise((r) => setTimeout(r, 30));
      }
    };
    await settle();
    return { calls, settle, el: fixture.nativeElement as HTMLElement };
  }

  function choose(input: HTMLInputElement, name: string, text: string): void {
    const files = new DataTransfer();
    files.items.add(new File([text], name, { type: 'text/csv' }));
    input.files = files.files;
    input.dispatchEvent(new Event('change'));
  }

  it('uploads, maps with the guesses and a unit changed, imports with progress, shows the reports and adopts', async () => {
    const { calls, settle, el } = await make((rest, kw, progress) => {
      if (rest === 'history.upload') return { upload: '0123456789abcdef', name: kw.name, bytes: kw.offset + kw.text.length };
      if (rest === 'history.inspect') return inspection;
      if (rest === 'history.import') { progress?.(1, 4, 'Calibrating the home…'); return imported; }
      return { added: ['household'], removed: ['oven'], changed: ['battery'], home_file: imported.home_file };
    });
    choose(el.querySelector('[data-test="history-file"]') as HTMLInputElement, 'ha.csv', 'entity_id,state,last_changed\n');
    await settle();
    expect(calls[0]).toEqual(['history.upload', { name: 'ha.csv', text: 'entity_id,state,last_changed\n', upload: null, offset: 0 }]);
    expect(calls[1]).toEqual(['history.inspect', { upload: '0123456789abcdef' }]);
    expect((el.querySelector('select[data-quantity="pv"]') as HTMLSelectElement).value).toBe('sensor.pv_power');
    const unit = el.querySelector('select[data-unit="pv"]') as HTMLSelectElement;
    unit.value = 'kW';
    unit.dispatchEvent(new Event('change'));
    (el.querySelector('[data-sign="battery"]') as HTMLInputElement).click();
    await settle();
    (el.querySelector('form[data-test="mapping"] button[type="submit"]') as HTMLButtonElement).click();
    await settle();
    expect(calls[2]).toEqual(['history.import', {
      uploads: ['0123456789abcdef'], latitude: -33.9, longitude: 18.4, timezone: 'Africa/Johannesburg',
      mapping: { pv: { name: 'sensor.pv_power', unit: 'kW' }, load: 'sensor.load_power',
        battery: { name: 'sensor.battery_power', sign: 'charge_positive' } } }]);
    const quality = el.querySelector('[data-test="quality"]')!.textContent!;
    expect(quality).toContain('ha.csv: 3,670 rows, 2026-01-04 22:00 UTC to 2026-01-08 22:00 UTC');
    expect(quality).toContain('Gaps · Solar power (PV) · 1× — no data for 1 h: left empty');
    expect(el.querySelector('[data-fitted="kwp"]')!.textContent).toContain('5.03 kWp');
    expect(el.querySelector('[data-fitted="load.replay"]')).toBeNull();
    expect(el.querySelector('[data-test="metrics"] tr[data-quantity="pv_w"]')!.textContent).toContain('7 W');
    expect(el.querySelectorAll('[data-test="report-plot"]').length).toBe(1);
    expect(el.textContent).not.toMatch(/pv_w|[{}]/);
    (el.querySelector('[data-test="adopt"]') as HTMLButtonElement).click();
    await settle();
    expect(calls[3]).toEqual(['history.adopt', { job: 'fedcba9876543210', version: 7 }]);
    expect(el.querySelector('[data-test="adopted"]')!.textContent).toContain('removed oven; added household; changed battery');
  });

  it('shows a refused import’s message, naming the file, row and column', async () => {
    const { settle, el } = await make((rest, kw) => {
      if (rest === 'history.upload') return { upload: '0123456789abcdef', name: kw.name, bytes: kw.text.length };
      if (rest === 'history.inspect') return inspection;
      throw new BusError('homesim.error.invalid_property', "ha.csv row 2 column 'state': a column of text");
    });
    choose(el.querySelector('[data-test="history-file"]') as HTMLInputElement, 'ha.csv', 'x');
    await settle();
    (el.querySelector('form[data-test="mapping"] button[type="submit"]') as HTMLButtonElement).click();
    await settle();
    expect(el.querySelector('[data-error="history"]')!.textContent).toContain("ha.csv row 2 column 'state'");
    expect(el.querySelector('[data-test="calibration"]')).toBeNull();
  });
});
