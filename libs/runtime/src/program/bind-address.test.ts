import { describe, expect, it } from 'vitest';
import { parseBindAddress } from './bind-address.ts';

describe('parseBindAddress', () => {
  it('reads host:port, :port, [v6]:port and 0', () => {
    expect(parseBindAddress('127.0.0.1:8081')).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(parseBindAddress(':8080')).toEqual({ host: '::', port: 8080 });
    expect(parseBindAddress('[::1]:9443')).toEqual({ host: '::1', port: 9443 });
    expect(parseBindAddress('0')).toBeUndefined();
  });

  it('refuses what is not an address', () => {
    expect(() => parseBindAddress('8080')).toThrow(/expected host:port/);
    expect(() => parseBindAddress('localhost:http')).toThrow(/port must be 0-65535/);
    expect(() => parseBindAddress('localhost:70000')).toThrow(/port must be 0-65535/);
  });
});
