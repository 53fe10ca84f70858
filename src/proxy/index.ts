export { startProxy, type MasterProbe, type Proxy, type ProxyOptions } from './proxy.js';
export { ProxyLink, type LegStats, type LinkState } from './link.js';
export type { ProxyLogger } from './logger.js';
export { LinkRegistry } from './link-registry.js';
