import { BlockList, isIPv4, isIPv6 } from 'node:net';

const RANGES: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['0.0.0.0', 8, 'ipv4', 'an unspecified address'],
  ['255.255.255.255', 32, 'ipv4', 'the broadcast address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

const lists = RANGES.map(([network, prefix, family, what]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, what };
});

/**
 * Why `ip` can never be a Pod's address to proxy to (loopback, link-local, multicast,
 * unspecified), or undefined when it can. Such an address would turn the router into a way
 * into the node it runs on or the cloud's metadata service. IPv4-mapped IPv6 addresses are
 * judged by their IPv4 address.
 */
export function isForbiddenAddress(ip: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return 'not an IP address';
  for (const { list, family: f, what } of lists) if (f === family && list.check(address, family)) return what;
  return undefined;
}
