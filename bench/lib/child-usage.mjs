// What a child process costs, as the kernel accounts it: run a command to completion (stdout to /dev/null) and
// take its wall time, its CPU seconds (the rusage of the reaped child) and its peak RSS (VmHWM, sampled).
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
/** The kernel's accounting tick for a child's CPU time (USER_HZ = 100). */
const CPU_TICK_S = 0.01;

/** CPU seconds of the children this process has reaped so far (utime + stime of waited-for children). */
function childrenCpuSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK; // cutime, cstime (fields 16 and 17)
}

/** { wallS, cpuS, rssMb, stderr }; throws when the command fails. */
export async function measureChild(command, args, { sampleMs = 20 } = {}) {
  const devNull = openSync('/dev/null', 'w');
  const cpuBefore = childrenCpuSeconds();
  const t0 = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', devNull, 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let peakKb = 0;
  const sample = () => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
      peakKb = Math.max(peakKb, kb);
    } catch {
      // exited between two samples
    }
  };
  const timer = setInterval(sample, sampleMs);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  closeSync(devNull);
  const wallS = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`);
  // The kernel counts a child's CPU in 10 ms ticks: a smoke-sized run can take none of them, and a rate over 0 s
  // is no number. Count at least one tick.
  return { wallS, cpuS: Math.max(CPU_TICK_S, childrenCpuSeconds() - cpuBefore), rssMb: peakKb / 1024, stderr };
}
