// The part of redis-parser 3 (a CommonJS module without types) that the lab's client uses.
declare module 'redis-parser' {
  interface ParserOptions {
    /** strings (simple and bulk), numbers, null, and arrays of these; an error inside an array is an Error */
    returnReply(reply: unknown): void;
    /** an error reply (`-ERR ...`): message is the line without the '-' */
    returnError(err: Error): void;
    /** bytes that are not RESP */
    returnFatalError?(err: Error): void;
  }
  class RedisParser {
    constructor(opts: ParserOptions);
    execute(chunk: Buffer): void;
  }
  export = RedisParser;
}
