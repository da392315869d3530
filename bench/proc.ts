// CPU time from /proc (Linux): a process's own, and the whole machine's, in milliseconds. Steadier than
// wall time on a shared VM, and it counts what runs beside the process (Postgres, the load generator).
// Also a process's memory figures.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString());
const ticksToMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;

/** User + system CPU time the process has used. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ticksToMs(Number(fields[11]) + Number(fields[12]));
}

/** CPU time every core has spent busy (user, nice, system, irq, softirq) since boot. */
export function machineCpuMs(): number {
  const [user, nice, system, , , irq, softirq] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  return ticksToMs(user! + nice! + system! + irq! + softirq!);
}

/** A process's resident memory now (VmRSS) or at its peak (VmHWM), in MB; NaN when /proc does not list it. */
export function processMemoryMb(pid: number, field: "VmRSS" | "VmHWM"): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return kb ? Number(kb[1]) / 1024 : NaN;
}
