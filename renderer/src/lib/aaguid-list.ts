// The AAGUID allow-list as the technician types it: one AAGUID per line (commas and spaces also split).
// Every bad entry is reported by its position, so it can be fixed before anything is sent.
const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The contract's limit. */
export const MAX_AAGUIDS = 500;

export interface ParsedAaguids {
  aaguids: string[];
  problems: string[];
}

export function parseAaguidList(text: string): ParsedAaguids {
  const aaguids: string[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const item of line.split(/[\s,;]+/).filter(Boolean)) {
      if (!AAGUID.test(item)) problems.push(`Line ${index + 1}: "${item.slice(0, 40)}" is not an AAGUID (32 hex digits as 8-4-4-4-12, e.g. cb69481e-8ff7-4039-93ec-0a2729a154a8).`);
      else if (!aaguids.includes(item.toLowerCase())) aaguids.push(item.toLowerCase());
    }
  });
  if (aaguids.length > MAX_AAGUIDS) problems.push(`The list has ${aaguids.length} AAGUIDs; at most ${MAX_AAGUIDS} are allowed.`);
  return { aaguids, problems };
}
