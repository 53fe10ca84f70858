// The part of a pino logger the proxy uses; pino's Logger fits it, tests may pass a stub.
export interface ProxyLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: ProxyLogger = {
  debug() {},
  warn() {},
  error() {},
};
