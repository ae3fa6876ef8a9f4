import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';

import { Bus, BusError } from './bus';
import { LoadSheddingPicker, Preview, complete, dayBars, hoursText, localDate, safeName, sheddingOf, spanText,
  valueOf } from './loadshedding-picker';
import { fieldsOf } from './property-form';

describe('load-shedding picker helpers', () => {
  it('reads the grid property into a state and writes it back the same', () => {
    for (const value of [
      { events_csv: 'loadshedding/events.csv', area: 'riverside-block-3' },
      { area_schedule_csv: 'loadshedding/area_schedule.csv', stage_timeline: 'loadshedding/stage_timeline.csv' },
      { area_schedule_csv: 'a.csv', stages: [{ stage: 2, start: '2026-01-05T16:00', end: '2026-01-06T05:00' }] },
      { esp_area_json: 'loadshedding/esp_area.json', esp_status_json: 'loadshedding/esp_status.json' },
    ]) {
      expect(valueOf(sheddingOf(value))).toEqual(value);
    }
    expect(sheddingOf(null).area).toBe('none');
    expect(valueOf(sheddingOf(null))).toBeNull();
    // seconds from the server are dropped: the table shows minutes
    expect(sheddingOf({ area_schedule_csv: 'a.csv', stages: [{ stage: 4, start: '2026-01-06T05:00:00',
      end: '2026-01-07T22:00:00' }] }).stages).toEqual([{ stage: 4, start: '2026-01-06T05:00', end: '2026-01-07T22:00' }]);
  });

  it('knows when a state is complete enough to preview', () => {
    const rotation = sheddingOf({ area_schedule_csv: 'a.csv' });
    expect(complete(rotation)).toBe(false);
    expect(complete({ ...rotation, stages: [{ stage: 2, start: '2026-01-05T16:00', end: '2026-01-05T10:00' }] })).toBe(false);
    expect(complete({ ...rotation, stages: [{ stage: 2, start: '2026-01-05T16:00', end: '2026-01-05T22:00' }] })).toBe(true);
    expect(complete(sheddingOf({ events_csv: 'e.csv' }))).toBe(false);
    expect(complete(sheddingOf({ events_csv: 'e.csv', area: 'x' }))).toBe(true);
    expect(complete(sheddingOf({ esp_area_json: 'a.json' }))).toBe(true);
  });

  it('words hours, spans and file names for people', () => {
    expect([hoursText(0), hoursText(2.5), hoursText(4), hoursText(0.25)]).toEqual(['none', '2 h 30 min', '4 h', '15 min']);
    expect(spanText('2026-01-05T16:00', '2026-01-05T18:30')).toBe('Mon 5 Jan 16:00 – 18:30');
    expect(spanText('2026-01-06T22:00', '2026-01-07T00:30')).toBe('Tue 6 Jan 22:00 – Wed 7 Jan 00:30');
    expect(safeName('My schedule (2).csv')).toBe('My-schedule-2-.csv');
    expect(safeName('C:\\Users\\me\\..events.csv')).toBe('events.csv');
    expect(localDate(Date.UTC(2026, 0, 4, 23, 30) / 1000, 'Africa/Johannesburg')).toBe('2026-01-05');
  });

  it('draws a day of 24 hours off as a full bar and none as no bar', () => {
    const bars = dayBars([{ date: '2026-01-05', hours: 24, stage: 8 }, { date: '2026-01-06', hours: 0, stage: 0 },
      { date: '2026-01-07', hours: 6, stage: 2 }], 300, 96);
    expect(bars.map((b) => [b.h, b.y])).toEqual([[96, 0], [0, 96], [24, 72]]);
    expect(bars[1].x).toBeCloseTo(110);
  });

  it('is the grid form’s editor for load-shedding (no JSON)', () => {
    expect(fieldsOf('grid').find((f) => f.name === 'load_shedding')!.editor).toBe('loadshedding');
  });
});

describe('LoadSheddingPicker', () => {
  const preview: Preview = {
    area: 'riverside-block-3', areas: ['example-town-area-1', 'riverside-block-3'], source: 'the outage list x',
    timezone: 'Africa/Johannesburg', start: '2026-01-05', days: 3, stages: [],
    outages: [{ stage: 2, start: '2026-01-05T20:00', end: '2026-01-05T22:30' }], outage_count: 1,
    daily: [{ date: '2026-01-05', hours: 2.5, stage: 2 }, { date: '2026-01-06', hours: 0, stage: 0 },
      { date: '2026-01-07', hours: 0, stage: 0 }],
    averages: [{ stage: 2, hours: 2.5 }], averages_basis: 'the outage list',
  };

  async function make(calls: [string, Record<string, unknown>][], answer: (rest: string, kw: any) => unknown,
                      operator = true) {
    const bus = {
      canChange: () => operator,
      settlement: signal(null),
      desired: signal(null),
      call: async (rest: string, _args: unknown[], kwargs: Record<string, unknown>) => {
        calls.push([rest, kwargs]);
        return answer(rest, kwargs);
      },
    };
    TestBed.configureTestingModule({ providers: [{ provide: Bus, useValue: bus }] });
    const fixture = TestBed.createComponent(LoadSheddingPicker);
    const sent: unknown[] = [];
    fixture.componentInstance.changed.subscribe((v) => sent.push(v));
    const settle = async () => {
      for (let i = 0; i < 8; i++) {
        fixture.detectChanges();
        await fixture.whenStable();
        await new Promise((r) => setTimeout(r, 60));
      }
    };
    return { fixture, sent, settle, el: fixture.nativeElement as HTMLElement };
  }

  function choose(input: HTMLInputElement, name: string, text: string): void {
    const files = new DataTransfer();
    files.items.add(new File([text], name, { type: 'text/csv' }));
    input.files = files.files;
    input.dispatchEvent(new Event('change'));
  }

  it('uploads an outage list, offers its areas, sends the chosen area and shows what it gives', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    const { fixture, sent, settle, el } = await make(calls, (rest) => rest === 'loadshedding.upload'
      ? { path: 'loadshedding/my-events.csv', field: 'events_csv', areas: preview.areas, rows: 10, summary: '10 outages of 2 areas' }
      : preview);
    fixture.componentRef.setInput('value', null);
    await settle();
    const source = el.querySelector('select[aria-label="Where your area\'s schedule comes from"]') as HTMLSelectElement;
    source.value = 'events';
    source.dispatchEvent(new Event('change'));
    await settle();
    choose(el.querySelector('input[type="file"]') as HTMLInputElement, 'my events.csv', 'area_name,start,finsh,stage\n');
    await settle();
    expect(calls[0]).toEqual(['loadshedding.upload', { name: 'my-events.csv', text: 'area_name,start,finsh,stage\n', role: 'area' }]);
    expect(el.querySelector('[data-area-note]')?.textContent).toContain('my-events.csv: 10 outages of 2 areas');
    const area = el.querySelector('select[aria-label="Your area"]') as HTMLSelectElement;
    expect([...area.options].map((o) => o.textContent!.trim())).toEqual(['choose your area', ...preview.areas]);
    area.value = 'riverside-block-3';
    area.dispatchEvent(new Event('change'));
    await settle();
    expect(sent[sent.length - 1]).toEqual({ events_csv: 'loadshedding/my-events.csv', area: 'riverside-block-3' });
    const asked = calls.filter(([rest]) => rest === 'loadshedding.preview');
    expect(asked[asked.length - 1][1]).toEqual({ load_shedding: sent[sent.length - 1], start: null, days: 28 });
    expect(el.querySelector('[data-preview-area]')?.textContent).toContain('riverside-block-3');
    expect(el.querySelector('[data-outages]')?.textContent).toContain('Mon 5 Jan 20:00 – 22:30 · stage 2');
    expect(el.querySelectorAll('svg.bars rect').length).toBe(3);
    expect(el.textContent).not.toContain('{');
  });

  it('shows a refused file’s message and keeps the value', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    const { fixture, sent, settle, el } = await make(calls, (rest) => {
      if (rest === 'loadshedding.upload') {
        throw new BusError('homesim.error.invalid_property', "bad.csv line 3, column 'finsh': 'soon' is not an ISO 8601 date and time");
      }
      return preview;
    });
    fixture.componentRef.setInput('value', { events_csv: 'loadshedding/events.csv', area: 'riverside-block-3' });
    await settle();
    choose(el.querySelector('input[type="file"]') as HTMLInputElement, 'bad.csv', 'x');
    await settle();
    expect(el.querySelector('[data-area-error]')?.textContent).toContain("bad.csv line 3, column 'finsh'");
    expect(sent).toEqual([]);
  });

  it('asks nothing for a viewer, and says why there is no preview', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    const { fixture, settle, el } = await make(calls, () => preview, false);
    fixture.componentRef.setInput('value', { events_csv: 'loadshedding/events.csv', area: 'riverside-block-3' });
    fixture.componentRef.setInput('disabled', true);
    await settle();
    expect(calls).toEqual([]);
    expect(el.textContent).toContain('worked out for the home’s operator'.replace('’', "'"));
    expect((el.querySelector('input[type="file"]') as HTMLInputElement).disabled).toBe(true);
  });

  it('edits the stages in a table: a row added, its stage and times typed, one removed', async () => {
    const calls: [string, Record<string, unknown>][] = [];
    const { fixture, sent, settle, el } = await make(calls, () => ({ ...preview, stages: [] }));
    fixture.componentRef.setInput('value', { area_schedule_csv: 'loadshedding/area_schedule.csv',
      stages: [{ stage: 2, start: '2026-01-05T16:00', end: '2026-01-06T05:00' }] });
    await settle();
    const add = [...el.querySelectorAll('button')].find((b) => b.textContent === 'Add a period')!;
    add.click();
    await settle();
    const stage = el.querySelector('input[aria-label="Stage of row 2"]') as HTMLInputElement;
    stage.value = '4';
    stage.dispatchEvent(new Event('change'));
    const to = el.querySelector('input[aria-label="To time, row 2"]') as HTMLInputElement;
    to.value = '2130';
    to.dispatchEvent(new Event('change'));
    await settle();
    expect(sent[sent.length - 1]).toEqual({ area_schedule_csv: 'loadshedding/area_schedule.csv', stages: [
      { stage: 2, start: '2026-01-05T16:00', end: '2026-01-06T05:00' },
      { stage: 4, start: '2026-01-06T05:00', end: '2026-01-06T21:30' }] });
    (el.querySelector('button[aria-label="Remove row 1"]') as HTMLButtonElement).click();
    await settle();
    expect((sent[sent.length - 1] as any).stages).toEqual([{ stage: 4, start: '2026-01-06T05:00', end: '2026-01-06T21:30' }]);
  });
});
