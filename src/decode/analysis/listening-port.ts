// The port (and address) a replica announces with `REPLCONF listening-port <port>` and `ip-address <ip>` (its own,
// not the socket's): how a replica is recognised across reconnections, and what the master's INFO lists for it.

/** The announced port of a replica command, or null when it is not a REPLCONF that announces one. */
export function announcedPort(argv: string[]): string | null {
  return replconfOption(argv, 'listening-port');
}

/** The announced address (replica-announce-ip) of a replica command, or null when it is not a REPLCONF that
 *  announces one. */
export function announcedIp(argv: string[]): string | null {
  return replconfOption(argv, 'ip-address');
}

function replconfOption(argv: string[], option: string): string | null {
  if (argv[0]?.toUpperCase() !== 'REPLCONF') return null;
  const i = argv.findIndex((a, k) => k % 2 === 1 && a.toLowerCase() === option);
  return (i > 0 && argv[i + 1]) || null;
}

/** The host of a `host:port` socket address: with the announced port, it names the replica. */
export function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}
