import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Where a measurement's CPU went, by process, read from /proc: the benchmark's own process (the
 * API, or the raw baselines' client), API processes of their own (`env.startApis`: WEB_CONCURRENCY
 * and its supervisor), the worker processes, every PostgreSQL process, Redis, the
 * load generator (which reports its own, since it has exited by the end), and the rest of the
 * machine (the kernel's interrupts, processes that ended during the run, anything else running).
 */
export const CPU_GROUPS = ['bench', 'apis', 'workers', 'postgres', 'redis', 'generator', 'rest'] as const;
export type CpuGroup = (typeof CPU_GROUPS)[number];

/**
 * CPU milliseconds per request of each group and of the whole machine (`kernel`: its part in the
 * kernel, `interrupts`: in interrupt handlers, the network's receive work mostly, which no process
 * is charged for and so falls in `rest`), and the machine's context switches per request.
 */
export type CpuPerRequest = Record<CpuGroup | 'machine' | 'kernel' | 'interrupts' | 'switches', number>;

export interface CpuSnapshot {
  machine: MachineCpu;
  /** pid → its group and CPU time so far (ms) */
  procs: Map<number, { group: CpuGroup; ms: number }>;
}

/** 10 ms: Linux's USER_HZ of 100, the unit of /proc/stat and /proc/<pid>/stat. */
const TICK_MS = 10;

function groupOf(pid: number, comm: string): CpuGroup | null {
  if (pid === process.pid) return 'bench';
  if (comm === 'postgres') return 'postgres';
  if (comm === 'redis-server') return 'redis';
  if (comm !== 'node' && comm !== 'MainThread') return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // the HTTP floor of rows 7 and 9 (bench/http-floor.ts) stands where the API processes do
    if (cmdline.includes('bench/http-floor.js')) return 'apis';
    if (!cmdline.includes('src/main.js')) return null;
    // the product's processes, told apart by the role they were started with
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes('ROLE=worker') ? 'workers' : 'apis';
  } catch {
    return null; // ended meanwhile
  }
}

/** A process's command name, parent and CPU time so far (ms), from /proc/<pid>/stat; null when it is gone. */
export function procStat(pid: number): { comm: string; ppid: number; cpuMs: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ... utime stime ...": comm may hold spaces, so split after its closing parenthesis
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
}

/** Every process of a known group with its CPU time so far, and the machine's. */
export function cpuSnapshot(): CpuSnapshot {
  const procs = new Map<number, { group: CpuGroup; ms: number }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = procStat(pid);
    const group = stat && groupOf(pid, stat.comm);
    if (!group) continue;
    procs.set(pid, { group, ms: stat.cpuMs });
  }
  return { machine: machineCpu(), procs };
}

/**
 * The CPU per request between two snapshots, by group: a process that started meanwhile counts
 * whole, one that ended meanwhile falls into `rest`; `generatorMs` is the load generator's own
 * report. The machine's figure counts every process, so the groups sum to it.
 */
export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number, generatorMs = 0): CpuPerRequest {
  const ms: Record<CpuGroup, number> = { bench: 0, apis: 0, workers: 0, postgres: 0, redis: 0, generator: generatorMs, rest: 0 };
  for (const [pid, p] of after.procs) ms[p.group] += p.ms - (before.procs.get(pid)?.ms ?? 0);
  const machine = after.machine.busyMs - before.machine.busyMs;
  ms.rest = Math.max(0, machine - CPU_GROUPS.filter((g) => g !== 'rest').reduce((n, g) => n + ms[g], 0));
  const per = (v: number) => (requests > 0 ? v / requests : 0);
  return {
    ...(Object.fromEntries(CPU_GROUPS.map((g) => [g, per(ms[g])])) as Record<CpuGroup, number>),
    machine: per(machine),
    kernel: per(after.machine.kernelMs - before.machine.kernelMs),
    interrupts: per(after.machine.interruptMs - before.machine.interruptMs),
    switches: per(after.machine.switches - before.machine.switches),
  };
}

/** The median of each group over several measurements. */
export function medianCpu(all: CpuPerRequest[]): CpuPerRequest {
  const median = (vs: number[]) => [...vs].sort((a, b) => a - b)[Math.floor((vs.length - 1) / 2)] ?? 0;
  return Object.fromEntries([...CPU_GROUPS, 'machine', 'kernel', 'interrupts', 'switches'].map((g) => [g, median(all.map((c) => c[g as keyof CpuPerRequest]))])) as CpuPerRequest;
}

/** This process's CPU time so far (ms): a load generator reports it, as it has exited by the end of its run. */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** "machine 4.10 ms and 38 context switches each" */
export function describeCpu(c: CpuPerRequest): string {
  return `machine ${c.machine.toFixed(2)} ms and ${Math.round(c.switches)} context switches each`;
}

/**
 * What an open-loop rate asks of the machine at a throughput row's CPU per request (measured at
 * saturation, where batching makes a request cheapest): "asks 78 % of 2 cores at row 2's 4.10 ms
 * each". Near or past 100 % the requests queue, whatever the code's latency alone.
 */
export function demand(rate: number, perRequest: CpuPerRequest, row: number): string {
  const cores = availableParallelism();
  return `asks ${Math.round((rate * perRequest.machine) / 10 / cores)} % of ${cores} cores at row ${row}'s ${perRequest.machine.toFixed(2)} ms each`;
}

/** The machine's CPU time so far, all cores (/proc/stat), in ms: busy (its own processes and kernel), stolen, and all. */
export interface MachineCpu {
  busyMs: number;
  totalMs: number;
  /** time the hypervisor gave this machine's cores to others: neither busy nor idle here */
  stealMs: number;
  /** the part of busyMs spent in the kernel (system calls, interrupts) */
  kernelMs: number;
  /** the part of kernelMs spent in interrupt handlers (hard and soft) */
  interruptMs: number;
  /** context switches so far, every core */
  switches: number;
}

export function machineCpu(): MachineCpu {
  const stat = readFileSync('/proc/stat', 'utf8');
  // cpu  user nice system idle iowait irq softirq steal ... (in clock ticks of 10 ms)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = stat.split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const totalMs = (user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!) * TICK_MS;
  const switches = Number(/^ctxt (\d+)$/m.exec(stat)?.[1] ?? 0);
  return { busyMs: totalMs - (idle! + iowait! + steal!) * TICK_MS, totalMs, stealMs: steal! * TICK_MS, kernelMs: (system! + irq! + softirq!) * TICK_MS, interruptMs: (irq! + softirq!) * TICK_MS, switches };
}

/** Between two samples: the CPU time all processes used (ms), the share of every core it was, and the share stolen. */
export function machineBusy(before: MachineCpu, after: MachineCpu): { busyMs: number; share: number; stolen: number } {
  const busyMs = after.busyMs - before.busyMs;
  const totalMs = Math.max(1, after.totalMs - before.totalMs);
  return { busyMs, share: busyMs / totalMs, stolen: (after.stealMs - before.stealMs) / totalMs };
}
