/** CPU time and memory of a process, read from /proc (Linux). Totals cover all of the process's threads. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

const CLK_TCK = clockTicksPerSecond();

/** utime + stime of the whole process (all threads), in microseconds. Resolution: one clock tick (usually 10 ms). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return (ticks * 1e6) / CLK_TCK;
}

/**
 * utime + stime of one thread of a process, in microseconds (same resolution). The main thread's id is the
 * process id: its share is the work of the event loop (HTTP, parsing, scheduling, answering), without the model
 * workers' compute.
 */
export function threadCpuMicros(pid: number, tid = pid): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1e6) / CLK_TCK;
}

function statusFieldKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : NaN;
}

/** Resident set size now, in KiB. */
export function rssKb(pid: number): number {
  return statusFieldKb(pid, 'VmRSS');
}

/** Peak resident set size since the process started, in KiB. */
export function peakRssKb(pid: number): number {
  return statusFieldKb(pid, 'VmHWM');
}

/** Measures the CPU time a process spends while `work` runs. */
export async function withCpu<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; cpuUs: number }> {
  const before = cpuMicros(pid);
  const result = await work();
  return { result, cpuUs: cpuMicros(pid) - before };
}
