import { arrivalRate, credentialsFromLocation, takeSettlements } from './bus';
import { Settlement } from './generated';

describe('credentials from the URL fragment', () => {
  it('reads the ticket, role and defaults the router to this host', () => {
    const location = { hash: '#home=home&authid=operator&ticket=abc', host: '127.0.0.1:8080', protocol: 'http:' };
    expect(credentialsFromLocation(location as Location)).toEqual({
      url: 'ws://127.0.0.1:8080/ws', authid: 'operator', ticket: 'abc',
    });
  });

  it('asks for a login without a ticket', () => {
    expect(credentialsFromLocation({ hash: '', host: 'x', protocol: 'http:' } as Location)).toBeNull();
  });
});

describe('settlements taken in batches', () => {
  const at = (tick: number, cost = 0.01) => Settlement.unmarshal({
    tick, time: 1767564000 + 60 * tick, dt_s: 60, e: { load: -6000, grid: 6000 }, demand: { load: 6000 }, loss_j: 0,
    curtailed_j: 0, soc: null, grid_on: true, cost, pv_surplus_w: 0, missing: [], off: [] });

  it('keeps the newer ones, in order, and the history to its length', () => {
    const history = [at(1), at(2), at(3)];
    const { fresh, history: after } = takeSettlements(history, 3, [at(2), at(4), at(5), at(5), at(6)], 4);
    expect(fresh.map((s) => s.tick)).toEqual([4, 5, 6]);
    expect(after.map((s) => s.tick)).toEqual([3, 4, 5, 6]);
  });

  it('merges by tick where the history read back from the recorder reaches them', () => {
    const { history } = takeSettlements([at(10), at(11), at(12)], -1, [at(11, 0.5), at(13)], 10);
    expect(history.map((s) => [s.tick, s.cost])).toEqual([[10, 0.01], [11, 0.5], [12, 0.01], [13, 0.01]]);
  });

  it('changes nothing for a batch of old ones', () => {
    const history = [at(7)];
    const taken = takeSettlements(history, 7, [at(6), at(7)], 10);
    expect(taken.fresh).toEqual([]);
    expect(taken.history).toBe(history);
  });
});

describe('the held pace', () => {
  it('counts arrivals over the last 3 s and forgets the older ones', () => {
    const arrivals = [0, 500, 4000, 4500, 5000, 5500, 6000];
    expect(arrivalRate(arrivals, 6000)).toBeCloseTo(4 / 2, 6);  // 4000..6000: 5 arrivals, 4 intervals in 2 s
    expect(arrivals).toEqual([4000, 4500, 5000, 5500, 6000]);
    expect(arrivalRate([], 1000)).toBe(0);
  });
});
