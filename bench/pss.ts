// Memory accounting for the memory row: the proportional set size (PSS) of process trees. PSS
// splits each shared page among the processes that map it, so the PSS of N shims that share
// node's text adds up to what they really cost together, where RSS would count it N times.
import { readFileSync, readdirSync } from "node:fs";

/** Children of each process, from /proc/<pid>/stat's ppid field. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  return children;
}

/** PSS of one process in KiB (smaps_rollup), or 0 if it is gone or has no memory (a zombie). */
export function pssKiB(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const match = /^Pss:\s+(\d+) kB$/m.exec(rollup);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pids of `roots` and all their descendants, each once. */
export function processTrees(roots: readonly number[]): number[] {
  const children = childrenByParent();
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...seen];
}

/** Total PSS in KiB of `roots` and their descendants. */
export function treePssKiB(roots: readonly number[]): number {
  return processTrees(roots).reduce((total, pid) => total + pssKiB(pid), 0);
}

/** The number of threads of a process (/proc/<pid>/status), or 0 if it is gone. */
export function threadCount(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/^Threads:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
