// The replication facts a master reports in `INFO replication`: the wire alone cannot tell its replid2 or where
// its backlog starts. Pure: text in, facts out.

export interface MasterReplInfo {
  /** when the INFO was read (epoch ms) */
  at: number;
  role: string;
  replid: string;
  /** the previous history's id (all zeros when none) */
  replid2: string;
  /** master_repl_offset */
  offset: number;
  /** second_repl_offset: replid2 is accepted for PSYNC offsets up to this one (-1 when none) */
  secondOffset: number;
  backlogActive: boolean;
  backlogSize: number;
  /** repl_backlog_first_byte_offset */
  backlogFirstByte: number;
  /** repl_backlog_histlen: bytes the backlog holds */
  backlogHistlen: number;
}

/** Parses the text of `INFO replication`; null when a field the analysis needs is missing. */
export function parseReplicationInfo(text: string, at: number): MasterReplInfo | null {
  const f = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) f.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const num = (key: string): number | null => {
    const v = f.get(key);
    return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
  };
  const role = f.get('role');
  const replid = f.get('master_replid');
  const replid2 = f.get('master_replid2');
  const offset = num('master_repl_offset');
  const secondOffset = num('second_repl_offset');
  const backlogActive = num('repl_backlog_active');
  const backlogSize = num('repl_backlog_size');
  const backlogFirstByte = num('repl_backlog_first_byte_offset');
  const backlogHistlen = num('repl_backlog_histlen');
  if (
    role === undefined || replid === undefined || replid2 === undefined || offset === null || secondOffset === null ||
    backlogActive === null || backlogSize === null || backlogFirstByte === null || backlogHistlen === null
  ) {
    return null;
  }
  return {
    at, role, replid, replid2, offset, secondOffset, backlogActive: backlogActive === 1, backlogSize, backlogFirstByte, backlogHistlen,
  };
}
