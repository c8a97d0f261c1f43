// CPU time of another process (the simulator, the key farm), so the report can say where the CPU went.
// Linux only (/proc); elsewhere undefined and the report prints n/a.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times: 100 on every Linux build Node supports. */
const CLOCK_TICKS = 100;

/** User + system CPU milliseconds `pid` has used so far, or undefined when it cannot be read. */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / CLOCK_TICKS : undefined;
  } catch {
    return undefined;
  }
}
