import { credentialsFromLocation } from './bus';

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
